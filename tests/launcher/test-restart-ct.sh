#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# burrowfs restarts under an unprivileged burrow container: an ordinary user
# boots a Debian 12 guest limited to 256 MiB with burrowfs's files bound in;
# a reader attached to it (burrow attach) reads /proc/meminfo (also through a
# handle held open throughout), the other /proc files and
# /sys/devices/system/cpu/online in a loop. burrowfs is restarted by SIGTERM
# and a new start, by kill -9 and a new start, and by an upgrade takeover;
# after each, not one read failed, MemTotal stayed the limit, and a new
# process in the container reads the limit.

. "$(dirname "$0")/lib.sh"
# shellcheck source=../integration/restart-lib.sh
. "$L_DIR/../integration/restart-lib.sh"

l_init
SYSNO=$(rl_sysno) || skip "no clock_gettime syscall number for $(uname -m)"
l_rootfs
RL_BFS_OPTS=(--control-socket "$T_TMP/control.sock")
bfs_start "${RL_BFS_OPTS[@]}"
MNT=$BFS_MNT
l_pam_cgfs
U=burrowr$$
l_user "$U"
l_subids "$U" 500000
B=$BURROW
CT=r1
WANT=262144
STOP=/run/burrow-restart-stop

ina() { as_argv "$U" "$B" attach "$CT" -- "$@"; }

out=$(as "$U" "$B create $CT --from-tar $ROOTFS_TAR -c memory=256M -c burrowfs=yes \
	-c burrowfs-path=$MNT -c burrowfs-control=$T_TMP/control.sock" 2>&1)
check_eq "create as $U (${out:-no output})" "$?" 0
defer "as '$U' '$B stop $CT; $B destroy $CT' >/dev/null 2>&1"
out=$(as "$U" "$B start --wait $CT" 2>&1)
check_eq "start --wait (${out:-no output})" "$?" 0
[ "$T_FAIL" -eq 0 ] || die "the container did not start"
check_eq "before any restart: free -b total is the limit" \
	"$(ina free -b | awk '/^Mem:/ { print $2 }')" $((WANT * 1024))

rl_fresh() {
	ina awk '/^MemTotal:/ { print $2 }' /proc/meminfo
}
rl_stop_reader() {
	ina touch "$STOP"
}

RL_LOG=$T_TMP/reader.log
: >"$RL_LOG"
# shellcheck disable=SC2086
ina perl -e "$RL_READER" "$SYSNO" "$WANT" "$STOP" $RL_FILES >"$RL_LOG" 2>"$T_TMP/reader.err" &
RL_PID=$!
defer "kill $RL_PID 2>/dev/null"
rl_wait_ticks 0 || die "the container's reader never read: $(cat "$T_TMP/reader.err")"
sleep 1

check_eq "per-container before the restarts" "$(as "$U" "$B info $CT" | awk '$1 == "Burrowfs:" { print $2 }')" per-container
check_num "its own connection" "$(ina stat -c %d /proc/meminfo)" "!=" "$(stat -c %d "$MNT/proc/meminfo")"
rl_restarts "$MNT" "$WANT"

check_eq "the guest's systemd still runs" "$(ina systemctl is-system-running)" running
check_eq "after all restarts: free -b total is the limit" \
	"$(ina free -b | awk '/^Mem:/ { print $2 }')" $((WANT * 1024))
rl_finish
sed 's/^/# reader: /' "$T_TMP/reader.err"
