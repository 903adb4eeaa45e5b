#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-loadavg.sh [BUILD_DIR]: what per-container load averages cost the
# daemon. For N containers (BENCH_COUNTS, default "100 300 1000"), each a
# cgroup of its own plus a pid namespace with one sleeping task that has read
# /proc/loadavg once through each daemon, the CPU time each daemon uses over
# BENCH_WINDOW seconds (default 30), all side by side in the same run:
#   burrowfs   build/fs/burrowfs -l (taskstats on v1, the per-task scan on v2)
#   old        BENCH_OLD_BURROWFS -l when set (e.g. a build of main: the scan)
#   lxcfs      Debian's lxcfs 5 -l, on its own mountpoint under the test's dir
# as % of one CPU, per 1,000 containers, and as ratios to lxcfs -l.
# Case "own": every container has a cgroup in every hierarchy. Case "nopids"
# (BENCH_NOPIDS, default "300"): none in the pids hierarchy, where the
# container stays in the root (issue 13's bug walked the whole host there).
# Bounded: at most 2,000 containers, 120 s to start them; everything it made
# (processes, cgroups, mounts) goes at the end of each case and on failure.
# Needs root; about 1.5 minutes per case.
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=bench-lib.sh
source "$(dirname "$0")/bench-lib.sh"

BUILD_DIR=${1:-${BUILD_DIR:-$T_DIR/../../build}}
BURROWFS=$BUILD_DIR/fs/burrowfs
NEW=$BURROWFS
OLD=${BENCH_OLD_BURROWFS:-}
COUNTS=${BENCH_COUNTS:-100 300 1000}
NOPIDS=${BENCH_NOPIDS:-300}
WINDOW=${BENCH_WINDOW:-30}
MAX=2000

t_init
command -v lxcfs >/dev/null || skip "lxcfs is not installed (apt-get install lxcfs)"
command -v unshare >/dev/null || skip "no unshare"
[ -z "$OLD" ] || [ -x "$OLD" ] || die "BENCH_OLD_BURROWFS=$OLD is not executable"
ROOTS=$(cg_roots)
[ -n "${CG_V1[pids]:-}" ] || note "no v1 pids hierarchy: no case nopids"

# cpu_ns PID: nanoseconds on CPU of all of PID's threads (schedstat), or of
# the process in clock ticks where the kernel has no schedstat.
cpu_ns() {
	local f sum=0 a
	for f in /proc/"$1"/task/*/schedstat; do
		read -r a _ <"$f" 2>/dev/null || continue
		sum=$((sum + a))
	done
	if [ "$sum" -eq 0 ]; then
		a=$(awk '{ sub(/.*\) /, ""); print ($12 + $13) }' "/proc/$1/stat")
		sum=$((a * 1000000000 / $(getconf CLK_TCK)))
	fi
	echo "$sum"
}

# The containers' pids ($! of each: unshare, whose --kill-child ends the rest).
CT_PIDS=()
kill_containers() {
	[ "${#CT_PIDS[@]}" -eq 0 ] || kill -KILL "${CT_PIDS[@]}" 2>/dev/null
	for p in "${CT_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	CT_PIDS=()
}
defer kill_containers

# A container's first process: into its cgroups (DIRS), then pid 1 of a new
# pid namespace that reads each mount's loadavg once and sleeps.
cat >"$T_TMP/ct.sh" <<'EOS'
#!/bin/sh
# ct.sh READY DIRS MOUNTS...
ready=$1 dirs=$2
shift 2
for d in $dirs; do echo $$ >"$d/cgroup.procs" || exit 125; done
exec unshare --pid --fork --kill-child sh -c '
	ready=$1; shift
	for m in "$@"; do cat "$m/proc/loadavg" >/dev/null || exit 1; done
	echo . >>"$ready"
	exec sleep 900' ct "$ready" "$@"
EOS

# start_containers CASE N MOUNTS...: N containers under cgroup CASE/.
start_containers() {
	local case=$1 n=$2 i root d dirs ready=$T_TMP/ready.$1 skip=""
	shift 2
	[ "$case" != nopids ] || skip=${CG_V1[pids]:-}
	: >"$ready"
	cg_new "$case"
	for ((i = 0; i < n; i++)); do
		dirs=""
		while IFS= read -r root; do
			[ "$root" != "$skip" ] || continue
			d=$root/$CG_BASE/$case/c$i
			mkdir "$d" || die "mkdir $d"
			# A v1 cpuset starts empty and refuses tasks until both are set.
			if [ -e "$d/cpuset.cpus" ] && [ "$root" != "$CG_V2" ]; then
				cat "$root/$CG_BASE/$case/cpuset.cpus" >"$d/cpuset.cpus"
				cat "$root/$CG_BASE/$case/cpuset.mems" >"$d/cpuset.mems"
			fi
			dirs+=" $d"
		done <<<"$ROOTS"
		sh "$T_TMP/ct.sh" "$ready" "$dirs" "$@" &
		CT_PIDS+=($!)
	done
	for ((i = 0; i < 1200; i++)); do
		[ "$(wc -l <"$ready")" -ge "$n" ] && return 0
		sleep 0.1
	done
	die "only $(wc -l <"$ready") of $n containers started and read loadavg in 120 s"
}

# run_case CASE N: one measurement; prints "CASE N new old lxcfs" in % of a CPU.
run_case() {
	local case=$1 n=$2 mounts=() b_pid o_pid="" l_pid l_mnt=$T_TMP/lxcfs-$1-$2 t0 t1 i
	local -A before after

	BURROWFS=$NEW bfs_start -l --max-containers $((MAX + 24))
	b_pid=$BFS_PID
	mounts+=("$BFS_MNT")
	local b=("$BFS_PID" "$BFS_MNT" "$BFS_LOG") o=()
	if [ -n "$OLD" ]; then
		BURROWFS=$OLD bfs_start -l --max-containers $((MAX + 24))
		o_pid=$BFS_PID
		o=("$BFS_PID" "$BFS_MNT" "$BFS_LOG")
		mounts+=("$BFS_MNT")
	fi
	lxcfs_start "$l_mnt" -l
	l_pid=$LXCFS_PID
	mounts+=("$l_mnt")

	start_containers "$case" "$n" "${mounts[@]}"
	# Every container is sampled from the next 5 s tick on.
	sleep 6
	for i in $b_pid $o_pid $l_pid; do before[$i]=$(cpu_ns "$i"); done
	t0=$(date +%s%N)
	sleep "$WINDOW"
	for i in $b_pid $o_pid $l_pid; do after[$i]=$(cpu_ns "$i"); done
	t1=$(date +%s%N)
	pct() { awk -v d="$((after[$1] - before[$1]))" -v t="$((t1 - t0))" \
		'BEGIN { printf "%.3f", 100 * d / t }'; }
	RESULT="$case $n $(pct "$b_pid") ${o_pid:+$(pct "$o_pid")} $(pct "$l_pid")"
	[ -n "$o_pid" ] || RESULT="$case $n $(pct "$b_pid") - $(pct "$l_pid")"

	kill_containers
	BURROWFS=$NEW bfs_stop "${b[@]}"
	[ -z "$o_pid" ] || BURROWFS=$OLD bfs_stop "${o[@]}"
	stop_daemon "$l_pid" "$l_mnt"
	cg_destroy_all
}

results=()
for n in $COUNTS; do
	[ "$n" -le "$MAX" ] || die "at most $MAX containers"
	run_case own "$n"
	results+=("$RESULT")
	note "$RESULT"
done
if [ -n "${CG_V1[pids]:-}" ]; then
	for n in $NOPIDS; do
		[ "$n" -le "$MAX" ] || die "at most $MAX containers"
		run_case nopids "$n"
		results+=("$RESULT")
		note "$RESULT"
	done
fi

printf "\n%-7s %5s | %9s %9s %9s | %12s %12s | %9s %9s\n" case N burrowfs old "lxcfs -l" \
	"bfs/1000 ct" "lxcfs/1000" bfs/lxcfs old/lxcfs
for r in "${results[@]}"; do
	# shellcheck disable=SC2086
	set -- $r
	awk -v c="$1" -v n="$2" -v b="$3" -v o="$4" -v l="$5" 'BEGIN {
		printf "%-7s %5d | %8.3f%% %9s %8.3f%% | %11.3f%% %11.3f%% | %9s %9s\n",
			c, n, b, (o == "-" ? "-" : sprintf("%.3f%%", o)), l, b * 1000 / n, l * 1000 / n,
			(l > 0 ? sprintf("%.2f", b / l) : "-"),
			(o == "-" || l <= 0 ? "-" : sprintf("%.2f", o / l)) }'
done
check_num "benchmark ran ${#results[@]} cases" "${#results[@]}" ">" 0
