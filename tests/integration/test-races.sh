#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Races: pid churn and cgroup churn beside steady readers, for RACE_SECONDS
# (default 30):
#   - steady containers, each in its own limited cgroup, read in a loop
#     (meminfo, held handles, every file, sysfs): never an error, never a value
#     but their own limit;
#   - pid churn: short-lived containers (a new pid namespace and init each)
#     started four at a time, and a steady container whose reader is a new
#     process every time: each read shows its own container's limit;
#   - cgroup churn: "moving" containers are moved again and again into a new
#     cgroup with a limit of its own, and the old cgroup is removed under
#     them; meanwhile empty cgroups come and go. A moving reader may get an
#     error (its cgroup vanished under a read) but only ever sees limits of
#     cgroups it was in;
# and burrowfs neither crashes nor stops answering the host.
source "$(dirname "$0")/../lib/lib.sh"
t_init
[ -n "$PYTHON" ] || skip "no python3"
HELPER=$T_DIR/test-restart-helper.py
SECS=${RACE_SECONDS:-30}
CT_TIMEOUT=$((SECS + 90))
MIB=$((1024 * 1024))

bfs_start
MNT=$BFS_MNT
STOP=$T_TMP/stop
defer "touch '$STOP'"

# The memory hierarchy's directory of REL, where processes are listed.
mem_dir() {
	cg_ctrl_dir memory "$1"
}

# ---- steady readers --------------------------------------------------------------------
STEADY="s1 s2 s3"
k=0
for s in $STEADY; do
	k=$((k + 1))
	cg_new "$s"
	cg_set "$s" mem $(((100 + k) * MIB)) || die "cannot set a memory limit"
	: >"$T_TMP/$s.log"
	ct_run "$MNT" "$s" "$PYTHON" "$HELPER" reader "$STOP" "$T_TMP/$s.log" $(((100 + k) * 1024)) \
		/proc/cpuinfo /proc/stat /proc/uptime /proc/loadavg /sys/devices/system/cpu/online \
		>"$T_TMP/$s.out" 2>&1 &
	eval "CT_$s=\$!"
done

# A steady container whose reader is a new process each time (pid churn in one namespace).
cg_new p0
cg_set p0 mem $((120 * MIB))
ct_run "$MNT" p0 bash -c "while [ ! -e '$STOP' ]; do
	awk '/^MemTotal:/ { print \$2 }' /proc/meminfo || echo ERR; done" >"$T_TMP/p0.out" 2>&1 &
CT_p0=$!

# ---- moving readers ----------------------------------------------------------------------
MOVING="m1 m2"
declare -A GEN
k=0
for m in $MOVING; do
	k=$((k + 1))
	GEN[$m]=0
	cg_new "$m-0"
	cg_set "$m-0" mem $(((200 + 64 * k) * MIB))
	: >"$T_TMP/$m.log"
	ct_run "$MNT" "$m-0" "$PYTHON" "$HELPER" reader "$STOP" "$T_TMP/$m.log" any \
		/proc/stat /proc/uptime >"$T_TMP/$m.out" 2>&1 &
	eval "CT_$m=\$!"
done

# move M: the next cgroup of moving container M (limit 200 + 64k + gen MiB),
# every process moved into it, then the old one removed in every hierarchy.
move() {
	local m=$1 k=${1#m} old new pid root
	old="$m-${GEN[$m]}"
	GEN[$m]=$((GEN[$m] + 1))
	new="$m-${GEN[$m]}"
	cg_new "$new"
	cg_set "$new" mem $(((200 + 64 * k + GEN[$m] % 60) * MIB))
	while IFS= read -r root; do
		while read -r pid; do
			echo "$pid" >"$root/$CG_BASE/$new/cgroup.procs" 2>/dev/null
		done <"$root/$CG_BASE/$old/cgroup.procs"
	done < <(cg_roots)
	while IFS= read -r root; do
		rmdir "$root/$CG_BASE/$old" 2>/dev/null
	done < <(cg_roots)
}

sleep 1
END=$((SECONDS + SECS))

# ---- cgroup churn ------------------------------------------------------------------------
(
	while [ "$SECONDS" -lt "$END" ]; do
		for m in $MOVING; do
			move "$m"
		done
		for e in 1 2 3 4 5; do
			cg_new "empty-$e" && cg_set "empty-$e" mem $(((900 + e) * MIB))
		done
		while IFS= read -r root; do
			for e in 1 2 3 4 5; do
				rmdir "$root/$CG_BASE/empty-$e" 2>/dev/null
			done
		done < <(cg_roots)
		sleep 0.2
	done
	# The moving containers' last cgroups, for the checks below.
	for m in $MOVING; do
		echo "$m ${GEN[$m]}"
	done >"$T_TMP/gens"
) &
CHURN=$!

# ---- pid churn: short-lived containers -------------------------------------------------
for p in 1 2; do
	cg_new "p$p"
	cg_set "p$p" mem $(((140 + p) * MIB))
done
# Four at a time, waited for by pid: the steady containers and the churn are
# jobs too, and "wait -n" could be answered by one of them.
SHORT=0 SLOWEST=0
while [ "$SECONDS" -lt "$END" ]; do
	t0=$(date +%s%N)
	batch=()
	for p in 1 2 1 2; do
		ct_run "$MNT" "p$p" awk '/^MemTotal:/ { print $2 }' /proc/meminfo \
			>"$T_TMP/short.$SHORT.$p" 2>&1 &
		batch+=($!)
		SHORT=$((SHORT + 1))
	done
	wait "${batch[@]}"
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -le "$SLOWEST" ] || SLOWEST=$ms
	if ! kill -0 "$BFS_PID" 2>/dev/null; then
		break
	fi
done
note "pid churn: $SHORT short-lived containers, the slowest batch of 4 took $SLOWEST ms"
wait "$CHURN"
touch "$STOP"
for c in $STEADY p0 $MOVING; do
	eval "wait \$CT_$c"
	check_num "container $c ended cleanly" $? == 0
done

check_cmd "burrowfs survived the churn" kill -0 "$BFS_PID"
check_eq "burrowfs still answers the host" "$(awk '/^MemTotal:/ { print $2 }' "$MNT/proc/meminfo")" \
	"$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"

# ---- what each saw -----------------------------------------------------------------------
k=0
for s in $STEADY; do
	k=$((k + 1))
	check_eq "steady $s: no error, no other value" \
		"$(grep -E '^(ERR|WRONG)' "$T_TMP/$s.log" | head -3)" ""
	check_num "steady $s read many times" \
		"$(awk '$1 == "COUNT" && $2 == "meminfo" { print $3 }' "$T_TMP/$s.log")" ">" 100
done
check_eq "pid churn in one namespace: every read showed its limit" \
	"$(sort -u "$T_TMP/p0.out" | tr '\n' ' ')" "$((120 * 1024)) "
check_num "pid churn in one namespace: many readers" "$(wc -l <"$T_TMP/p0.out")" ">" 100
bad=""
for ((i = 0; i < SHORT; i++)); do
	for p in 1 2; do
		f=$T_TMP/short.$i.$p
		[ -e "$f" ] || continue
		[ "$(cat "$f")" == "$(((140 + p) * 1024))" ] || bad+="$i.$p:'$(head -c 80 "$f")' "
	done
done
check_eq "pid churn: each of $SHORT short-lived containers read its own limit" "$bad" ""
check_num "pid churn: many short-lived containers" "$SHORT" ">" 20
for m in $MOVING; do
	k=${m#m}
	last=$(awk -v m="$m" '$1 == m { print $2 }' "$T_TMP/gens")
	# Every limit m's cgroups had: 200 + 64k + g % 60 MiB, g = 0..last.
	allowed=$(for ((g = 0; g <= last; g++)); do echo $(((200 + 64 * k + g % 60) * 1024)); done |
		sort -u | tr '\n' ' ')
	foreign=$(awk -v ok=" $allowed" '$1 == "VAL" && index(ok, " " $4 " ") == 0 { print $4 }' \
		"$T_TMP/$m.log" | sort -u | tr '\n' ' ')
	check_eq "moving $m ($last moves): never another cgroup's limit" "$foreign" ""
	check_num "moving $m: saw its limit change" \
		"$(awk '$1 == "VAL" && $3 == "meminfo"' "$T_TMP/$m.log" | wc -l)" ">" 3
	# Allowed: its cgroup was removed under the read.
	note "moving $m: read errors while its cgroups were removed under it:" \
		"$(awk '$1 == "ERR" { n[$3 " " $4]++ } END { for (k in n) printf "%s x%d; ", k, n[k] }' \
			"$T_TMP/$m.log")"
done
check_cmd "burrowfs logged no crash" bash -c "! grep -Eq 'AddressSanitizer|runtime error' '$BFS_LOG'"
