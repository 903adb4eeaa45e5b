#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/integration/leak-check.sh [TEST...]: the integration suite (or the
# named tests) with every burrowfs started under valgrind's memcheck, but the
# restart tests: they need open_tree and move_mount, which valgrind 3.19 does
# not know (ENOSYS), so no copy of the mount outlives a SIGTERM there; the
# sanitizer builds' LeakSanitizer covers them (run-tests.sh). A leak
# (definite or indirect) or a memory error makes the daemon exit 99, which
# fails the test that started it (lib.sh's bfs_stop checks for status 0 and
# prints valgrind's report from the daemon's log).
#
# Uses the plain build in BUILD_DIR (default build-valgrind/, set up here if
# missing; a sanitizer build can't run under valgrind). Ends with
# "leak-check: N passed, N failed, N skipped". Needs root and valgrind.
# LeakSanitizer covers the same ground in run-tests.sh's ASan builds
# (ASAN_OPTIONS=detect_leaks=1: a leak makes the daemon's exit status fail).
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 1
HERE=$(pwd)/tests/integration
B=${BUILD_DIR:-build-valgrind}

command -v valgrind >/dev/null || {
	echo "leak-check: valgrind is not installed (apt-get install valgrind)" >&2
	exit 1
}
if [ ! -e "$B/build.ninja" ]; then
	meson setup "$B" >"$B.setup.log" 2>&1 || {
		cat "$B.setup.log"
		exit 1
	}
fi
meson compile -C "$B" fs/burrowfs || exit 1
if grep -q -a -e __asan_init -e __ubsan_handle "$B/fs/burrowfs"; then
	echo "leak-check: $B is a sanitizer build; valgrind needs a plain one" >&2
	exit 1
fi

# test-pconn is left out too: per-container connections need pidfd_open, fsopen and
# fsmount (ENOSYS under valgrind 3.19); the sanitizer builds cover them.
# Valgrind 3.19 has no pidfd_open (the daemon falls back to start times) and
# runs the daemon some 20 times slower: the suite's timeouts are stretched.
export BURROWFS_WRAPPER="valgrind --tool=memcheck --leak-check=full
	--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect
	--error-exitcode=99 --suppressions=$HERE/valgrind.supp --num-callers=30"
BURROWFS_WRAPPER=$(tr -s '\n\t' '  ' <<<"$BURROWFS_WRAPPER")
# The tests' own bounds on a container's or a helper's run, likewise.
export CT_TIMEOUT=${CT_TIMEOUT:-240}
export HOSTILE_TIMEOUT=${HOSTILE_TIMEOUT:-900}
if [ $# -eq 0 ]; then
	mapfile -t names < <(meson test -C "$B" --list --suite integration --no-rebuild 2>/dev/null |
		sed -n 's|^.*integration / ||p' | grep -v -e '^restart' -e '^pconn$')
	set -- "${names[@]}"
fi
rm -f "$B/meson-logs/testlog.json"
meson test -C "$B" --suite integration --no-rebuild --print-errorlogs \
	--timeout-multiplier 6 "$@"
rc=$?
python3 - "$B/meson-logs/testlog.json" <<'EOF'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"):
        p += 1
    elif r == "SKIP":
        s += 1
    else:
        f += 1
print("leak-check: %d passed, %d failed, %d skipped" % (p, f, s))
EOF
exit $rc
