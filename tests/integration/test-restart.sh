#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Restarts that containers don't notice. A container in a limited cgroup (pid 1
# of its own pid namespace, burrowfs's files bound over its /proc and
# /sys/devices/system/cpu, as a runtime or a hook binds them) reads in a loop
# from four threads: meminfo whole, a meminfo and a sysfs file held open
# across restarts, every other file, and sysfs directories (dynamic inodes).
# Meanwhile burrowfs is restarted
#   1. by SIGTERM and a new start (the host mount stays, held by the keeper),
#   2. by kill -9 and a new start,
#   3. by an upgrade: a copy of the binary started while the old one serves,
#   4. by kill -9 with requests caught mid-flight (frozen in the daemon), the
#      kernel resending them (FUSE_NOTIFY_RESEND),
#   5. the same, answered from the journal (the path of kernels < 6.9),
# and after each: not one failed read, MemTotal always the cgroup's limit,
# and the longest read across the restart is printed (the gap a reader sees).
source "$(dirname "$0")/../lib/lib.sh"
t_init
[ -n "$PYTHON" ] || skip "no python3"
HELPER=$T_DIR/test-restart-helper.py
# The container reads across every restart below.
CT_TIMEOUT=240

LIMIT=$((200 * 1024 * 1024))
cg_new r1
cg_set r1 mem "$LIMIT" || die "cannot set a memory limit"
WANT=$((LIMIT / 1024))

bfs_start
MNT=$BFS_MNT
STOP=$T_TMP/stop
RLOG=$T_TMP/reader.log
: >"$RLOG"
ct_run "$MNT" r1 "$PYTHON" "$HELPER" reader "$STOP" "$RLOG" "$WANT" \
	/proc/cpuinfo /proc/stat /proc/uptime /proc/loadavg /proc/diskstats /proc/swaps \
	/proc/slabinfo /sys/devices/system/cpu/online >"$T_TMP/ct.out" 2>&1 &
CT=$!
defer "touch '$STOP'"

# ticks_after NS: the reader made progress after time NS (date +%s%N).
ticks_after() {
	awk -v t="$1" '$1 == "TICK" && $2 > t { f = 1 } END { exit !f }' "$RLOG"
}

wait_ticks() {
	local t=$1 i
	for ((i = 0; i < 100; i++)); do
		ticks_after "$t" && return 0
		kill -0 "$CT" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

wait_ticks 0 || die "the container never read (see $T_TMP/ct.out: $(cat "$T_TMP/ct.out"))"

# phase_check NAME T0: after the restart that began at T0, the reader goes on,
# nothing failed since T0, and the longest read that began after T0 - 1 s.
phase_check() {
	local name=$1 t0=$2 t1 bad gap
	t1=$(date +%s%N)
	check_cmd "$name: the container reads on" wait_ticks "$t1"
	bad=$(awk -v t="$t0" '($1 == "ERR" || $1 == "WRONG") && $2 >= t' "$RLOG")
	check_eq "$name: no read failed or saw another value" "$bad" ""
	# Reads that began up to 100 ms before: some were in flight at a kill.
	gap=$(awk -v t="$((t0 - 100000000))" -v e="$t1" '$1 == "SLOW" && $2 >= t && $2 <= e &&
		$3 > m { m = $3 } END { printf "%.1f", m + 0 }' "$RLOG")
	note "$name: longest read across the restart: $gap ms"
	GAPS+="$name=$gap ms; "
}

# sigterm_exit PID: SIGTERM, then the time until the process is gone, in ms.
sigterm_exit() {
	local pid=$1 t0 t1 st
	t0=$(date +%s%N)
	kill -TERM "$pid"
	wait "$pid"
	st=$?
	t1=$(date +%s%N)
	check_eq "SIGTERM: burrowfs exits with 0" "$st" 0
	EXIT_MS=$(((t1 - t0) / 1000000))
}

sleep 1

# ---- 1. SIGTERM and start ---------------------------------------------------------
t0=$(date +%s%N)
old=$BFS_PID
sigterm_exit "$old"
bfs_forget "$old"
note "SIGTERM under load: exit took $EXIT_MS ms (measured by tests/bench/bench-sigterm.sh)"
check_cmd "SIGTERM: the host mountpoint stays mounted (the keeper holds it)" t_mounted "$MNT"
bfs_start_on "$MNT" "$BURROWFS"
check_cmd "after SIGTERM: the new burrowfs took the connection over" grep -q "Took over" "$BFS_LOG"
phase_check "SIGTERM and start" "$t0"

# ---- 2. kill -9 and start -----------------------------------------------------------
t0=$(date +%s%N)
old=$BFS_PID
kill -KILL "$old"
wait "$old" 2>/dev/null
bfs_forget "$old"
bfs_start_on "$MNT" "$BURROWFS"
check_cmd "after kill -9: the new burrowfs took the connection over" grep -q "Took over" "$BFS_LOG"
phase_check "kill -9 and start" "$t0"

# ---- 3. upgrade: another binary takes over while the old one serves ------------------
cp "$BURROWFS" "$T_TMP/burrowfs-upgrade"
t0=$(date +%s%N)
old=$BFS_PID
bfs_start_on "$MNT" "$T_TMP/burrowfs-upgrade"
wait "$old"
check_num "upgrade: the old burrowfs handed over and exited with 0" $? == 0
bfs_forget "$old"
check_cmd "upgrade: the new binary serves" \
	bash -c "readlink /proc/$BFS_PID/exe | grep -q burrowfs-upgrade"
phase_check "upgrade (takeover)" "$t0"

# ---- 4, 5. kill -9 with requests in flight ---------------------------------------------
# The daemon is frozen (cgroup v2 freezer) while it serves the container;
# its journal then shows requests it read and never answered. Killed so, they
# are left in the kernel's processing queue; the next daemon must answer them.
kernel_at_least() {
	local maj min
	IFS=. read -r maj min _ <<<"$(uname -r)"
	[ "$maj" -gt "$1" ] || { [ "$maj" -eq "$1" ] && [ "${min%%[!0-9]*}" -ge "$2" ]; }
}

keeper_pid() {
	pgrep -f -- "--keeper $MNT " | head -n1
}

freeze_inflight() {
	local pid=$1 frz=$2 k j n try
	k=$(keeper_pid)
	[ -n "$k" ] || return 1
	j=/proc/$k/fd/4
	echo "$pid" >"$frz/cgroup.procs" || return 1
	for ((try = 0; try < 100; try++)); do
		echo 1 >"$frz/cgroup.freeze"
		for ((n = 0; n < 50; n++)); do
			grep -q "^frozen 1" "$frz/cgroup.events" && break
			sleep 0.01
		done
		read -r n INFLIGHT_OPS < <("$PYTHON" "$HELPER" journal "$j")
		if [ "${n:-0}" -gt 0 ]; then
			INFLIGHT=$n
			return 0
		fi
		echo 0 >"$frz/cgroup.freeze"
		sleep "0.0$((RANDOM % 9 + 1))"
	done
	return 1
}

inflight_phase() {
	local name=$1 frz=$CG_V2/$CG_BASE-frz t0 old
	shift
	mkdir -p "$frz"
	t0=$(date +%s%N)
	old=$BFS_PID
	if ! freeze_inflight "$old" "$frz"; then
		echo 0 >"$frz/cgroup.freeze"
		t_not_ok "$name: caught no request in flight"
		return
	fi
	note "$name: $INFLIGHT request(s) in flight when killed (opcodes $INFLIGHT_OPS)"
	kill -KILL "$old"
	echo 0 >"$frz/cgroup.freeze"
	wait "$old" 2>/dev/null
	bfs_forget "$old"
	rmdir "$frz" 2>/dev/null
	"$@"
	phase_check "$name" "$t0"
}

if [ -n "$CG_V2" ] && mkdir "$CG_V2/$CG_BASE-probe" 2>/dev/null &&
	[ -e "$CG_V2/$CG_BASE-probe/cgroup.freeze" ]; then
	rmdir "$CG_V2/$CG_BASE-probe"
	defer "rmdir '$CG_V2/$CG_BASE-frz' 2>/dev/null"
	if kernel_at_least 6 9; then
		inflight_phase "kill -9 mid-request, kernel resend" bfs_start_on "$MNT" "$BURROWFS"
		check_cmd "resend: the kernel requeued the requests" \
			grep -q "the kernel resends" "$BFS_LOG"
	else
		note "kernel $(uname -r) has no FUSE_NOTIFY_RESEND: the journal path below covers it"
	fi
	BURROWFS_NO_RESEND=1 inflight_phase "kill -9 mid-request, journal replay" \
		bfs_start_on "$MNT" "$BURROWFS"
	check_cmd "journal: the new burrowfs replayed what was in flight" \
		grep -Eq "[1-9][0-9]* request\(s\) replayed" "$BFS_LOG"
else
	rmdir "$CG_V2/$CG_BASE-probe" 2>/dev/null
	note "no cgroup v2 freezer: requests in flight at a kill are not caught on purpose"
fi

# ---- the container saw nothing ---------------------------------------------------------
sleep 1
touch "$STOP"
wait "$CT"
check_num "the container's reader ended cleanly" $? == 0
check_cmd "the reader finished" grep -q "^DONE" "$RLOG"
check_eq "not one read failed or saw another cgroup's value across all restarts" \
	"$(grep -E '^(ERR|WRONG)' "$RLOG" | head -5)" ""
for kind in meminfo held files sysfs; do
	check_num "reader thread $kind read many times" \
		"$(awk -v k="$kind" '$1 == "COUNT" && $2 == k { print $3 }' "$RLOG")" ">" 10
done
out=$(ct_run "$MNT" r1 awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
check_eq "a container started after all restarts reads its limit" "$out" "$WANT"
check_eq "the host reads the host's MemTotal" \
	"$(awk '/^MemTotal:/ { print $2 }' "$MNT/proc/meminfo")" \
	"$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
note "the longest read across each restart: $GAPS"
