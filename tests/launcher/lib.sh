# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for the launcher tests, on top of the integration tests' lib.sh
# (assertions, defer, burrowfs) and users.sh (a throwaway unprivileged user
# with subordinate ids and a pam_cgfs login): the cached Debian 12 rootfs
# and waits on containers. Every test cleans up what it made, containers, users, cgroups,
# mounts, on success and on failure.

L_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/lib.sh
. "$L_DIR/../lib/lib.sh"
# shellcheck source=../lib/users.sh
. "$L_DIR/../lib/users.sh"

BURROW=${BURROW:-$L_DIR/../../build/launcher/burrow}
CACHE=${BURROW_TEST_CACHE:-/var/cache/burrow-tests}
ROOTFS=$CACHE/bookworm
ROOTFS_TAR=$CACHE/bookworm.tar.gz

l_init() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -x "$BURROW" ] || {
		echo "not ok - burrow not built at $BURROW"
		exit 1
	}
	for tool in newuidmap newgidmap debootstrap; do
		command -v "$tool" >/dev/null || skip "$tool is not installed (uidmap, debootstrap)"
	done
	t_init
	chmod 755 "$T_TMP"
	# root's containers go below burrow/ in each hierarchy: the parents this
	# test makes go again at its end, if they are empty (never others').
	local d
	for d in /sys/fs/cgroup/*/; do
		[ -L "${d%/}" ] || [ -e "$d/burrow" ] || defer "rmdir '${d}burrow' 2>/dev/null"
	done
}

# The debootstrapped Debian 12 rootfs, made once and kept between runs (1-2
# minutes the first time), and a world-readable tarball of it for users.
l_rootfs() {
	mkdir -p "$CACHE"
	(
		flock 9
		if [ ! -x "$ROOTFS/sbin/init" ] && [ ! -L "$ROOTFS/sbin/init" ]; then
			rm -rf --one-file-system "$ROOTFS.tmp"
			note "debootstrapping Debian 12 into $ROOTFS (once)"
			debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,procps \
				bookworm "$ROOTFS.tmp" "${BURROW_MIRROR:-http://deb.debian.org/debian}" \
				>"$CACHE/debootstrap.log" 2>&1 || exit 1
			mv "$ROOTFS.tmp" "$ROOTFS"
		fi
		if [ ! -s "$ROOTFS_TAR" ]; then
			tar --numeric-owner -czf "$ROOTFS_TAR.tmp" -C "$ROOTFS" . && mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
			chmod 644 "$ROOTFS_TAR"
		fi
	) 9>"$CACHE/bookworm.lock" || die "cannot prepare the cached rootfs (see $CACHE/debootstrap.log)"
}

# l_root_home: root's containers, as the tests make them: subordinate ids
# for root (burrow maps root's containers too) and a BURROW_HOME of the test's own.
l_root_home() {
	l_subids root 100000
	export BURROW_HOME=$T_TMP/home
}

# l_wait_running AS_PREFIX NAME: systemctl is-system-running --wait inside.
l_is_running() {
	timeout 60 "$@" systemctl is-system-running --wait 2>/dev/null
}
