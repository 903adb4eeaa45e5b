# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for the sysinfo(2) agent tests: the guest programs, a burrowfs
# with its seccomp agent on a socket of the test's own, and a container
# limited to 300 MiB that runs them.

SI_LIMIT=$((300 << 20))

# si_init: what every sysinfo test starts from: root's containers on the
# cached rootfs, the test programs, a burrowfs whose agent is listening.
si_init() {
	l_init
	l_rootfs
	l_root_home
	si_build
	si_bfs
}

# si_build: sysinfo-check (static, any rootfs runs it), the i386 caller when
# gcc -m32 can link it, and the host's static busybox, in $SI_BIN.
si_build() {
	command -v cc >/dev/null || skip "no C compiler"
	SI_BIN=$T_TMP/bin
	mkdir -p "$SI_BIN"
	chmod 755 "$SI_BIN"
	cc -static -O2 -pthread -o "$SI_BIN/check" "$L_DIR/sysinfo-check.c" >"$T_TMP/cc.log" 2>&1 ||
		skip "cannot link a static C program (libc6-dev): $(head -3 "$T_TMP/cc.log")"
	SI_I386=
	if cc -m32 -static -nostdlib -ffreestanding -fno-pic -fno-stack-protector -O2 \
		-o "$SI_BIN/check32" "$L_DIR/sysinfo32.c" >"$T_TMP/cc32.log" 2>&1; then
		SI_I386=1
	fi
	local bb
	bb=$(command -v busybox) || skip "no busybox on the host (busybox-static)"
	file -L "$bb" 2>/dev/null | grep -q 'statically linked' ||
		skip "the host's busybox is not static (install busybox-static)"
	cp "$bb" "$SI_BIN/busybox"
	SI_HOST_RAM=$(awk '$1 == "MemTotal:" { printf "%.0f\n", $2 * 1024 }' /proc/meminfo)
}

# si_bfs [BURROWFS OPTIONS...]: burrowfs with its agent on $SI_SOCK.
si_bfs() {
	SI_SOCK=$T_TMP/seccomp.sock
	bfs_start --seccomp-socket "$SI_SOCK" "$@"
	for ((i = 0; i < 50; i++)); do
		[ -S "$SI_SOCK" ] && break
		sleep 0.1
	done
	[ -S "$SI_SOCK" ] || die "burrowfs made no agent socket at $SI_SOCK"
}

# si_run [-c KEY=VALUE...] -- CMD...: CMD in a fresh container of 300 MiB
# with burrowfs and the agent, the guest programs at /mnt. Its /proc files
# come from the shared mount of the burrowfs under test (these tests take
# the launcher's stderr with their values, and a test's burrowfs has no
# control socket the launcher knows of; per-container files are
# test-pconn.sh's).
si_run() {
	local opts=()
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	timeout "${SI_TIMEOUT:-120}" "$BURROW" run --rootfs "$ROOTFS" -c memory=300M -c burrowfs=yes \
		-c burrowfs-path="$BFS_MNT" -c burrowfs-mount=shared -c seccomp-agent="$SI_SOCK" \
		-c bind="$SI_BIN:/mnt:ro" "${opts[@]}" -- "$@" </dev/null
}

# si_field FILE KEY: the value of a "KEY value" line.
si_field() {
	awk -v k="$2" '$1 == k { print $2; exit }' "$1"
}
