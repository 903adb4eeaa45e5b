#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# meson install --destdir: every file meson plans to install lands, the paths
# inside the unit, the LXC include and the hooks.d entry point at installed
# executables, the man pages format cleanly, the completion completes, and
# systemd-analyze verify accepts the unit. Needs no root.

# shellcheck source=../lib/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/../lib/lib.sh"

BUILD=${MESON_BUILD_ROOT:?run from meson test}
# meson install writes its log into the build tree.
[ -w "$BUILD/meson-logs" ] || skip "the build tree is not writable by $(id -un)"
trap 't_on_exit' EXIT
trap 'exit 143' TERM INT HUP
T_TMP=$(mktemp -d /tmp/burrow-test-install.XXXXXX)
defer "rm -rf --one-file-system '$T_TMP'"
DEST=$T_TMP/dest

meson install -C "$BUILD" --no-rebuild --destdir "$DEST" >"$T_TMP/install.log" 2>&1
rc=$?
check_eq "meson install --destdir exit status" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T_TMP/install.log"

# Everything meson lists as installed exists under DESTDIR.
meson introspect "$BUILD" --installed >"$T_TMP/installed.json" || die "meson introspect failed"
missing=$("$PYTHON" - "$T_TMP/installed.json" "$DEST" <<'EOF'
import json, os, sys
dest = sys.argv[2]
for path in sorted(json.load(open(sys.argv[1])).values()):
    if not os.path.lexists(dest + path):
        print(path)
EOF
)
check_eq "every planned file is installed" "$missing" ""

PREFIX=$("$PYTHON" -c '
import json, sys
for o in json.load(sys.stdin):
    if o["name"] == "prefix":
        print(o["value"])' < <(meson introspect "$BUILD" --buildoptions))
note "prefix $PREFIX"

installed() {
	find "$DEST" -path "*/$1" -print -quit
}

# check_exec DESC PATH: PATH (as installed) is an executable under DESTDIR.
check_exec() {
	check_cmd "$1: $2 is installed and executable" test -f "$DEST$2" -a -x "$DEST$2"
}

unit=$(installed lib/systemd/system/burrowfs.service)
check_cmd "unit installed under the prefix" test "$unit" = "$DEST$PREFIX/lib/systemd/system/burrowfs.service"
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
check_exec "unit ExecStart" "$exec_start"
check_cmd "unit is Type=notify" grep -qx 'Type=notify' "$unit"
check_cmd "unit restarts on failure" grep -qx 'Restart=on-failure' "$unit"
# Without -p: mkdir -p would stat a mount whose daemon is not there yet and hang.
check_cmd "unit creates the mountpoint" grep -q '^ExecStartPre=-/bin/mkdir /' "$unit"
check_cmd "unit keeps the FUSE connection across restarts (fd store)" \
	grep -qE '^FileDescriptorStoreMax=[1-9]' "$unit"
check_cmd "unit stops burrowfs with SIGTERM, which leaves the mount to the keeper" \
	sh -c "! grep -qE '^KillSignal=' '$unit'"
# ExecStop= runs on a stop, a restart and after a crash alike: run its command
# line with a stand-in systemctl printing the unit's job as systemctl
# list-jobs --no-legend does ("  42 burrowfs.service stop running"), or no
# job at all (a crash), and a stand-in burrowfs recording how it was called.
exec_stop=$(sed -n 's/^ExecStop=//p' "$unit")
check_cmd "unit has an ExecStop=" test -n "$exec_stop"
mkdir -p "$T_TMP/fake"
# shellcheck disable=SC2016
printf '#!/bin/sh\n[ -z "$FAKE_JOB" ] || printf "%%6s %%s %%s running\\n" 42 burrowfs.service "$FAKE_JOB"\n' \
	>"$T_TMP/fake/systemctl"
printf '#!/bin/sh\necho "$@" >>%s/fake/calls\n' "$T_TMP" >"$T_TMP/fake/burrowfs"
chmod +x "$T_TMP/fake/systemctl" "$T_TMP/fake/burrowfs"
cmd=${exec_stop//%n/burrowfs.service}
cmd=${cmd//$PREFIX\/sbin\/burrowfs/$T_TMP/fake/burrowfs}
for job in stop restart ""; do
	: >"$T_TMP/fake/calls"
	(PATH=$T_TMP/fake:$PATH FAKE_JOB=$job eval "$cmd")
	rc=$?
	check_eq "ExecStop= for ${job:-no} job exits with 0" "$rc" 0
	want=
	[ "$job" != stop ] || want="--stop $(sed -n 's/^ExecStart=.* \([^ ]*\)$/\1/p' "$unit")"
	check_eq "ExecStop= for ${job:-no} job: burrowfs called as" "$(cat "$T_TMP/fake/calls")" "$want"
done

lxc_conf=$(installed share/lxc/config/common.conf.d/10-burrow.conf)
check_cmd "LXC include installed" test -n "$lxc_conf"
lxc_hook=$(sed -n 's/^lxc.hook.mount = \([^ ]*\).*/\1/p' "$lxc_conf")
check_exec "LXC include's hook" "$lxc_hook"
check_cmd "the LXC include names its own installed path" \
	grep -q "lxc.include = ${lxc_conf#"$DEST"}" "$lxc_conf"

hooksd=$(installed share/containers/oci/hooks.d/burrow.json)
check_cmd "hooks.d entry installed" test -n "$hooksd"
oci_hook=$("$PYTHON" -c '
import json, sys
h = json.load(open(sys.argv[1]))
assert h["version"] == "1.0.0" and h["when"] == {"always": True}
assert h["stages"] == ["createContainer"]
print(h["hook"]["path"])' "$hooksd")
check_exec "hooks.d entry's hook (valid hooks 1.0.0 JSON)" "$oci_hook"
check_exec "burrow launcher" "$PREFIX/bin/burrow"

for page in man8/burrowfs.8 man1/burrow.1 man5/burrow.conf.5; do
	f=$DEST$PREFIX/share/man/$page
	check_cmd "man page $page installed" test -f "$f"
	warnings=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$f" 2>&1)
	check_eq "man page $page formats without warnings" "$warnings" ""
	check_cmd "man page $page names no build path" \
		sh -c "! grep -q -e '@[A-Z_]*@' -e '$BUILD' '$f'"
done

comp=$DEST$PREFIX/share/bash-completion/completions/burrow
check_cmd "bash completion installed" test -f "$comp"
got=$(bash -c '
	source "$1"
	COMP_WORDS=(burrow st); COMP_CWORD=1; _burrow; echo "${COMPREPLY[*]}"
	COMP_WORDS=(burrow create c1 -c memory-); COMP_CWORD=4; _burrow; echo "${COMPREPLY[*]}"' \
	sh "$comp")
check_eq "completion of verbs and keys" "$got" "start stop
memory-swap="

for f in default.conf seccomp.policy; do
	check_cmd "reference $f installed" cmp -s "$DEST$PREFIX/share/burrow/$f" \
		"$(dirname "$0")/../../share/$f"
done

# The unit's hardening must still let burrowfs mount and answer containers:
# run the installed burrowfs with the unit's capability bounding set and
# no_new_privs (what systemd applies besides the seccomp filter), and read
# uptime from a fresh pid namespace, which needs the reader's /proc/PID/ns.
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr '[:upper:]' '[:lower:]' |
	sed 's/cap_/+/g; s/ /,/g')
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/fuse ] || ! command -v setpriv >/dev/null; then
	note "not root or no /dev/fuse: the unit's capability set is not exercised"
elif [ -z "$caps" ]; then
	t_not_ok "the unit has no CapabilityBoundingSet="
else
	# bfs_start runs "$BURROWFS" OPTIONS... MOUNTPOINT.
	# shellcheck disable=SC2034
	BURROWFS=setpriv
	bfs_start --no-new-privs --bounding-set "-all,$caps" --inh-caps -all "$DEST$exec_start"
	host_up=$(cut -d' ' -f1 /proc/uptime)
	ct_up=$(unshare --pid --fork --mount-proc cat "$BFS_MNT/proc/uptime" | cut -d' ' -f1)
	check_num "with the unit's capabilities, a new pid namespace's uptime" "${ct_up:-x}" "<" 10
	check_num "while the host's is" "$host_up" ">" "${ct_up:-0}"
fi

if command -v systemd-analyze >/dev/null; then
	# verify wants ExecStart= to exist and the Documentation=man: page to be
	# found: check a copy whose installed paths point into DESTDIR, with man
	# looking there too. (--root= would need a whole systemd tree in DESTDIR.)
	mkdir -p "$T_TMP/verify"
	sed "s|=\(-\?\)$PREFIX/|=\1$DEST$PREFIX/|" "$unit" >"$T_TMP/verify/burrowfs.service"
	out=$(MANPATH=$DEST$PREFIX/share/man: systemd-analyze verify \
		"$T_TMP/verify/burrowfs.service" 2>&1)
	rc=$?
	[ -z "$out" ] || sed 's/^/# systemd-analyze: /' <<<"$out"
	check_eq "systemd-analyze verify exit status" "$rc" 0
	check_eq "systemd-analyze verify says nothing" "$out" ""
else
	note "systemd-analyze not installed; unit not verified"
fi
