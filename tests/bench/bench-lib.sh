# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# What the benchmarks share, after tests/lib/lib.sh: the FUSE
# daemons they start themselves (lxcfs, the floor) and their stop.

# wait_file PATH PID: until PATH exists (the mount is up) or PID died.
wait_file() {
	local i
	for ((i = 0; i < 100; i++)); do
		timeout 2 test -e "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# stop_daemon PID MNT: a FUSE daemon of the benchmark's own: SIGTERM, then
# make sure; its mount goes, and its mountpoint unless that is
# /var/lib/lxcfs, which the system owns.
stop_daemon() {
	local pid=$1 mnt=$2 i
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	! t_mounted "$mnt" || umount -l "$mnt"
	[ "$mnt" == /var/lib/lxcfs ] || rmdir "$mnt" 2>/dev/null
}

# lxcfs_start MNT [OPTION...]: Debian's lxcfs 5 on MNT (made if missing),
# its pid in LXCFS_PID, stopped at exit. Dies with lxcfs's log when it does
# not come up.
lxcfs_start() {
	local mnt=$1
	shift
	mkdir -p "$mnt"
	lxcfs -f "$@" -p "$T_TMP/lxcfs.pid" "$mnt" >>"$T_TMP/lxcfs.log" 2>&1 &
	LXCFS_PID=$!
	defer "stop_daemon $LXCFS_PID '$mnt'"
	wait_file "$mnt/proc/meminfo" "$LXCFS_PID" && return 0
	sed 's/^/# lxcfs: /' "$T_TMP/lxcfs.log"
	die "lxcfs did not come up on $mnt"
}
