#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-proc.sh [BUILD_DIR]: reads per second of each /proc file, open + read
# to EOF + close, by 1 and by 8 concurrent readers in a limited cgroup and a
# pid namespace of their own, served by:
#   burrowfs   build/fs/burrowfs -l
#   lxcfs      Debian's lxcfs 5 (lxcfs -f -l -p PIDFILE MNT), own mountpoint
#   floor      build/tests/bench/floor: a fixed buffer per file, with burrowfs's
#              FUSE settings (what any FUSE file can reach here)
#   /proc      the kernel's own files (no virtualisation)
# then the ratios burrowfs/lxcfs and burrowfs/floor and the daemons' RSS.
# Each figure is the best of BENCH_ROUNDS (default 2) windows of BENCH_SECONDS
# (default 1), the four servers taking turns, so a burst of other load on the
# machine hits one window rather than one server. Needs root; about 2.5 minutes.
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=bench-lib.sh
source "$(dirname "$0")/bench-lib.sh"

BUILD_DIR=${1:-${BUILD_DIR:-$T_DIR/../../build}}
BURROWFS=$BUILD_DIR/fs/burrowfs
FLOOR=$BUILD_DIR/tests/bench/floor
READER=$BUILD_DIR/tests/bench/reader
SECS=${BENCH_SECONDS:-1}
ROUNDS=${BENCH_ROUNDS:-2}
CONCURRENCY=${BENCH_READERS:-1 8}
FILES="meminfo cpuinfo stat uptime loadavg diskstats swaps"

t_init
for x in "$FLOOR" "$READER"; do
	[ -x "$x" ] || die "$x not built (meson compile -C $BUILD_DIR)"
done
LXCFS=$(command -v lxcfs || true)

rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null || echo "?"
}

# ---- daemons -------------------------------------------------------------------
bfs_start -l
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
reader=$1 secs=$2 tmp=$3 bmnt=$4 lmnt=$5 fmnt=$6 files=$7 conc=$8 rounds=$9
# The container sees burrowfs over /proc: the kernel baseline reads a procfs
# of its own, mounted in its private namespaces.
mkdir -p "$tmp/kproc"
mount -t proc proc "$tmp/kproc"
for n in $conc; do
	for f in $files; do
		for r in $(seq "$rounds"); do
		for t in burrowfs lxcfs floor proc; do
			case $t in
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
	"$BMNT" "$LMNT" "$FMNT" "$FILES" "$CONCURRENCY" "$ROUNDS") || die "measurement failed"
check_eq "every measurement ran" "$(grep -c '^FAIL' <<<"$out")" 0

RSS_B1=$(rss_kb "$BFS_PID")
RSS_L1=$([ -z "$LMNT" ] && echo "-" || rss_kb "$LPID")
RSS_F1=$(rss_kb "$FPID")

# ---- table -----------------------------------------------------------------------
echo
echo "reads/s (open+read+close), best of $ROUNDS x ${SECS}s, $(nproc) CPUs, $(uname -r)"
awk -v secs="$SECS" '
	$1 == "RESULT" { if ($5 / secs > v[$2, $3, $4]) v[$2, $3, $4] = $5 / secs; if (!($2 in seen)) { seen[$2] = 1; ns[++nn] = $2 }
		if (!($4 in fs)) { fs[$4] = 1; fl[++nf] = $4 } }
	function num(x) { return x == "" ? "-" : sprintf("%.0f", x) }
	function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("%.2f", a / b) }
	END {
		printf "%-7s %-10s %10s %10s %10s %10s %10s %10s\n", "readers", "file",
			"burrowfs", "lxcfs", "floor", "/proc", "bfs/lxcfs", "bfs/floor"
		for (i = 1; i <= nn; i++) for (j = 1; j <= nf; j++) {
			n = ns[i]; f = fl[j]
			b = v[n, "burrowfs", f]; l = v[n, "lxcfs", f]
			fl_ = v[n, "floor", f]; p = v[n, "proc", f]
			printf "%-7s %-10s %10s %10s %10s %10s %10s %10s\n", n, f, num(b), num(l),
				num(fl_), num(p), ratio(b, l), ratio(b, fl_)
		}
	}' <<<"$out"
echo
echo "RSS (VmRSS, kB)   idle    after"
printf "%-15s %7s %8s\n" burrowfs "$RSS_B0" "$RSS_B1" lxcfs "$RSS_L0" "$RSS_L1" floor "-" "$RSS_F1"
