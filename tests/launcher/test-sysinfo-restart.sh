#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The seccomp agent across restarts (issue 13): a container calls sysinfo(2)
# in a loop while burrowfs is stopped with SIGTERM and started, killed with
# SIGKILL and started, and upgraded (a copy of the binary takes over). The
# keeper holds the listeners meanwhile, so calls wait rather than fail: 0
# failed calls, 0 answers with the host's memory. Then a call a daemon had
# received when it was killed is answered by the next one, from the journal.

. "$(dirname "$0")/lib.sh"
. "$L_DIR/sysinfo-lib.sh"

si_init
MNT=$BFS_MNT

si_run -- /mnt/check loop 24 "$SI_HOST_RAM" >"$T_TMP/loop.out" 2>"$T_TMP/loop.err" &
loop_pid=$!
sleep 3

note "SIGTERM, then a new burrowfs"
kill -TERM "$BFS_PID"
wait "$BFS_PID" 2>/dev/null
bfs_forget "$BFS_PID"
sleep 2
bfs_start_on "$MNT" "$BURROWFS" --seccomp-socket "$SI_SOCK"
sleep 3
check_cmd "the new daemon took over the listeners" grep -q "took over .* listener" "$BFS_LOG"

note "SIGKILL, then a new burrowfs"
kill -KILL "$BFS_PID"
wait "$BFS_PID" 2>/dev/null
bfs_forget "$BFS_PID"
sleep 2
bfs_start_on "$MNT" "$BURROWFS" --seccomp-socket "$SI_SOCK"
sleep 3

note "upgrade: another binary takes over from the serving one"
cp "$BURROWFS" "$T_TMP/burrowfs-new"
old=$BFS_PID
bfs_start_on "$MNT" "$T_TMP/burrowfs-new" --seccomp-socket "$SI_SOCK"
wait "$old" 2>/dev/null
bfs_forget "$old"

wait "$loop_pid"
check_eq "the calling container ran to its end" "$?" 0
sed 's/^/# loop: /' "$T_TMP/loop.out" "$T_TMP/loop.err" | head -20
check_num "calls made across the restarts" "$(si_field "$T_TMP/loop.out" calls)" ">" 1000
check_eq "failed calls" "$(si_field "$T_TMP/loop.out" failed)" 0
check_eq "answers with the host's totalram" "$(si_field "$T_TMP/loop.out" host)" 0

# ---- a call received, not answered, when its daemon dies ----------------------

note "a daemon that holds each call 3 s, killed while it holds one"
kill -TERM "$BFS_PID"
wait "$BFS_PID" 2>/dev/null
bfs_forget "$BFS_PID"
BURROWFS_TEST_SECCOMP_DELAY_MS=3000 bfs_start_on "$MNT" "$BURROWFS" -d --seccomp-socket "$SI_SOCK"
si_run -- /mnt/check show >"$T_TMP/held.out" 2>&1 &
held_pid=$!
# Wait until the daemon holds the call: the container's init is in sysinfo.
for ((i = 0; i < 100; i++)); do
	grep -q 'seccomp agent: a listener' "$BFS_LOG" 2>/dev/null && break
	sleep 0.1
done
sleep 1
kill -KILL "$BFS_PID"
wait "$BFS_PID" 2>/dev/null
bfs_forget "$BFS_PID"
bfs_start_on "$MNT" "$BURROWFS" --seccomp-socket "$SI_SOCK"
wait "$held_pid"
check_eq "the held call returned" "$?" 0
check_eq "the held call got the container's totalram" "$(si_field "$T_TMP/held.out" totalram)" \
	$SI_LIMIT
check_cmd "the next daemon answered it from the journal" \
	grep -q "answered 1 call(s) a previous burrowfs had left" "$BFS_LOG"
