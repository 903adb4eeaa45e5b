#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-proc.sh [BUILD_DIR]: reads per second of each /proc file, open + read
# to EOF + close, by 1 and by 8 concurrent readers in a limited cgroup and a
# pid namespace of their own, served by:
#   pconn      the container's own burrowfs connection (issue 14), placed over
#              its /proc by burrowfs-ctl attach: the kernel caches it
#   burrowfs   build/fs/burrowfs -l, the shared mount every container reads
#   lxcfs      Debian's lxcfs 5 (lxcfs -f -l -p PIDFILE MNT), own mountpoint
#   floor      build/tests/bench/floor: a fixed buffer per file, with burrowfs's
#              FUSE settings (what any FUSE file can reach here)
#   /proc      the kernel's own files (no virtualisation)
# then the ratios burrowfs/lxcfs, burrowfs/floor, pconn/proc (the same file
# of the kernel), pconn/kmem (the kernel's own meminfo, the issue's anchor)
# and pconn/shared, and the daemons' RSS. Then, per-container connections
# alone: the daemon's CPU time per million reads (pconn and shared, 8
# readers of meminfo; utime+stime of /proc/PID/stat), the cost of one attach
# of a new container (median of BENCH_ATTACHES, default 100, with an exec of
# burrowfs-ctl stats as its anchor) and the daemon's RSS per connection.
# Each figure is the best of BENCH_ROUNDS (default 2) windows of BENCH_SECONDS
# (default 1), the four servers taking turns, so a burst of other load on the
# machine hits one window rather than one server. Needs root; about 3.5 minutes.
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=bench-lib.sh
source "$(dirname "$0")/bench-lib.sh"

BUILD_DIR=${1:-${BUILD_DIR:-$T_DIR/../../build}}
BURROWFS=$BUILD_DIR/fs/burrowfs
FLOOR=$BUILD_DIR/tests/bench/floor
READER=$BUILD_DIR/tests/bench/reader
CTL=$BUILD_DIR/hooks/burrowfs-ctl
ATTACHES=${BENCH_ATTACHES:-100}
SECS=${BENCH_SECONDS:-1}
ROUNDS=${BENCH_ROUNDS:-2}
CONCURRENCY=${BENCH_READERS:-1 8}
FILES="meminfo cpuinfo stat uptime loadavg diskstats swaps"

t_init
for x in "$FLOOR" "$READER" "$CTL"; do
	[ -x "$x" ] || die "$x not built (meson compile -C $BUILD_DIR)"
done
LXCFS=$(command -v lxcfs || true)

rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null || echo "?"
}

# ---- daemons -------------------------------------------------------------------
SOCK=$T_TMP/control.sock
bfs_start -l --control-socket "$SOCK"
BMNT=$BFS_MNT

LMNT=""
if [ -n "$LXCFS" ]; then
	LMNT=$T_TMP/lxcfs
	lxcfs_start "$LMNT" -l
	LPID=$LXCFS_PID
else
	note "lxcfs is not installed (apt-get install lxcfs): its column stays empty"
fi

cg_new bench
cg_set bench mem $((512 * 1024 * 1024)) || die "cannot set a memory limit"
cg_set bench pids 512 || note "no pids controller"

# A direct read of a file on disk: the container has a device in diskstats,
# as any container that did I/O has. Then the floor serves the bytes burrowfs
# gives this container, so sizes match.
mkdir "$T_TMP/snap"
ct_run "$BMNT" bench bash -c "dd if='$READER' of=/dev/null bs=4k count=1 iflag=direct status=none
	sleep 0.2; for f in $FILES; do cat /proc/\$f >'$T_TMP/snap/'\$f; done" || die "snapshot failed"
note "burrowfs's diskstats for the bench container: $(wc -l <"$T_TMP/snap/diskstats") line(s)"
FMNT=$T_TMP/floor
mkdir "$FMNT"
# shellcheck disable=SC2046
"$FLOOR" "$FMNT" $(for f in $FILES; do echo "$f=$T_TMP/snap/$f"; done) >"$T_TMP/floor.log" 2>&1 &
FPID=$!
defer "stop_daemon $FPID '$FMNT'"
wait_file "$FMNT/meminfo" "$FPID" || die "floor did not come up"

# Idle: mounted, each file served once, nothing reading.
ct_run "$BMNT" bench bash -c "for f in $FILES; do cat '$BMNT'/proc/\$f ${LMNT:+'$LMNT'/proc/\$f} \
	>/dev/null; done" || die "warm-up read failed"
sleep 1
RSS_B0=$(rss_kb "$BFS_PID")
RSS_L0=$([ -z "$LMNT" ] && echo "-" || rss_kb "$LPID")

# ---- measurement, all inside one container ----------------------------------------
# shellcheck disable=SC2016
INNER='
reader=$1 secs=$2 tmp=$3 bmnt=$4 lmnt=$5 fmnt=$6 files=$7 conc=$8 rounds=$9 ctl=${10} sock=${11}
# The container'"'"'s own connection, over the shared binds of its /proc.
"$ctl" --socket "$sock" attach $$ >&2 || { echo "FAIL attach"; exit 1; }
# The container sees burrowfs over /proc: the kernel baseline reads a procfs
# of its own, mounted in its private namespaces.
mkdir -p "$tmp/kproc"
mount -t proc proc "$tmp/kproc"
for n in $conc; do
	for f in $files; do
		for r in $(seq "$rounds"); do
		for t in pconn burrowfs lxcfs floor proc; do
			case $t in
			pconn) p=/proc/$f ;;
			burrowfs) p=$bmnt/proc/$f ;;
			lxcfs) [ -n "$lmnt" ] || continue; p=$lmnt/proc/$f ;;
			floor) p=$fmnt/$f ;;
			proc) p=$tmp/kproc/$f ;;
			esac
			start=$(($(date +%s%N) + 200000000))
			pids=""
			for i in $(seq "$n"); do
				"$reader" "$start" "$secs" "$p" >"$tmp/r.$i" & pids="$pids $!"
			done
			st=0
			for pid in $pids; do wait "$pid" || st=1; done
			[ "$st" -eq 0 ] || { echo "FAIL $n $t $f"; continue; }
			total=$(cat "$tmp"/r.* | awk "{ s += \$1 } END { print s }")
			rm -f "$tmp"/r.*
			echo "RESULT $n $t $f $total"
			echo "# $n reader(s) $t $f, round $r: $((total / secs))/s" >&2
		done
		done
	done
done'
# shellcheck disable=SC2086
out=$(CT_TIMEOUT=900 ct_run "$BMNT" bench bash -c "$INNER" inner "$READER" "$SECS" "$T_TMP" \
	"$BMNT" "$LMNT" "$FMNT" "$FILES" "$CONCURRENCY" "$ROUNDS" "$CTL" "$SOCK") ||
	die "measurement failed"
check_eq "every measurement ran" "$(grep -c '^FAIL' <<<"$out")" 0

RSS_B1=$(rss_kb "$BFS_PID")
RSS_L1=$([ -z "$LMNT" ] && echo "-" || rss_kb "$LPID")
RSS_F1=$(rss_kb "$FPID")

# ---- per-container connections alone ----------------------------------------------
cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$BFS_PID/stat"
}
HZ=$(getconf CLK_TCK)

# The daemon's CPU time over 8 readers of meminfo for 2 s, through the
# container's own connection or the shared mount (a container each).
# shellcheck disable=SC2016
CPU_INNER='
reader=$1 ctl=$2 sock=$3 p=$4 tmp=$5
[ "$p" != /proc/meminfo ] || "$ctl" --socket "$sock" attach $$ >/dev/null || exit 1
start=$(($(date +%s%N) + 200000000)) pids=""
for i in 1 2 3 4 5 6 7 8; do "$reader" "$start" 2 "$p" >"$tmp/cpu.$i" & pids="$pids $!"; done
for pid in $pids; do wait "$pid" || exit 1; done
cat "$tmp"/cpu.* | awk "{ s += \$1 } END { print s }"; rm -f "$tmp"/cpu.*'
declare -A CPU_PM
for t in pconn shared; do
	p=/proc/meminfo
	[ "$t" = pconn ] || p=$BMNT/proc/meminfo
	c0=$(cpu_ticks)
	reads=$(ct_run "$BMNT" bench bash -c "$CPU_INNER" cpu "$READER" "$CTL" "$SOCK" "$p" "$T_TMP") ||
		die "CPU run ($t) failed"
	c1=$(cpu_ticks)
	CPU_PM[$t]=$(awk -v d=$((c1 - c0)) -v hz="$HZ" -v n="$reads" \
		'BEGIN { printf "%.3f s per 10^6 reads (%d reads, %d ticks of 1/%d s)", d / hz / n * 1e6, n, d, hz }')
done

# One attach of a new container, and the memory its connection takes: ATTACHES
# containers (a pid and a mount namespace each) attached one after the other
# and held, then let go. burrowfs-ctl's own exec is the anchor.
# Each container's init is a sleep: only SIGKILL reaches a pid namespace's
# init from outside, and unshare then ends with it.
ct_wait=()
ct_init=()
RSS_C0=$(rss_kb "$BFS_PID")
times=()
for ((i = 0; i < ATTACHES; i++)); do
	unshare --pid --fork --kill-child --mount-proc --propagation private sleep 600 \
		2>>"$T_TMP/unshare.log" &
	ct_wait+=($!)
	inner=""
	for ((k = 0; k < 50; k++)); do
		inner=$(pgrep -P "${ct_wait[-1]}" -x sleep) && break
		sleep 0.02
	done
	[ -n "$inner" ] || die "container $i did not start"
	ct_init+=("$inner")
	defer "kill -KILL $inner 2>/dev/null"
	t0=$(date +%s%N)
	"$CTL" --socket "$SOCK" attach "$inner" >/dev/null || die "attach of container $i failed"
	times+=($((($(date +%s%N) - t0) / 1000)))
done
sleep 0.5
RSS_C1=$(rss_kb "$BFS_PID")
LIVE=$("$CTL" --socket "$SOCK" stats | awk '$1 == "connections_live" { print $2 }')
kill -KILL "${ct_init[@]}" 2>/dev/null
wait "${ct_wait[@]}" 2>/dev/null
anchor=()
for ((i = 0; i < 20; i++)); do
	t0=$(date +%s%N)
	"$CTL" --socket "$SOCK" stats >/dev/null || die "stats failed"
	anchor+=($((($(date +%s%N) - t0) / 1000)))
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] / 1000 }'; }

# ---- table -----------------------------------------------------------------------
echo
echo "reads/s (open+read+close), best of $ROUNDS x ${SECS}s, $(nproc) CPUs, $(uname -r)"
echo "pconn: the container's own connection; burrowfs: the shared mount; /proc: the kernel's"
awk -v secs="$SECS" '
	$1 == "RESULT" { if ($5 / secs > v[$2, $3, $4]) v[$2, $3, $4] = $5 / secs; if (!($2 in seen)) { seen[$2] = 1; ns[++nn] = $2 }
		if (!($4 in fs)) { fs[$4] = 1; fl[++nf] = $4 } }
	function num(x) { return x == "" ? "-" : sprintf("%.0f", x) }
	function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("%.2f", a / b) }
	END {
		printf "%-7s %-9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s\n", "readers", "file",
			"pconn", "burrowfs", "lxcfs", "floor", "/proc", "bfs/lxcfs", "bfs/floor",
			"pc/proc", "pc/kmem", "pc/shared"
		for (i = 1; i <= nn; i++) for (j = 1; j <= nf; j++) {
			n = ns[i]; f = fl[j]
			c = v[n, "pconn", f]; b = v[n, "burrowfs", f]; l = v[n, "lxcfs", f]
			fl_ = v[n, "floor", f]; p = v[n, "proc", f]; km = v[n, "proc", "meminfo"]
			printf "%-7s %-9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s\n", n, f, num(c), num(b),
				num(l), num(fl_), num(p), ratio(b, l), ratio(b, fl_), ratio(c, p),
				ratio(c, km), ratio(c, b)
		}
	}' <<<"$out"
echo
echo "RSS (VmRSS, kB)   idle    after"
printf "%-15s %7s %8s\n" burrowfs "$RSS_B0" "$RSS_B1" lxcfs "$RSS_L0" "$RSS_L1" floor "-" "$RSS_F1"
echo
echo "burrowfs CPU, 8 readers of meminfo for 2 s:"
echo "  per-container: ${CPU_PM[pconn]}"
echo "  shared:        ${CPU_PM[shared]}"
echo "attach of a new container (burrowfs-ctl attach, exec included), median of $ATTACHES:" \
	"$(median "${times[@]}") ms; burrowfs-ctl stats (its exec and one round trip): $(median "${anchor[@]}") ms"
echo "memory per connection: burrowfs RSS $RSS_C0 -> $RSS_C1 kB over $ATTACHES connections" \
	"($LIVE live): $(((RSS_C1 - RSS_C0) / ATTACHES)) kB each"
