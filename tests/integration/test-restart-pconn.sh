#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 14: restarts stay invisible on every per-container connection.
# Three containers (unshare, each in a cgroup of the test's own with its own
# memory limit) get their own connections from a burrowfs control socket
# (pconn-attach), and each reads in a loop through it (pconn-lib.sh's
# reader): /proc/meminfo (MemTotal must be its own limit, the text whole),
# /proc/stat (whole: the "cpu " row first, "softirq" last) and a
# /proc/meminfo handle held open across everything. A fourth container reads
# the same through the shared mount, for the stall a restart costs there.
# Then burrowfs is
#   - keeper: ended by SIGTERM and started again, killed with -9 and started
#     again, upgraded (a copy of the binary takes over while it serves), and
#     killed with -9 and started only 0.5 s later (reads must wait for it:
#     the longest is then at least 300 ms, and none fails);
#   - under systemd (test-restart-helper.py's stand-in: the fd store,
#     KillMode=control-group, so the keeper dies too): restarted, and
#     crashed (kill -9, Restart=on-failure);
# and after each: 0 failed reads and 0 wrong values in every container, the
# new daemon took over all three connections (made none) and serves their
# requests, connections_live stays 3. The longest read across each restart
# is printed for the connections and for the shared mount. The keeper holds
# 3 fds per connection, and no more after every restart; a container that
# ends while no daemon runs loses its connection at the next start, and the
# keeper its fds. At the end the containers stop: no connection is left, the
# keeper's fds are back where they were before the first attach, and the fd
# store holds none of them.
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/pconn-lib.sh"
t_init
[ -n "$PYTHON" ] || die "needs python3"
[ -x "$PCONN_ATTACH" ] || die "pconn-attach not built at $PCONN_ATTACH"
for tool in unshare nsenter pgrep mkfifo; do
	command -v "$tool" >/dev/null || die "needs $tool"
done
[ -n "$(cg_ctrl_dir memory x)" ] || die "needs the memory controller"
HELPER=$T_DIR/test-restart-helper.py
CT_TIMEOUT=120
CACHE_MS=100
# Readers end by themselves after this long, should the test not stop them.
READ_SECS=100

# reader_shared NAME MNT REL WANT: the reader in a new container in REL bound to MNT's files.
reader_shared() {
	: >"$T_TMP/$1.log"
	ct_run "$2" "$3" "$PYTHON" -c "$READER_PY" "$STOP" "$T_TMP/$1.log" "$4" "$READ_SECS" \
		"${READ_STAT:-yes}" \
		>"$T_TMP/$1.out" 2>&1 &
	READERS+=("$1:$!")
}

# torn_out NAME: the WRONG lines on stdin, less, for the shared mount, a
# /proc/stat read that joined two renders. There a handle opened before a
# restart is rendered again by the next daemon (ops.c, read_foreign), so a
# reader that had the whole file and asks once more at its end gets the new
# render's tail when it grew: the shared mount's known limit, which the
# per-container connections' records remove. readers_check notes each one.
torn_out() {
	if [ "$1" == shared ]; then
		grep -v '^WRONG [0-9]* stat '
	else
		cat
	fi
}

# readers_check KIND T0: since T0 (the restart began) every reader goes on,
# none failed a read or saw a wrong value; notes the longest stalls.
readers_check() {
	local kind=$1 t0=$2 t1 r name pid log nerr nwrong g pmax=0 smax=0
	t1=$(date +%s%N)
	for r in "${READERS[@]}"; do
		name=${r%%:*} pid=${r#*:} log=$T_TMP/${r%%:*}.log
		check_cmd "$kind, $name: the reader goes on" wait_ticks "$log" "$pid" "$t1"
		nerr=$(awk -v t="$t0" '$1 == "ERR" && $2 >= t' "$log" | wc -l)
		nwrong=$(awk -v t="$t0" '$1 == "WRONG" && $2 >= t' "$log" | torn_out "$name" | wc -l)
		check_num "$kind, $name: failed reads ($(awk -v t="$t0" '$1 == "ERR" && $2 >= t' "$log" | head -2))" \
			"$nerr" == 0
		check_num "$kind, $name: wrong values ($(awk -v t="$t0" '$1 == "WRONG" && $2 >= t' "$log" | torn_out "$name" | head -2))" \
			"$nwrong" == 0
		[ "$name" != shared ] || awk -v t="$t0" '$1 == "WRONG" && $2 >= t && $3 == "stat"' "$log" |
			while IFS= read -r line; do
				note "$kind, shared mount: a /proc/stat read joined two renders: $line"
			done
		g=$(gap "$log" "$t0" "$t1")
		if [ "$name" == shared ]; then
			smax=$g
		elif awk -v a="$g" -v b="$pmax" 'BEGIN { exit !(a > b) }'; then
			pmax=$g
		fi
	done
	note "$kind: longest read across the restart: $pmax ms per-container, $smax ms shared mount"
	STALLS+="$kind: $pmax ms per-container, $smax ms shared; "
}

# daemon_check KIND SOCK LOG N: the new daemon took the three connections
# over and serves them; LOG says so for the Nth time.
daemon_check() {
	local kind=$1 sock=$2 log=$3 n=$4 r0 i
	check_num "$kind: connections_live" "$(pc_stat "$sock" connections_live)" == 3
	check_num "$kind: connections_adopted by the new daemon" \
		"$(pc_stat "$sock" connections_adopted)" == 3
	check_num "$kind: connections_made by the new daemon (none needed)" \
		"$(pc_stat "$sock" connections_made)" == 0
	check_num "$kind: the new daemon says so" \
		"$(grep -c "Took over 3 per-container connection(s) of an earlier burrowfs; 0 ended" "$log")" \
		== "$n"
	r0=$(pc_requests "$sock")
	for ((i = 0; i < 50; i++)); do
		[ "$(pc_requests "$sock")" -gt "$r0" ] && break
		sleep 0.1
	done
	check_num "$kind: the new daemon serves the connections' requests" \
		"$(pc_requests "$sock")" ">" "$r0"
}

# readers_finish: stop the readers; each ended cleanly, read often, and never failed.
readers_finish() {
	local r name pid log
	touch "$STOP"
	for r in "${READERS[@]}"; do
		name=${r%%:*} pid=${r#*:} log=$T_TMP/${r%%:*}.log
		wait "$pid"
		check_num "$name: the reader exited with 0 ($(tail -c 200 "$T_TMP/$name.out"))" $? == 0
		check_cmd "$name: the reader finished" grep -q "^DONE" "$log"
		check_num "$name: reads" "$(awk '$1 == "COUNT" { print $2 }' "$log")" ">" 100
		check_eq "$name: not one read failed or was wrong" \
			"$(grep -E '^(ERR|WRONG)' "$log" | torn_out "$name" | head -3)" ""
	done
	READERS=()
}

# containers SOCK SET: three containers in cgroups SET-a, -b, -c, attached to
# SOCK; sets UPS (their unshares), CTS ("name:init pid:MemTotal kB" each) and
# A_PID (the first one's init).
containers() {
	local sock=$1 set=$2 i mb out
	UPS=() CTS=()
	for i in a b c; do
		case $i in a) mb=160 ;; b) mb=224 ;; c) mb=288 ;; esac
		cg_new "$set-$i"
		cg_set "$set-$i" mem $((mb << 20)) || die "cannot set a memory limit"
		pc_start "$set-$i"
		out=$(timeout 20 "$PCONN_ATTACH" attach "$sock" "$PC_PID" 2>&1)
		[[ "$out" == placed\ * ]] || die "cannot attach $set-$i: $out"
		UPS+=("$PC_UP") CTS+=("$set-$i:$PC_PID:$((mb << 10))")
		[ "$i" != a ] || A_PID=$PC_PID
	done
}

# readers MNT STOPFILE: a reader in each of CTS's containers, one through
# MNT's shared mount in a new container; waits until each has read.
readers() {
	local c r f
	STOP=$2
	for c in "${CTS[@]}"; do
		IFS=: read -r -a f <<<"$c"
		reader_in "${f[0]}" "${f[1]}" "${f[2]}"
	done
	reader_shared shared "$1" shared $((128 << 10))
	for r in "${READERS[@]}"; do
		wait_ticks "$T_TMP/${r%%:*}.log" "${r#*:}" 0 ||
			die "reader ${r%%:*} never read: $(cat "$T_TMP/${r%%:*}.out")"
	done
}

keeper_pid() {
	pgrep -f -- "--keeper $1 " | head -n1
}

cg_new shared
cg_set shared mem $((128 << 20)) || die "cannot set a memory limit"
STALLS=""

# ==== 1. the keeper ====================================================================
SOCK=$T_TMP/ctl.sock
OPTS=(--control-socket "$SOCK" --cache-ms "$CACHE_MS")
bfs_start "${OPTS[@]}"
MNT=$BFS_MNT
KEEPER=$(keeper_pid "$MNT")
[ -n "$KEEPER" ] || die "no keeper for $MNT"
KFDS0=$(nfds "$KEEPER")
containers "$SOCK" k
readers "$MNT" "$T_TMP/stop1"
check_num "three connections" "$(pc_stat "$SOCK" connections_live)" == 3
KFDS=$(nfds "$KEEPER")
note "the keeper holds $(((KFDS - KFDS0) / 3)) fds per kept connection ($KFDS0 before, $KFDS with 3)"
check_num "the keeper holds 3 fds per kept connection (device, root mount, record)" \
	$((KFDS - KFDS0)) == 9
sleep 0.5

t0=$(date +%s%N)
old=$BFS_PID
kill -TERM "$old"
wait "$old"
check_num "SIGTERM: burrowfs exits with 0" $? == 0
bfs_forget "$old"
check_cmd "SIGTERM: it left the connections to the keeper" \
	grep -q "3 per-container connection(s) left to the keeper" "$BFS_LOG"
bfs_start_on "$MNT" "$BURROWFS" "${OPTS[@]}"
readers_check "SIGTERM and start" "$t0"
daemon_check "SIGTERM and start" "$SOCK" "$BFS_LOG" 1

t0=$(date +%s%N)
old=$BFS_PID
kill -KILL "$old"
wait "$old" 2>/dev/null
bfs_forget "$old"
bfs_start_on "$MNT" "$BURROWFS" "${OPTS[@]}"
readers_check "kill -9 and start" "$t0"
daemon_check "kill -9 and start" "$SOCK" "$BFS_LOG" 1

cp "$BURROWFS" "$T_TMP/burrowfs-upgrade"
t0=$(date +%s%N)
old=$BFS_PID
bfs_start_on "$MNT" "$T_TMP/burrowfs-upgrade" "${OPTS[@]}"
wait "$old"
check_num "upgrade: the old burrowfs handed over and exited with 0" $? == 0
bfs_forget "$old"
check_cmd "upgrade: the copy serves" bash -c "readlink /proc/$BFS_PID/exe | grep -q burrowfs-upgrade"
readers_check "upgrade" "$t0"
daemon_check "upgrade" "$SOCK" "$BFS_LOG" 1
# The taken-over root mount still gives clones: a second attach needs no new connection.
out=$(timeout 20 "$PCONN_ATTACH" ask "$SOCK" "$A_PID")
check_cmd "a container attached again after the upgrade gets its files ($out)" \
	grep -q "^ok [1-9]" <<<"$out"
check_num "... from its taken-over connection (none made)" "$(pc_stat "$SOCK" connections_made)" == 0

readers_finish

# kill -9 with requests in flight: with --cache-ms 0 every open and read of
# the readers reaches the daemon (thousands a second), so a kill catches some
# read and not answered; the kernel resends them to the next daemon
# (FUSE_NOTIFY_RESEND), or their readers would wait for good. Without
# /proc/stat: a render per request changes its size between one read() and
# the next of a reader, which then gets the tail of a newer render (the
# per-container connections' page cache, restart or not).
old=$BFS_PID
kill -TERM "$old"
wait "$old"
bfs_forget "$old"
bfs_start_on "$MNT" "$BURROWFS" --control-socket "$SOCK" --cache-ms 0
READ_STAT=no readers "$MNT" "$T_TMP/stop2"
r0=$(pc_requests "$SOCK")
sleep 0.5
note "with --cache-ms 0: $(($(pc_requests "$SOCK") - r0)) requests in 0.5 s on the three connections"
for n in 1 2 3; do
	t0=$(date +%s%N)
	old=$BFS_PID
	kill -KILL "$old"
	wait "$old" 2>/dev/null
	bfs_forget "$old"
	bfs_start_on "$MNT" "$BURROWFS" --control-socket "$SOCK" --cache-ms 0
	readers_check "kill -9 under load ($n)" "$t0"
	daemon_check "kill -9 under load ($n)" "$SOCK" "$BFS_LOG" 1
	sleep 0.3
done
readers_finish

# Half a second with no daemon at all: past the attributes' TTL every reader
# needs the daemon, and its reads wait in the kernel for the next one.
old=$BFS_PID
kill -TERM "$old"
wait "$old"
bfs_forget "$old"
bfs_start_on "$MNT" "$BURROWFS" "${OPTS[@]}"
readers "$MNT" "$T_TMP/stop3"
sleep 0.3
t0=$(date +%s%N)
old=$BFS_PID
kill -KILL "$old"
wait "$old" 2>/dev/null
bfs_forget "$old"
sleep 0.5
bfs_start_on "$MNT" "$BURROWFS" "${OPTS[@]}"
readers_check "kill -9, 0.5 s, start" "$t0"
daemon_check "kill -9, 0.5 s, start" "$SOCK" "$BFS_LOG" 1
check_cmd "kill -9, 0.5 s, start: the connections' reads waited for the next daemon (>= 300 ms)" \
	awk -v p="${STALLS##*kill -9, 0.5 s, start: }" 'BEGIN { exit !(p + 0 >= 300) }'

check_eq "the same keeper throughout" "$(keeper_pid "$MNT")" "$KEEPER"
check_num "the keeper still holds 3 fds per connection, no more" "$(nfds "$KEEPER")" == "$KFDS"
readers_finish

# A container that ends while no daemon runs: the next one ends its connection.
# It held nodes of the daemon's table (its cpuN/ directories): the next
# daemon gives them back from its record, though no FORGET ever comes.
IFS=: read -r -a f <<<"${CTS[2]}"
nodes_a=$(pc_stat "$SOCK" nodes_live)
timeout 20 nsenter -t "${f[1]}" -U -m -p -- find /sys/devices/system/cpu -maxdepth 2 >/dev/null
nodes_b=$(pc_stat "$SOCK" nodes_live)
check_num "${f[0]} holds nodes of the table ($nodes_a before its walk of sys/devices/system/cpu)" \
	"$nodes_b" ">" "$nodes_a"
old=$BFS_PID
kill -KILL "$old"
wait "$old" 2>/dev/null
bfs_forget "$old"
pc_stop "${UPS[2]}"
# Its init gone for good (SIGKILL is delivered a moment after its unshare ends).
IFS=: read -r -a f <<<"${CTS[2]}"
wait_for 10 bash -c "! grep -q '^State:.*[RSD]' /proc/${f[1]}/status 2>/dev/null" ||
	die "the init of ${f[0]} did not end"
bfs_start_on "$MNT" "$BURROWFS" "${OPTS[@]}"
check_cmd "a container gone while no daemon ran: its connection ends at the next start" \
	grep -q "Took over 2 per-container connection(s) of an earlier burrowfs; 1 ended" "$BFS_LOG"
check_num "... two live" "$(pc_stat "$SOCK" connections_live)" == 2
check_num "... and the nodes its kernel held went back to the table" \
	"$(pc_stat "$SOCK" nodes_live)" "<=" "$nodes_a"
check_cmd "... the keeper let go of its 3 fds" \
	wait_for 10 bash -c "[ \$(ls /proc/$KEEPER/fd | wc -l) -eq $((KFDS - 3)) ]"
for up in "${UPS[@]}"; do
	pc_stop "$up"
done
check_cmd "the containers ended: no connection left" wait_for 10 live_is "$SOCK" 0
check_cmd "... and the keeper's fds are back to $KFDS0" \
	wait_for 10 bash -c "[ \$(ls /proc/$KEEPER/fd | wc -l) -eq $KFDS0 ]"
check_cmd "the daemon logged no error" bash -c "! grep -q -e ERROR -e 'read failed' '$BFS_LOG'"

# ==== 1b. a cgroup tree's connection ====================================================
# A container attached with its cgroup tree has two connections, and the
# record of each says which it is: after kill -9 and start, and after an
# upgrade, the new daemon serves the tree's (its files opened as the
# caller, entries the kernel still holds) and the rendered files' again.
MEMH=memory
if [ -d "$MNT/cgroup/$MEMH" ] && [ -n "${CG_V1[memory]:-}" ]; then
	CGD=$T_TMP/cgtree
	for h in $(ls "$MNT/cgroup"); do mkdir -p "$CGD/$h"; done
	cg_new tree
	cg_set tree mem $((200 << 20)) || die "cannot set a memory limit"
	pc_start tree
	T_UP=$PC_UP T_PID=$PC_PID
	nodes0=$(pc_stat "$SOCK" nodes_live)
	out=$(timeout 20 "$PCONN_ATTACH" attach-cg "$SOCK" "$T_PID" "$CGD" 2>&1)
	[[ "$out" == placed\ *\ cgroup\ * ]] || die "cannot attach the tree container: $out"
	TF=$CGD/$MEMH/$CG_BASE/tree/memory.limit_in_bytes
	tree_limit() { timeout 20 nsenter -t "$T_PID" -U -m -p -- cat "$TF"; }
	check_eq "tree: its limit through its own tree" "$(tree_limit)" $((200 << 20))
	# Its kernels now hold nodes of the daemon's table (cpuN/, the tree's
	# directories and files), which the restarts below must not lose count of.
	held=$(timeout 20 nsenter -t "$T_PID" -U -m -p -- \
		find /sys/devices/system/cpu "$CGD/$MEMH/$CG_BASE" -maxdepth 3 | wc -l)
	check_num "tree: its connections hold nodes of the table ($held paths walked)" \
		"$(pc_stat "$SOCK" nodes_live)" ">" "$nodes0"
	check_num "tree: two connections" "$(pc_stat "$SOCK" connections_live)" == 2
	mb=240
	for how in "kill -9" upgrade; do
		t0=$(date +%s%N)
		old=$BFS_PID
		if [ "$how" == upgrade ]; then
			bfs_start_on "$MNT" "$T_TMP/burrowfs-upgrade" "${OPTS[@]}"
			wait "$old"
		else
			kill -KILL "$old"
			wait "$old" 2>/dev/null
			bfs_start_on "$MNT" "$BURROWFS" "${OPTS[@]}"
		fi
		bfs_forget "$old"
		check_num "tree, $how: both connections taken over" \
			"$(pc_stat "$SOCK" connections_adopted)" == 2
		check_num "tree, $how: none made" "$(pc_stat "$SOCK" connections_made)" == 0
		check_eq "tree, $how: the limit read through the taken-over tree" "$(tree_limit)" \
			"$(cat "$(cg_ctrl_dir memory tree)/memory.limit_in_bytes")"
		cg_set tree mem $((mb << 20))
		check_cmd "tree, $how: a new limit ($mb MB) shows through it" \
			wait_for 5 bash -c "[ \"\$(timeout 20 nsenter -t $T_PID -U -m -p -- cat '$TF')\" == $((mb << 20)) ]"
		# Within --cache-ms plus one TTL (the render the kernel was last told of lives that long).
		check_cmd "tree, $how: its MemTotal ($((mb << 10)) kB) through its rendered files' connection" \
			wait_for 3 bash -c "[ \"\$(timeout 20 nsenter -t $T_PID -U -m -p -- awk '\$1 == \"MemTotal:\" { print \$2 }' /proc/meminfo)\" == $((mb << 10)) ]"
		mb=$((mb + 40))
	done
	pc_stop "$T_UP"
	check_cmd "tree: the container ended, both connections with it" wait_for 10 live_is "$SOCK" 0
	# Taken over twice, its connections still gave back every node their
	# kernels held, those looked up before the restarts too (the records
	# carry the counts): none is left in the table.
	nodes_back() { [ "$(pc_stat "$SOCK" nodes_live)" -le "$nodes0" ]; }
	check_cmd "tree: the node table is back to $nodes0 nodes (has $(pc_stat "$SOCK" nodes_live))" \
		wait_for 5 nodes_back
else
	note "no v1 memory hierarchy: the cgroup tree's connection across restarts is not tested here"
fi

# ==== 2. systemd: the fd store ============================================================
cg_new unit
PROCS=$(cg_ctrl_dir pids unit || cg_ctrl_dir memory unit)/cgroup.procs
[ -e "$PROCS" ] || die "no cgroup.procs for the unit at $PROCS"
MNT2=$T_TMP/mnt-unit
SOCK2=$T_TMP/ctl2.sock
mkdir "$MNT2"
CTL=$T_TMP/unit.ctl
STATUS=$T_TMP/unit.status
mkfifo "$CTL"
: >"$STATUS"
"$PYTHON" "$HELPER" systemd "$PROCS" "$MNT2" "$BURROWFS" "$CTL" "$STATUS" \
	--control-socket "$SOCK2" --cache-ms "$CACHE_MS" >"$T_TMP/unit.out" 2>&1 &
UNIT=$!
defer "kill $UNIT 2>/dev/null; timeout 10 '$BURROWFS' --stop '$MNT2' >/dev/null 2>&1; rmdir '$MNT2' 2>/dev/null"

# pconn_names: how many of the fd store's names are per-container connections'.
pconn_names() {
	awk '$1 == "STORE" { s = $2 } END { print s }' "$STATUS" | tr ',' '\n' | grep -c '^pconn-'
}
store_has() { [ "$(pconn_names)" == "$1" ]; }

check_cmd "burrowfs gets ready under the fake systemd" wait_for 10 grep -q "^READY" "$STATUS"
containers "$SOCK2" s
readers "$MNT2" "$T_TMP/stop4"
check_cmd "the fd store holds 3 fds of each of the 3 connections" wait_for 5 store_has 9
sleep 0.5
k=0
for cmd in restart crash; do
	k=$((k + 1))
	n=$(grep -c "^DID" "$STATUS")
	kp=$(keeper_pid "$MNT2")
	t0=$(date +%s%N)
	echo "$cmd" >"$CTL"
	wait_for 20 bash -c "[ \$(grep -c '^DID' '$STATUS') -gt $n ]" ||
		die "systemd $cmd did not finish: $(tail -3 "$STATUS")"
	readers_check "systemd $cmd" "$t0"
	check_cmd "systemd $cmd: the keeper died with the unit (the fd store carried them)" \
		test -n "$kp" -a "$(keeper_pid "$MNT2")" != "$kp"
	# The unit's daemons share one log: the kth restart's daemon says it the kth time.
	daemon_check "systemd $cmd" "$SOCK2" "$T_TMP/unit.out" "$k"
	check_num "systemd $cmd: the fd store still holds the 3 connections" "$(pconn_names)" == 9
done
readers_finish
for up in "${UPS[@]}"; do
	pc_stop "$up"
done
check_cmd "systemd: the containers ended, no connection left" wait_for 10 live_is "$SOCK2" 0
check_cmd "... and the fd store holds none of them" wait_for 10 store_has 0
echo stop >"$CTL"
check_cmd "systemd stop: done" wait_for 15 grep -q "^STOPPED" "$STATUS"
check_cmd "no daemon under the unit logged an error" \
	bash -c "! grep -q -e ERROR -e 'read failed' '$T_TMP/unit.out'"

note "longest read across each restart: $STALLS"
