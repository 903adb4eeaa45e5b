# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for the hook tests, on top of the integration tests' lib.sh (TAP
# assertions, cleanup stack, a real burrowfs mount, cgroups of the test's own).
#
# The hooks are given by meson as HOOK_OCI and HOOK_LXC; burrowfs as BURROWFS.

# shellcheck source=../lib/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../lib/lib.sh"

HOOKS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HOOK_OCI=${HOOK_OCI:-$HOOKS_DIR/../../build/hooks/burrow-oci-hook}
HOOK_LXC=${HOOK_LXC:-$HOOKS_DIR/../../build/hooks/burrow-lxc-hook}
ROOTFS_CACHE_BASE=${BURROW_TEST_CACHE:-/var/cache/burrow-tests}

# A signal that lands while the exit trap runs must not cut the cleanup short
# (containers, mounts, cgroups and the borrowed subuid range would be left).
hooks_on_exit() {
	local rc=$?
	trap '' TERM INT HUP
	(exit "$rc")
	t_on_exit
}

hooks_init() {
	t_init
	trap hooks_on_exit EXIT
	if [ ! -x "$HOOK_OCI" ] || [ ! -x "$HOOK_LXC" ]; then
		die "hooks not built ($HOOK_OCI, $HOOK_LXC)"
	fi
	# Anything the hooks or the test leave in the host's namespace.
	chmod 755 "$T_TMP"
}

# bfs_dev: burrowfs's major:minor, as mountinfo's third field shows it.
bfs_dev() {
	stat -c '%Hd:%Ld' "$BFS_MNT/proc/meminfo"
}

# mounts_from_bfs [MOUNTINFO_FILE]: mount points of everything bound from our
# burrowfs (other than the burrowfs mount itself), sorted.
mounts_from_bfs() {
	awk -v dev="$(bfs_dev)" -v self="$BFS_MNT" '$3 == dev && $5 != self { print $5 }' \
		"${1:-/proc/self/mountinfo}" | sort
}

# host_leaks: what a hook could have left in the host's mount namespace: any
# bind from burrowfs, and any mount under the test's directory but burrowfs.
host_leaks() {
	{
		mounts_from_bfs
		awk -v t="$T_TMP/" -v self="$BFS_MNT" \
			'index($5, t) == 1 && $5 != self { print $5 }' /proc/self/mountinfo
	} | sort -u
}

# sandbox_new: a process in a private copy of the host's mount namespace,
# standing in for a container's. Sets SB (its pid); killed at exit.
sandbox_new() {
	unshare -m --propagation private sleep 600 &
	SB=$!
	defer "kill $SB 2>/dev/null; wait $SB 2>/dev/null"
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(readlink "/proc/$SB/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] && return 0
		sleep 0.05
	done
	die "sandbox did not get its own mount namespace"
}

# sandbox_mounts PID: mounts_from_bfs inside PID's mount namespace.
sandbox_mounts() {
	nsenter -t "$1" -m cat /proc/self/mountinfo >"$T_TMP/sb-mountinfo"
	mounts_from_bfs "$T_TMP/sb-mountinfo"
}

# oci_state PID BUNDLE [ANNOTATIONS_JSON]: the state a runtime writes.
oci_state() {
	printf '{"ociVersion":"1.0.2","id":"hooktest","status":"creating","pid":%s,"bundle":"%s"%s}' \
		"$1" "$2" "${3:+,\"annotations\":$3}"
}

# cg_remove_every_hierarchy: runtimes create a container's cgroup in every
# hierarchy they know (devices, freezer, name=systemd...), not only the ones
# lib.sh limits; remove what is left under the test's base in all of them.
cg_remove_every_hierarchy() {
	local roots
	mapfile -t roots < <(awk '{ split($0, a, " - "); split(a[2], b, " ") }
		b[1] == "cgroup" || b[1] == "cgroup2" { print $5 }' /proc/self/mountinfo | sort -u)
	cg_destroy_in "${roots[@]}"
}

# ---- a Debian 12 rootfs with systemd, shared with the launcher's tests --------

# rootfs_cache: print the path of a debootstrapped Debian 12 (minbase plus
# systemd, systemd-sysv, dbus, procps), made once and kept between runs. It is
# the launcher tests' cache (tests/launcher/lib.sh): same path, same lock, same
# package set, so whichever suite runs first builds it and the other reuses it.
rootfs_cache() {
	local base=$ROOTFS_CACHE_BASE root=$ROOTFS_CACHE_BASE/bookworm
	mkdir -p "$base" || return 1
	(
		flock -w 1800 9 || exit 1
		if [ -x "$root/lib/systemd/systemd" ] && [ -x "$root/usr/bin/free" ]; then
			echo "$root"
			exit 0
		fi
		# Never remove a cache another suite may be copying from right now.
		[ ! -e "$root" ] || exit 3
		command -v debootstrap >/dev/null || exit 2
		rm -rf --one-file-system "$root.tmp"
		if ! debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,procps \
			bookworm "$root.tmp" "${BURROW_MIRROR:-http://deb.debian.org/debian}" \
			>"$base/debootstrap.log" 2>&1; then
			rm -rf --one-file-system "$root.tmp"
			exit 1
		fi
		mv -T "$root.tmp" "$root" || exit 1
		echo "$root"
	) 9>"$base/bookworm.lock"
}

# need_rootfs: set ROOTFS_SRC to the cached rootfs, or skip when it cannot be had.
need_rootfs() {
	local r
	ROOTFS_SRC=$(rootfs_cache)
	r=$?
	case $r in
	0) ;;
	2) skip "no cached Debian 12 rootfs and no debootstrap to make one" ;;
	3) die "$ROOTFS_CACHE_BASE/bookworm exists but lacks systemd or procps" ;;
	*) die "could not make the Debian 12 rootfs cache (see $ROOTFS_CACHE_BASE/debootstrap.log)" ;;
	esac
	note "rootfs cache: $ROOTFS_SRC"
}

# rootfs_overlay TARGET SCRATCH: the cached rootfs (need_rootfs) at TARGET as
# an overlay whose writes go to SCRATCH, so that the cache stays pristine and
# each container has its own; unmounted at exit.
rootfs_overlay() {
	local target=$1 scratch=$2
	mkdir -p "$target" "$scratch/upper" "$scratch/work"
	mount -t overlay overlay \
		-o "lowerdir=$ROOTFS_SRC,upperdir=$scratch/upper,workdir=$scratch/work" "$target" ||
		die "cannot mount an overlay of $ROOTFS_SRC at $target"
	defer "umount -l '$target'"
}
