#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# burrowfs restarts under a rootful podman container that got its files from
# the hooks.d entry: a Debian 12 image limited to 256 MiB runs restart-lib's
# reader of /proc/meminfo (also through a handle held open throughout), the
# other /proc files and /sys/devices/system/cpu/online in a loop. burrowfs is
# restarted by SIGTERM and a new start, by kill -9 and a new start, and by an
# upgrade takeover; after each, not one read failed, MemTotal stayed the
# limit, and a new process (podman exec) reads the limit. Then containers
# that podman starts in the gap of each kind of restart (two at once) bind the
# held mount and see the limit when the next burrowfs answers.

. "$(dirname "$0")/lib.sh"
# shellcheck source=../integration/restart-lib.sh
. "$RT_DIR/../integration/restart-lib.sh"

hooks_init
pm_need
SYSNO=$(rl_sysno) || skip "no clock_gettime syscall number for $(uname -m)"
need_rootfs
bfs_start
MNT=$BFS_MNT
pm_init "$T_TMP/podman"
pm_hooksd "$MNT"
pm_image localhost/burrow-test:bookworm

LIMIT=268435456
WANT=$((LIMIT / 1024))
STOP=/run/burrow-restart-stop
NAME=burrow-restart-$$

rl_fresh() {
	timeout 30 "${PM[@]}" exec "$NAME" awk '/^MemTotal:/ { print $2 }' /proc/meminfo
}
rl_stop_reader() {
	timeout 30 "${PM[@]}" exec "$NAME" touch "$STOP"
}

RL_LOG=$T_TMP/reader.log
: >"$RL_LOG"
# shellcheck disable=SC2086
timeout -k 5 600 "${PM[@]}" run --name "$NAME" --network none --cgroup-parent "$PM_CG" \
	"${PM_ULIMITS[@]}" --memory 256m localhost/burrow-test:bookworm \
	perl -e "$RL_READER" "$SYSNO" "$WANT" "$STOP" $RL_FILES \
	</dev/null >"$RL_LOG" 2>"$T_TMP/podman.err" &
RL_PID=$!
defer "kill $RL_PID 2>/dev/null"
rl_wait_ticks 0 || die "the container's reader never read: $(cat "$T_TMP/podman.err")"
check_cmd "the hook bound burrowfs's meminfo in the container" \
	bash -c "$(printf '%q ' "${PM[@]}") exec $NAME stat -f -c %T /proc/meminfo | grep -q fuse"
check_eq "before any restart: a new process reads MemTotal = the limit" "$(rl_fresh)" "$WANT"
sleep 1

rl_restarts "$MNT" "$WANT"
rl_finish
sed 's/^/# podman: /' "$T_TMP/podman.err"

# rl_gap_start: two podman containers at once, each printing its MemTotal.
rl_gap_start() {
	local n
	for n in 1 2; do
		timeout -k 5 120 "${PM[@]}" run --rm --network none --cgroup-parent "$PM_CG" \
			"${PM_ULIMITS[@]}" --memory 256m localhost/burrow-test:bookworm \
			awk '/^MemTotal:/ { print $2 }' /proc/meminfo \
			</dev/null >"$T_TMP/gap$n" 2>"$T_TMP/gap$n.err" &
		[ "$n" -eq 1 ] && RL_GAP_PID=$! || RL_GAP_PID2=$!
	done
}
rl_gap_kinds "$MNT" "$WANT" "$(meminfo_kb "$(cat /proc/meminfo)" MemTotal)" \
	"podman run" "$T_TMP/gap1" "a second podman run" "$T_TMP/gap2"
