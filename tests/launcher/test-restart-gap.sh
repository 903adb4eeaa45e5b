#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Containers that start while burrowfs restarts (issue 17): a root
# "burrow run -c memory=300M" started in the gap of a SIGTERM-and-start, of a
# kill -9-and-start, and during an upgrade takeover, the next burrowfs 1 s
# later, must read MemTotal = 300 MiB in the guest: the keeper holds the
# mount, and the launcher's lookups wait for the next daemon. Once with
# burrowfs=auto (the default) and once with burrowfs=yes. After --stop,
# burrowfs=auto runs with the host's files and burrowfs=yes refuses to start,
# naming the mountpoint.

. "$(dirname "$0")/lib.sh"
# shellcheck source=../integration/restart-lib.sh
. "$L_DIR/../integration/restart-lib.sh"

l_init
l_rootfs
RL_BFS_OPTS=(--control-socket "$T_TMP/control.sock")
bfs_start "${RL_BFS_OPTS[@]}"
l_root_home
MNT=$BFS_MNT
B=$BURROW
WANT=$((300 * 1024))
HOST=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)

# run_ct OUT BURROWFS_SETTING: a burrow run printing the guest's MemTotal.
run_ct() {
	"$B" run --rootfs "$ROOTFS" -c memory=300M -c "burrowfs=$2" -c "burrowfs-path=$MNT" -c "burrowfs-control=$T_TMP/control.sock" -- \
		awk '/^MemTotal:/ { print $2 }' /proc/meminfo >"$1" 2>"$1.err"
}

rl_gap_start() {
	run_ct "$T_TMP/gap-yes.out" yes &
	RL_GAP_PID2=$!
	run_ct "$T_TMP/gap-auto.out" auto &
	RL_GAP_PID=$!
}

check_eq "before any restart: MemTotal in the guest is the limit" \
	"$(run_ct /dev/stdout auto)" "$WANT"
rl_gap_kinds "$MNT" "$WANT" "$HOST" "burrowfs=auto: the run" "$T_TMP/gap-auto.out" \
	"burrowfs=yes: the run" "$T_TMP/gap-yes.out"

# ---- burrowfs stopped for good: today's behaviour, and required -------------------------
timeout 10 "$BURROWFS" --stop "$MNT"
check_eq "--stop exits with 0" "$?" 0
check_cmd "--stop: the mountpoint is unmounted" \
	bash -c "! awk -v m='$MNT' '\$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo"
run_ct "$T_TMP/absent-auto.out" auto
check_eq "no burrowfs, burrowfs=auto: the run exits with 0" "$?" 0
check_eq "no burrowfs, burrowfs=auto: the guest sees the host's MemTotal" \
	"$(cat "$T_TMP/absent-auto.out")" "$HOST"
run_ct "$T_TMP/absent-yes.out" yes
check_num "no burrowfs, burrowfs=yes: the run fails" "$?" "!=" 0
check_cmd "no burrowfs, burrowfs=yes: the error names the mountpoint and what is wrong ($(cat "$T_TMP/absent-yes.out.err"))" \
	grep -q "burrowfs is not mounted at $MNT" "$T_TMP/absent-yes.out.err"
check_eq "no burrowfs, burrowfs=yes: the guest command never ran" \
	"$(cat "$T_TMP/absent-yes.out")" ""
