#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/run-tests.sh [--no-deps] [--no-sanitizers]: everything CI runs.
#
#   1. installs what the build and the suites need (Debian packages; root)
#   2. builds (build/) and runs every suite but the VM's: meson test -C build,
#      the security suite (tests of hostile guests, images, hook input and
#      local users, which also belong to their own folder's suite) in a step
#      of its own
#   3. an ASan+UBSan build with gcc (build-asan/) and one with clang
#      (build-clang-asan/), each running the unit and integration suites
#   4. clang-format --dry-run --Werror over every tracked .c/.h file
#   5. every libFuzzer target for FUZZ_SECONDS (default 15) each (unless
#      --no-sanitizers; tests/fuzz/run-fuzzers.sh, build-fuzz/), and the leak check: the
#      integration tests in LEAK_TESTS with burrowfs under valgrind
#      (tests/integration/leak-check.sh, build-valgrind/); the sanitizer builds
#      of step 3 run LeakSanitizer over the whole integration suite
#   6. the VM suite (tests/vm/run-vm.sh): a Debian 12 guest under qemu on pure
#      cgroup v2 with systemd, running burrowfs.service, the integration,
#      restart and launcher tests there (8-16 minutes; the image is cached in
#      /var/cache/burrow-tests/vm)
#
# Exits non-zero if any step fails and ends with one summary line:
# "run-tests: N passed, N failed, N skipped". Run as root; a user who may
# sudo is asked for it (BURROW_TESTS_NO_SUDO=1 runs as the user, and the
# suites that need root skip).
set -uo pipefail

cd "$(dirname "$0")/.."
# Build directories: build, build-asan, build-clang-asan (BUILD_PREFIX moves them).
B=${BUILD_PREFIX:-build}
DEPS=1
SANITIZERS=1
for a in "$@"; do
	case $a in
	--no-deps) DEPS=0 ;;
	--no-sanitizers) SANITIZERS=0 ;;
	-h | --help)
		sed -n '3,27p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "run-tests: unknown option $a" >&2
		exit 2
		;;
	esac
done

PACKAGES=(
	# build
	meson ninja-build pkg-config gcc clang clang-format git
	libfuse3-dev fuse3 libcap-dev libseccomp-dev libglib2.0-dev libjson-glib-dev
	# unit tests
	check
	# integration tests and the benchmark
	procps util-linux coreutils mawk python3 e2fsprogs kmod lxcfs
	# hook tests
	lxc runc debootstrap uidmap
	# fuzzing (libFuzzer) and the leak check
	libclang-rt-14-dev valgrind
	# launcher tests
	libpam-cgfs xz-utils passwd login
	# the sysinfo agent's tests: a static busybox for the guests, file(1) to check it
	busybox-static file
	# the VM suite
	qemu-system-x86 qemu-utils
	# signed images (burrow image, create --download) and their interop test
	libsodium-dev libcurl4-openssl-dev libarchive-dev minisign
	# burrow-net (libmnl) and its tests: a bridge, dnsmasq, nftables, udhcpc (busybox-static)
	libmnl-dev iproute2 dnsmasq-base nftables
	# network=pasta and its fallback (every launcher test gets network=auto)
	passt slirp4netns
	# runtime tests: podman (rootful and rootless, with runc of the hook tests),
	# systemd-nspawn, and the DaemonSet's image (a static busybox); kubectl
	# below, from kubernetes-client only when no kubectl is there
	podman conmon uidmap systemd-container busybox-static python3-yaml
)

PASSED=0
FAILED=0
SKIPPED=0
FAILURES=()

step() {
	echo
	echo "==== $* ===="
}

# record NAME RC: a step of our own, counted with the tests.
record() {
	if [ "$2" -eq 0 ]; then
		PASSED=$((PASSED + 1))
	else
		FAILED=$((FAILED + 1))
		FAILURES+=("$1")
	fi
}

# count BUILD_DIR LABEL: add the results of meson test's last run there.
count() {
	local p f s n names=()
	{
		read -r p f s
		mapfile -t names
	} < <(python3 - "$1/meson-logs/testlog.json" <<'EOF'
import json, sys
p = f = s = 0
names = []
try:
    with open(sys.argv[1]) as fh:
        for line in fh:
            t = json.loads(line)
            if t["result"] in ("OK", "EXPECTEDFAIL"):
                p += 1
            elif t["result"] == "SKIP":
                s += 1
            else:
                f += 1
                names.append("%s (%s)" % (t["name"], t["result"]))
except OSError:
    pass
print(p, f, s)
print("\n".join(names))
EOF
	)
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	SKIPPED=$((SKIPPED + s))
	for n in "${names[@]}"; do
		[ -z "$n" ] || FAILURES+=("$2: $n")
	done
	echo "$2: $p passed, $f failed, $s skipped"
}

# build_and_test DIR LABEL SETUP_ENV SETUP_ARGS TEST_ARGS
build_and_test() {
	local dir=$1 label=$2 cc=$3 setup_args=$4 test_args=$5 rc
	step "$label: build ($dir)"
	if [ -e "$dir/build.ninja" ]; then
		# shellcheck disable=SC2086
		CC=$cc meson setup --reconfigure $setup_args "$dir"
	else
		# shellcheck disable=SC2086
		CC=$cc meson setup $setup_args "$dir"
	fi &&
		meson compile -C "$dir"
	rc=$?
	record "$label: build" $rc
	[ $rc -eq 0 ] || return
	step "$label: meson test $test_args"
	rm -f "$dir/meson-logs/testlog.json"
	# shellcheck disable=SC2086
	meson test -C "$dir" --print-errorlogs $test_args
	count "$dir" "$label"
}

# The suites that matter need root (FUSE, cgroups, containers, apt-get): a
# user who may sudo gets it as written; without sudo, as a user, they skip.
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && [ -z "${BURROW_TESTS_NO_SUDO:-}" ]; then
	exec sudo --preserve-env=BUILD_PREFIX,FUZZ_SECONDS,LEAK_TESTS,BURROW_TEST_CACHE,CI -- "$PWD/tests/run-tests.sh" "$@"
fi

# suite_step SUITE LABEL BANNER: one meson suite of the plain build, in a step of its own.
suite_step() {
	step "$3"
	if [ -e "$B/build.ninja" ]; then
		rm -f "$B/meson-logs/testlog.json"
		meson test -C "$B" --suite "$1" --print-errorlogs
		count "$B" "$2"
	else
		record "$2 (no build)" 1
	fi
}

start=$(date +%s)

if [ "$DEPS" -eq 1 ]; then
	step "dependencies"
	if [ "$(id -u)" -ne 0 ]; then
		echo "not root: skipping apt-get; the root-only suites will skip"
	else
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q && apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" &&
			{ command -v kubectl >/dev/null ||
				apt-get install -y -q --no-install-recommends kubernetes-client; }
		record "dependencies" $?
	fi
fi

build_and_test "$B" "gcc" gcc "" "--no-suite vm --no-suite security"

# Every test of what a hostile guest, image, hook input or local user may do,
# in one place (README.md, "Security model"). Each also belongs to its own
# folder's suite; it runs here, once.
suite_step security "security" "security suite: meson test --suite security"

if [ "$SANITIZERS" -eq 1 ]; then
	export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:print_summary=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:print_summary=1
	export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
	SAN="-Db_sanitize=address,undefined -Db_lundef=false"
	build_and_test "$B-asan" "gcc asan+ubsan" gcc "$SAN" "--suite unit --suite integration"
	build_and_test "$B-clang-asan" "clang asan+ubsan" clang "$SAN" \
		"--suite unit --suite integration"
	unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
fi

# Pure cgroup v2 under a real systemd, which this host cannot be: a Debian 12
# guest under qemu (tests/vm/README in README.md; about 8-16 minutes).
suite_step vm "VM (pure cgroup v2, systemd)" \
	"VM suite: pure cgroup v2 + systemd in a qemu guest (tests/vm)"

step "clang-format --dry-run --Werror"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t sources < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.h')
else
	mapfile -t sources < <(find . -path "./$B*" -prune -o -name '*.[ch]' -print)
fi
existing=()
for f in "${sources[@]}"; do
	[ -e "$f" ] && existing+=("$f")
done
if [ "${#existing[@]}" -eq 0 ]; then
	echo "no C sources found"
	record "clang-format" 1
else
	clang-format --dry-run --Werror "${existing[@]}"
	rc=$?
	echo "clang-format: ${#existing[@]} files, rc=$rc"
	record "clang-format" $rc
fi

if [ "$SANITIZERS" -eq 1 ]; then
	step "fuzz: tests/fuzz/run-fuzzers.sh -t ${FUZZ_SECONDS:-15}"
	BUILD_DIR="$B-fuzz" tests/fuzz/run-fuzzers.sh -t "${FUZZ_SECONDS:-15}"
	record "fuzz" $?
fi

if [ "$(id -u)" -eq 0 ]; then
	# A subset, about 2 minutes: valgrind runs the daemon some 20 times slower
	# (all that valgrind can run, leak-check.sh alone, takes some 7 minutes).
	read -r -a leak_tests <<<"${LEAK_TESTS:-daemon meminfo cpu stat diskstats passthrough races}"
	step "leaks: tests/integration/leak-check.sh ${leak_tests[*]}"
	BUILD_DIR="$B-valgrind" tests/integration/leak-check.sh "${leak_tests[@]}"
	record "leak-check (valgrind)" $?
fi

step "summary ($(($(date +%s) - start)) s)"
for f in "${FAILURES[@]}"; do
	echo "FAILED: $f"
done
echo "run-tests: $PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
