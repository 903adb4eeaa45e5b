#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# How a burrowfs ends, with a bind mount of its files standing in for a
# container's (the same superblock a runtime or a hook binds):
#   - SIGTERM: the process ends (its time is noted; tests/bench/bench-sigterm.sh
#     measures it) and the host mount goes;
#   - no burrowfs comes back within --restart-timeout (after SIGTERM or kill
#     -9): a read blocked meanwhile gets a clean error, it never hangs;
#   - burrowfs --stop ends daemon, keeper and connection at once;
#   - an unmount of the mountpoint ends them too;
#   - a keeper killed by hand is replaced, and a restart stays seamless;
#   - a dead mount left by a crash of daemon and keeper together is cleared
#     by the next start.
source "$(dirname "$0")/../lib/lib.sh"
t_init

BIND=$T_TMP/bind
touch "$BIND"
defer "umount -l '$BIND' 2>/dev/null"

# gone PID: the process has ended (a zombie that init has not reaped yet counts).
gone() {
	[ ! -e "/proc/$1" ] || grep -q "^State:.*Z" "/proc/$1/status" 2>/dev/null
}

keeper_of() {
	pgrep -f -- "--keeper $1 " | head -n1
}

# keeper_sock MNT: the socket of MNT's keeper, from its command line.
keeper_sock() {
	local k
	k=$(keeper_of "$1")
	[ -n "$k" ] && tr '\0' '\n' <"/proc/$k/cmdline" | sed -n 4p
}

# bind_to MNT: a "container's" bind mount of MNT's meminfo at $BIND.
bind_to() {
	umount -l "$BIND" 2>/dev/null
	mount --bind "$1/proc/meminfo" "$BIND"
}

# blocked_read: read $BIND in the background (it blocks while no daemon
# serves); sets READ_PID, output in $T_TMP/read.out, status in read.rc.
blocked_read() {
	rm -f "$T_TMP/read.rc"
	(
		t0=$(date +%s%N)
		timeout 20 head -c 64 "$BIND" >"$T_TMP/read.out" 2>&1
		echo "$? $((($(date +%s%N) - t0) / 1000000))" >"$T_TMP/read.rc"
	) &
	READ_PID=$!
}

host_memtotal() {
	awk '/^MemTotal:/ { print $2 }' /proc/meminfo
}

# ---- SIGTERM: fast, mount held -------------------------------------------------------
bfs_start
worst=0
for i in 1 2 3 4 5; do
	pid=$BFS_PID
	t0=$(date +%s%N)
	kill -TERM "$pid"
	wait "$pid"
	st=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	bfs_forget "$pid"
	[ "$ms" -gt "$worst" ] && worst=$ms
	[ "$st" -eq 0 ] || t_not_ok "SIGTERM round $i: exit status $st"
	# The keeper holds it for containers that start before the next daemon.
	if ! t_mounted "$BFS_MNT"; then
		t_not_ok "SIGTERM round $i: $BFS_MNT was unmounted"
	fi
	bfs_start_on "$BFS_MNT" "$BURROWFS"
done
# Timing is a benchmark's business (tests/bench/bench-sigterm.sh), not a test's.
note "SIGTERM: the slowest of 5 exits took $worst ms"
MNT=$BFS_MNT
check_cmd "after 5 SIGTERM restarts the host reads its MemTotal" \
	grep -q "^MemTotal: *$(host_memtotal) kB" "$MNT/proc/meminfo"

# ---- burrowfs --stop -------------------------------------------------------------------
bind_to "$MNT"
check_cmd "--stop: the bind mount reads before" grep -q "^MemTotal:" "$BIND"
k=$(keeper_of "$MNT")
check_cmd "a keeper holds the connection" test -n "$k"
# While a daemon serves, the keeper sleeps: polling /dev/fuse would wake it
# for every request (a context switch each, which halved a lone reader's rate).
ctxt() {
	awk '/ctxt_switches:/ { s += $2 } END { print s + 0 }' "/proc/$1/status"
}
c0=$(ctxt "$k")
for ((i = 0; i < 300; i++)); do
	head -c 1 "$BIND" >/dev/null || break
done
c1=$(ctxt "$k")
check_num "300 reads through the bind mount all succeeded" "$i" == 300
check_num "the keeper slept through them ($((c1 - c0)) context switches)" $((c1 - c0)) "<" 30
t0=$(date +%s%N)
timeout 10 "$BURROWFS" --stop "$MNT"
st=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check_num "--stop exits with 0" "$st" == 0
check_num "--stop took under 2000 ms ($ms)" "$ms" "<" 2000
wait "$BFS_PID"
check_num "--stop: the daemon exited with 0" $? == 0
bfs_forget "$BFS_PID"
check_cmd "--stop: the keeper is gone" gone "$k"
check_cmd "--stop: the mountpoint is unmounted" bash -c "! awk -v m='$MNT' '\$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo"
out=$(timeout 5 head -c 64 "$BIND" 2>&1)
st=$?
check_num "--stop: the bind mount now fails at once (no hang)" "$st" == 1
check_cmd "--stop: with ENOTCONN ($out)" grep -q "not connected" <<<"$out"

# ---- unmount from outside --------------------------------------------------------------
bfs_start_on "$MNT" "$BURROWFS"
bind_to "$MNT"
k=$(keeper_of "$MNT")
umount "$MNT"
for ((i = 0; i < 50; i++)); do
	gone "$BFS_PID" && break
	sleep 0.1
done
check_cmd "unmount: the daemon ends within 5 s" gone "$BFS_PID"
wait "$BFS_PID"
check_num "unmount: the daemon exited with 0" $? == 0
bfs_forget "$BFS_PID"
for ((i = 0; i < 50; i++)); do
	gone "$k" && break
	sleep 0.1
done
check_cmd "unmount: the keeper is gone" gone "$k"
out=$(timeout 5 head -c 64 "$BIND" 2>&1)
check_cmd "unmount: the bind mount fails with ENOTCONN, no hang ($out)" \
	grep -q "not connected" <<<"$out"

# ---- no restart within --restart-timeout ---------------------------------------------------
for how in TERM KILL; do
	bfs_start_on "$MNT" "$BURROWFS" --restart-timeout 2
	bind_to "$MNT"
	k=$(keeper_of "$MNT")
	ks=$(keeper_sock "$MNT")
	kill "-$how" "$BFS_PID"
	wait "$BFS_PID" 2>/dev/null
	bfs_forget "$BFS_PID"
	blocked_read
	wait "$READ_PID"
	read -r st ms <"$T_TMP/read.rc"
	check_num "SIG$how, nobody restarts: the blocked read ends (status $st) in under 6 s" \
		"$ms" "<" 6000
	check_num "SIG$how, nobody restarts: ... after the 2 s restart timeout" "$ms" ">=" 1500
	check_cmd "SIG$how, nobody restarts: with a clean error ($(cat "$T_TMP/read.out"))" \
		grep -Eq "not connected|connection abort" "$T_TMP/read.out"
	check_cmd "SIG$how, nobody restarts: the keeper is gone" gone "$k"
	check_cmd "SIG$how, nobody restarts: the keeper took the mount away" \
		bash -c "! awk -v m='$MNT' '\$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo"
	check_cmd "SIG$how, nobody restarts: the keeper's socket is gone" \
		test -n "$ks" -a ! -e "$ks"
	timeout 10 "$BURROWFS" --stop "$MNT" 2>/dev/null
done

# ---- a keeper killed by hand is replaced -------------------------------------------------
bfs_start_on "$MNT" "$BURROWFS"
bind_to "$MNT"
k=$(keeper_of "$MNT")
kill -KILL "$k"
for ((i = 0; i < 50; i++)); do
	k2=$(keeper_of "$MNT")
	[ -n "$k2" ] && [ "$k2" != "$k" ] && break
	sleep 0.1
done
check_cmd "a killed keeper is replaced by the daemon" test -n "$k2" -a "$k2" != "$k"
kill -KILL "$BFS_PID"
wait "$BFS_PID" 2>/dev/null
bfs_forget "$BFS_PID"
blocked_read
bfs_start_on "$MNT" "$BURROWFS"
wait "$READ_PID"
read -r st ms <"$T_TMP/read.rc"
check_num "with the new keeper, a read across kill -9 and start succeeds" "$st" == 0
check_cmd "... with the host's values" grep -q "^MemTotal: *$(host_memtotal) kB" "$T_TMP/read.out"

# ---- daemon and keeper killed together: the next start clears the dead mount ------------
k=$(keeper_of "$MNT")
kill -KILL "$BFS_PID" "$k"
wait "$BFS_PID" 2>/dev/null
bfs_forget "$BFS_PID"
out=$(timeout 5 head -c 64 "$BIND" 2>&1)
check_cmd "daemon and keeper killed: the old connection is gone ($out)" \
	grep -Eq "not connected|connection abort" <<<"$out"
bfs_start_on "$MNT" "$BURROWFS"
check_cmd "the next start detached the dead mount" grep -q "Detached 1 dead" "$BFS_LOG"
check_cmd "... and serves" grep -q "^MemTotal: *$(host_memtotal) kB" "$MNT/proc/meminfo"
