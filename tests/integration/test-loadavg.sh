#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# proc/loadavg: by default (-l is the default), a busy loop inside the
# container raises the container's own load within a few 5 s ticks, and the
# thread counts and last pid are the container's; with --disable-loadavg,
# and for the host reader, it is the host's file. Then the sampler's two
# ways of counting, taskstats and the per-task scan, against each other.
source "$(dirname "$0")/../lib/lib.sh"
t_init

LAST=$(($(grep '^processor' /proc/cpuinfo | tail -n1 | awk '{ print $3 }')))

# No option: per-container loadavg is the default.
bfs_start
MNT_L=$BFS_MNT
bfs_start --disable-loadavg
MNT=$BFS_MNT

cg_new l
cg_set l cpus "$LAST" || die "no cpuset controller"

# The first read makes burrowfs sample the container (as lxcfs, it tracks only
# containers that read loadavg); then two full ticks and then some: 12 s.
out=$(CT_TIMEOUT=40 ct_run "$MNT_L" l bash -c '
	echo "@@ first"; cat /proc/loadavg
	sh -c "while :; do :; done" &
	sleep 12
	echo "@@ loadavg"; cat /proc/loadavg
	echo "@@ threads"; ls -d /proc/[0-9]*/task/[0-9]* | wc -l
	kill $!') || die "container run failed"
read -r f1 f5 f15 _ <<<"$(section "$out" first)"
check_eq "a new container starts from no load" "$f1 $f5 $f15" "0.00 0.00 0.00"
read -r l1 l5 l15 rt last <<<"$(section "$out" loadavg)"
running=${rt%/*}
total=${rt#*/}
threads=$(section "$out" threads)
read -r _ _ _ host_rt _ </proc/loadavg

# From 0 with one task: 1 - e^(-5k/60) after k ticks; 12 s hold 2 or 3 ticks,
# the first of which may come before the loop starts: 0.08 to 0.22.
check_num "busy loop: 1-minute load >= 0.07 after 12 s" "$l1" ">=" 0.07
check_num "busy loop: 1-minute load <= 0.30 after 12 s" "$l1" "<=" 0.30
check_num "5-minute load > 0" "$l5" ">" 0
check_num "a rising load: 1-minute >= 5-minute" "$l1" ">=" "$l5"
check_num "a rising load: 5-minute >= 15-minute" "$l5" ">=" "$l15"
check_num "running tasks >= 1 (the loop)" "$running" ">=" 1
check_num "running tasks <= 3" "$running" "<=" 3
check_num "total threads are the container's (about $threads)" "$total" "<=" $((threads + 3))
check_num "total threads >= 2" "$total" ">=" 2
check_num "total threads below the host's (${host_rt#*/})" "$total" "<" "${host_rt#*/}"
check_num "last pid is in the container's namespace" "$last" "<=" 100
check_num "last pid >= 2" "$last" ">=" 2

# in_bounds LABEL VALUE BEFORE AFTER: the host's file, read between two reads
# of /proc/loadavg (a tick may fall in between).
in_bounds() {
	local lo hi
	lo=$(awk -v a="$3" -v b="$4" 'BEGIN { print (a < b ? a : b) }')
	hi=$(awk -v a="$3" -v b="$4" 'BEGIN { print (a > b ? a : b) }')
	check_num "$1 >= host's lower read" "$2" ">=" "$lo"
	check_num "$1 <= host's higher read" "$2" "<=" "$hi"
}

# ---- --disable-loadavg: the host's file -----------------------------------------
read -r h1 _ </proc/loadavg
out=$(ct_run "$MNT" l cat /proc/loadavg) || die "container run failed"
read -r h2 _ </proc/loadavg
read -r c1 _ _ crt _ <<<"$out"
in_bounds "--disable-loadavg, container: 1-minute load" "$c1" "$h1" "$h2"
check_num "--disable-loadavg, container: the host's thread count" "${crt#*/}" ">" "$total"

# ---- host reader, per-container loadavg on ---------------------------------------
read -r h1 _ _ _ _ </proc/loadavg
read -r b1 _ _ brt _ <<<"$(timeout 10 cat "$MNT_L/proc/loadavg")"
read -r h2 _ _ _ _ </proc/loadavg
in_bounds "default, host reader: 1-minute load" "$b1" "$h1" "$h2"
check_num "default, host reader: the host's thread count" "${brt#*/}" ">" "$total"

# ---- the sampler's count: taskstats on v1, the per-task scan elsewhere ------------
# tasks-count is a test helper of the build; the VM suite installs none.
TASKS_COUNT=${TASKS_COUNT:-$T_DIR/../../build/tests/integration/tasks-count}
if [ ! -x "$TASKS_COUNT" ]; then
	note "no tasks-count helper built: the sampler's counts are not compared"
	exit 0
fi
# Two busy loops and a sleeper in a cgroup of their own: 2 running, 0 blocked,
# however counted. ct_enter's init waits, so it adds a sleeper too.
cg_new n
CT_TIMEOUT=40 ct_sh n 'sh -c "while :; do :; done" & sh -c "while :; do :; done" & sleep 30' &
ct_pid=$!
defer "kill $ct_pid 2>/dev/null"
# Any of its processes names the container: one of ours in its cgroup.
procs=$(cg_procs_dirs n | head -n1)
member=
for _ in $(seq 50); do
	[ "$(cg_own_pids "$procs" | wc -l)" -ge 4 ] && member=$(cg_own_pids "$procs" | head -n1) && break
	sleep 0.1
done
[ -n "$member" ] || die "the counting container did not start"
sleep 0.5
count=$("$TASKS_COUNT" "$member") || die "tasks-count failed"
note "$(tr '\n' ';' <<<"$count")"
check_cmd "the container's own cgroup is sampled, not a root" \
	grep -q "^cg /.*/$CG_BASE/n " <<<"$count"
check_eq "scan: 2 running, 0 blocked" "$(awk '$1 == "scan" { print $2, $3 }' <<<"$count")" "2 0"
check_eq "sampler: 2 running, 0 blocked" "$(awk '$1 == "sampler" { print $2, $3 }' <<<"$count")" "2 0"
if grep -q ' v1$' <<<"$count"; then
	check_eq "v1: taskstats counts in one call" \
		"$(awk '$1 == "taskstats" { print $2, $3 }' <<<"$count")" "2 0"
else
	check_eq "v2: taskstats refuses, the scan counts" \
		"$(awk '$1 == "taskstats" { print $2 }' <<<"$count")" "-"
fi
kill "$ct_pid" 2>/dev/null
wait "$ct_pid" 2>/dev/null || true

# A cgroup2 directory (a pure v2 host's containers, a hybrid's unified
# hierarchy): taskstats refuses it, and the sampler counts by the scan.
if [ -n "$CG_V2" ]; then
	cg_new u
	U=$CG_V2/$CG_BASE/u
	CT_TIMEOUT=40 ct_sh u 'sh -c "while :; do :; done" & sleep 30' &
	u_pid=$!
	defer "kill $u_pid 2>/dev/null"
	for _ in $(seq 50); do
		[ "$(cg_own_pids "$U" | wc -l)" -ge 4 ] && break
		sleep 0.1
	done
	sleep 0.5
	count=$("$TASKS_COUNT" --v2 "$U") || die "tasks-count --v2 failed"
	note "$(tr '\n' ';' <<<"$count")"
	check_eq "cgroup2: taskstats refuses it" "$(awk '$1 == "taskstats" { print $2 }' <<<"$count")" "-"
	check_eq "cgroup2: the sampler counts 1 running, 0 blocked" \
		"$(awk '$1 == "sampler" { print $2, $3 }' <<<"$count")" "1 0"
	kill "$u_pid" 2>/dev/null
	wait "$u_pid" 2>/dev/null || true
fi
