#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-sigterm.sh [BUILD_DIR]: how long a FUSE daemon takes from SIGTERM to
# its exit, and whether its mountpoint is still mounted then, over BENCH_ROUNDS
# (default 10) rounds, idle and with BENCH_READERS (default 8) processes
# reading meminfo in a loop:
#   burrowfs   each round a new burrowfs takes over the connection from the
#              keeper; the readers read through a bind of MNT/proc, as a
#              container does, and must see no failed read across all rounds
#   lxcfs      Debian's lxcfs 5, started anew each round on its own mountpoint;
#              its readers read MNT/proc directly (a failed read is counted,
#              not judged: lxcfs has no restart to survive)
# Prints min, median and max milliseconds per case and the burrowfs/lxcfs
# ratio of the medians. The target: burrowfs under 100 ms, the mount held
# for the next burrowfs (lxcfs's goes with it). Not part of the suites (needs root; about a minute).
source "$(dirname "$0")/../lib/lib.sh"

BUILD_DIR=${1:-${BUILD_DIR:-$T_DIR/../../build}}
BURROWFS=$BUILD_DIR/fs/burrowfs
READER=$BUILD_DIR/tests/bench/reader
ROUNDS=${BENCH_ROUNDS:-10}
NREAD=${BENCH_READERS:-8}

t_init
[ -x "$READER" ] || die "$READER not built (meson compile -C $BUILD_DIR)"
LXCFS=$(command -v lxcfs || true)
: >"$T_TMP/results"

now_us() {
	echo "${EPOCHREALTIME/./}"
}

# term PID MNT: SIGTERM to PID (a child of ours), then wait; appends
# "MICROSECONDS GONE STATUS" to $T_TMP/round (GONE: 1 when MNT was no
# longer mounted as the daemon had exited; burrowfs's keeper holds it).
term() {
	local pid=$1 mnt=$2 t0 t1 st gone=1
	t0=$(now_us)
	kill -TERM "$pid"
	wait "$pid"
	st=$?
	t1=$(now_us)
	! t_mounted "$mnt" || gone=0
	echo "$((t1 - t0)) $gone $st" >>"$T_TMP/round"
}

# readers FILE SECONDS: NREAD readers of FILE in the background; sets RPIDS.
readers() {
	local i
	RPIDS=()
	for ((i = 0; i < NREAD; i++)); do
		"$READER" 0 "$2" "$1" >"$T_TMP/reader.$i" 2>&1 &
		RPIDS+=($!)
	done
}

# reap_readers: waits for RPIDS; sets RFAIL (readers that saw a failed read).
reap_readers() {
	local p
	RFAIL=0
	for p in "${RPIDS[@]}"; do
		wait "$p" || RFAIL=$((RFAIL + 1))
	done
}

# summary CASE READER_FAILURES: a row from $T_TMP/round.
summary() {
	sort -n "$T_TMP/round" | awk -v c="$1" -v rf="$2" '
		{ ms[NR] = $1 / 1000; gone += $2; bad += ($3 != 0) }
		END {
			printf "%s rounds=%d min_ms=%.1f median_ms=%.1f max_ms=%.1f mount_gone=%d/%d " \
				"exit_not_0=%d reader_failures=%s\n", c, NR, ms[1], ms[int((NR + 1) / 2)], ms[NR],
				gone, NR, bad, rf
		}' | tee -a "$T_TMP/results"
	: >"$T_TMP/round"
}

# ---- burrowfs --------------------------------------------------------------------------
bfs_start
MNT=$BFS_MNT
defer "timeout 10 '$BURROWFS' --stop '$MNT' >/dev/null 2>&1; rmdir '$MNT' 2>/dev/null"
BIND=$T_TMP/bind
mkdir "$BIND"
mount --bind "$MNT/proc" "$BIND" || die "cannot bind $MNT/proc"
defer "umount -l '$BIND'"

# bfs_round: SIGTERM to the serving daemon, then the next one takes over.
bfs_round() {
	local old=$BFS_PID
	term "$old" "$MNT"
	bfs_forget "$old"
	bfs_start_on "$MNT" "$BURROWFS"
}

: >"$T_TMP/round"
for ((r = 0; r < ROUNDS; r++)); do
	sleep 0.3
	bfs_round
done
summary "burrowfs-idle" "-"

readers "$BIND/meminfo" $((ROUNDS + 5))
for ((r = 0; r < ROUNDS; r++)); do
	sleep 1
	bfs_round
done
reap_readers
check_num "burrowfs: no reader saw a failed read across $ROUNDS SIGTERM restarts" "$RFAIL" == 0
summary "burrowfs-${NREAD}-readers" "$RFAIL"
old=$BFS_PID
term "$old" "$MNT"
bfs_forget "$old"
: >"$T_TMP/round"

# ---- lxcfs -----------------------------------------------------------------------------
if [ -n "$LXCFS" ]; then
	LMNT=$T_TMP/lxcfs
	mkdir "$LMNT"
	# lxcfs_round LOADED: start lxcfs, (readers,) SIGTERM.
	lxcfs_round() {
		local pid i
		"$LXCFS" -f -p "$T_TMP/lxcfs.pid" "$LMNT" >>"$T_TMP/lxcfs.log" 2>&1 &
		pid=$!
		defer "kill -KILL $pid 2>/dev/null; umount -l '$LMNT' 2>/dev/null"
		for ((i = 0; i < 100; i++)); do
			timeout 2 test -e "$LMNT/proc/meminfo" && break
			sleep 0.05
		done
		[ "$1" -eq 0 ] || readers "$LMNT/proc/meminfo" 2
		sleep "$([ "$1" -eq 0 ] && echo 0.3 || echo 1)"
		term "$pid" "$LMNT"
		! t_mounted "$LMNT" || umount -l "$LMNT"
		[ "$1" -eq 0 ] || {
			reap_readers
			LFAIL=$((LFAIL + RFAIL))
		}
	}
	for ((r = 0; r < ROUNDS; r++)); do
		lxcfs_round 0
	done
	summary "lxcfs-idle" "-"
	LFAIL=0
	for ((r = 0; r < ROUNDS; r++)); do
		lxcfs_round 1
	done
	summary "lxcfs-${NREAD}-readers" "$LFAIL"
else
	note "lxcfs is not installed (apt-get install lxcfs): no lxcfs column"
fi

echo
echo "# SIGTERM to exit, $ROUNDS rounds each, $NREAD readers when loaded"
column -t "$T_TMP/results" | sed 's/^/# /'
median() {
	awk -v c="$1" '$1 == c { for (i = 2; i <= NF; i++) if ($i ~ /^median_ms=/) print substr($i, 11) }' \
		"$T_TMP/results"
}
for c in idle "${NREAD}-readers"; do
	b=$(median "burrowfs-$c")
	l=$(median "lxcfs-$c")
	[ -n "$l" ] && note "burrowfs/lxcfs median ($c): $(awk -v b="$b" -v l="$l" \
		'BEGIN { printf "%.2f", (l > 0 ? b / l : 0) }')"
done
while read -r name rest; do
	case $name in
	burrowfs-*)
		eval "$(tr ' ' '\n' <<<"$rest" | sed -n 's/^\([a-z0-9_]*\)=\([0-9./-]*\)$/\1="\2"/p')"
		check_eq "$name: the keeper held the mountpoint at every exit" "$mount_gone" \
			"0/$rounds"
		check_num "$name: every exit status 0" "$exit_not_0" == 0
		note "$name: max $max_ms ms (target: under 100 ms)"
		;;
	*) ;;
	esac
done <"$T_TMP/results"
