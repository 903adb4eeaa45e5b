#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# soak.sh [BUILD_DIR]: a long run under load, not part of CI (needs root).
# For each daemon in SOAK_TARGETS (default "burrowfs lxcfs", lxcfs 5 from
# Debian's package beside ours), for SOAK_SECONDS (default 600):
#   - SOAK_CONTAINERS (default 100) containers, each a pid namespace whose
#     init sleeps, in a cgroup of its own with its own memory limit (half of
#     them also pinned to one CPU), the daemon's files bound over its /proc
#     and /sys/devices/system/cpu;
#   - SOAK_READERS (default 16) concurrent readers, each a new process every
#     few seconds (pid churn) that joins the next container's cgroups and
#     namespaces and reads every file the daemon serves, open + read + close,
#     checking MemTotal against the container's limit;
#   - cgroup churn: a cgroup made, a short-lived container started in it,
#     read from and ended, the cgroup removed, over and over;
#   - pid churn: short-lived processes reading meminfo in random containers.
# Reports per daemon: total reads, errors (failed reads and wrong values),
# p50 and p99 latency of one open+read+close, the daemon's RSS at the start
# (after SOAK_WARMUP seconds, default 30) and at the end, its growth, and the
# thread count; then both side by side.
# Target: zero errors, RSS growth under 10 %.
source "$(dirname "$0")/../lib/lib.sh"

BUILD_DIR=${1:-${BUILD_DIR:-$T_DIR/../../build}}
BURROWFS=$BUILD_DIR/fs/burrowfs
SECS=${SOAK_SECONDS:-600}
NCT=${SOAK_CONTAINERS:-100}
NREAD=${SOAK_READERS:-16}
WARMUP=${SOAK_WARMUP:-30}
TARGETS=${SOAK_TARGETS:-burrowfs lxcfs}
MIB=$((1024 * 1024))

t_init
[ -n "$PYTHON" ] || skip "no python3"
command -v nsenter >/dev/null || skip "no nsenter"

# ---- the reader: one process, one container, a few seconds -------------------------------
cat >"$T_TMP/reader.py" <<'EOF'
import math, os, sys, time
end = time.monotonic() + float(sys.argv[1])
want, files = sys.argv[2], sys.argv[3:]
hist, reads, errors, wrong, msgs = {}, 0, 0, 0, []
while time.monotonic() < end:
    for f in files:
        t0 = time.perf_counter_ns()
        try:
            fd = os.open(f, os.O_RDONLY)
            try:
                data = b""
                while True:
                    c = os.read(fd, 65536)
                    if not c:
                        break
                    data += c
            finally:
                os.close(fd)
        except OSError as e:
            errors += 1
            if len(msgs) < 3:
                msgs.append("%s: %s" % (f, e.strerror))
            continue
        us = max((time.perf_counter_ns() - t0) / 1000.0, 1.0)
        b = int(math.log2(us) * 16)
        hist[b] = hist.get(b, 0) + 1
        reads += 1
        if f.endswith("/meminfo"):
            got = next((l.split()[1] for l in data.decode().splitlines()
                        if l.startswith("MemTotal:")), None)
            if got != want:
                wrong += 1
                if len(msgs) < 3:
                    msgs.append("MemTotal %s, want %s" % (got, want))
print("R %d %d %d" % (reads, errors, wrong))
for b, n in hist.items():
    print("H %d %d" % (b, n))
for m in msgs:
    print("M %s" % m)
EOF

# ---- containers --------------------------------------------------------------------------------
cat >"$T_TMP/inside.sh" <<'EOF'
# inside.sh MNT FILE... -- CMD: bind MNT's FILEs (paths under /) and become CMD.
set -e
mnt=$1
shift
while [ "$1" != -- ]; do
	mount --bind "$mnt$1" "$1"
	shift
done
shift
exec "$@"
EOF

# ct_start MNT REL CMD...: a container (pid namespace, private mounts) in
# cgroup REL running CMD, in the background; prints nothing, sets CT_PID.
ct_start() {
	local mnt=$1 rel=$2
	shift 2
	timeout -k 3 $((SECS + 300)) bash -c '
		for d in $1; do echo $$ >"$d/cgroup.procs" || exit 125; done
		shift
		exec unshare --pid --fork --kill-child --mount-proc --propagation private \
			/bin/bash "$@"' ct "$(cg_procs_dirs "$rel" | tr '\n' ' ')" \
		"$T_TMP/inside.sh" "$mnt" $BINDS -- "$@" &
	CT_PID=$!
	# Ended by a kill at the end of the soak: no "Killed" notice for each.
	disown "$CT_PID"
}

# init_of WRAPPER_PID: the host pid of the container's init (pid 1 inside),
# a few generations below the wrapper (timeout, unshare).
init_of() {
	local i level c kids
	for ((i = 0; i < 50; i++)); do
		kids=$1
		for ((level = 0; level < 4; level++)); do
			kids=$(for c in $kids; do pgrep -P "$c"; done)
			for c in $kids; do
				if [ "$(awk '/^NSpid:/ { print NF - 1 " " $NF }' "/proc/$c/status" 2>/dev/null)" == "2 1" ]; then
					echo "$c"
					return 0
				fi
			done
		done
		sleep 0.1
	done
	return 1
}

# in_ct I CMD...: run CMD in container I: its cgroups (lxcfs reads the reader's
# own cgroup, burrowfs the init's: both must see the container), its pid and
# mount namespaces.
in_ct() {
	local i=$1
	shift
	bash -c 'for d in $1; do echo $$ >"$d/cgroup.procs" 2>/dev/null; done
		shift; exec nsenter -t "$1" -p -m -- "${@:2}"' in "$(cg_procs_dirs "c$i" | tr '\n' ' ')" \
		"${INIT[$i]}" "$@"
}

rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null
}

threads_of() {
	awk '$1 == "Threads:" { print $2 }' "/proc/$1/status" 2>/dev/null
}

# ---- one soak ----------------------------------------------------------------------------------
# soak NAME MNT PID: the load against the daemon PID serving MNT.
soak() {
	local name=$1 mnt=$2 dpid=$3 f i r end out rss0 rss1 thr t
	FILES=""
	for f in /proc/cpuinfo /proc/meminfo /proc/stat /proc/uptime /proc/loadavg \
		/proc/diskstats /proc/swaps /proc/slabinfo /sys/devices/system/cpu/online; do
		[ -e "$mnt$f" ] && FILES+=" $f"
	done
	BINDS=$FILES
	note "$name: files $FILES"
	declare -gA INIT=()
	for ((i = 1; i <= NCT; i++)); do
		cg_new "c$i"
		cg_set "c$i" mem $(((64 + i) * MIB)) || die "cannot set a memory limit"
		((i % 2)) || cg_set "c$i" cpus 0
		ct_start "$mnt" "c$i" sleep $((SECS + 120))
		INIT[$i]=$(init_of "$CT_PID") || die "container c$i did not start"
	done
	note "$name: $NCT containers up"
	mkdir -p "$T_TMP/$name"
	end=$((SECONDS + SECS))
	# The load's own jobs: a bare wait would also wait for the daemon and the
	# containers' inits, which outlive the load.
	local load=()

	# Readers: a new process every 3 s, each in the next container.
	for ((r = 0; r < NREAD; r++)); do
		(
			n=0
			while [ "$SECONDS" -lt "$end" ]; do
				i=$(((r + NREAD * n) % NCT + 1))
				in_ct "$i" "$PYTHON" "$T_TMP/reader.py" 3 $(((64 + i) * 1024)) $FILES \
					>>"$T_TMP/$name/reader.$r" 2>&1
				n=$((n + 1))
			done
		) &
		load+=($!)
	done

	# cgroup churn: a fresh cgroup, a short container in it, then gone.
	(
		n=0
		while [ "$SECONDS" -lt "$end" ]; do
			n=$((n + 1))
			cg_new "churn-$n"
			cg_set "churn-$n" mem $(((512 + n % 256) * MIB))
			out=$(timeout 30 bash -c 'for d in $1; do echo $$ >"$d/cgroup.procs"; done; shift
				exec unshare --pid --fork --kill-child --mount-proc --propagation private \
					/bin/bash "$@"' ct "$(cg_procs_dirs "churn-$n" | tr '\n' ' ')" \
				"$T_TMP/inside.sh" "$mnt" $BINDS -- \
				awk '/^MemTotal:/ { print $2 }' /proc/meminfo /proc/meminfo /proc/meminfo)
			[ "$out" == "$(printf '%s\n' $(((512 + n % 256) * 1024)) $(((512 + n % 256) * 1024)) \
				$(((512 + n % 256) * 1024)))" ] || echo "churn $n: got '${out//$'\n'/ }'"
			while IFS= read -r root; do
				rmdir "$root/$CG_BASE/churn-$n" 2>/dev/null
			done < <(cg_roots)
		done >"$T_TMP/$name/churn"
		echo "cgroups $n" >>"$T_TMP/$name/churn"
	) &
	load+=($!)

	# pid churn: short processes in random containers.
	(
		n=0
		while [ "$SECONDS" -lt "$end" ]; do
			i=$((RANDOM % NCT + 1))
			out=$(in_ct "$i" awk '/^MemTotal:/ { print $2 }' /proc/meminfo 2>&1)
			[ "$out" == "$(((64 + i) * 1024))" ] || echo "pid churn in c$i: got '$out'"
			n=$((n + 1))
		done >"$T_TMP/$name/pids"
		echo "processes $n" >>"$T_TMP/$name/pids"
	) &
	load+=($!)

	sleep "$WARMUP"
	rss0=$(rss_kb "$dpid")
	thr=$(threads_of "$dpid")
	: >"$T_TMP/$name/rss"
	while [ "$SECONDS" -lt "$end" ]; do
		t=$(threads_of "$dpid")
		[ -n "$t" ] && [ "$t" -gt "$thr" ] && thr=$t
		echo "$SECONDS $(rss_kb "$dpid")" >>"$T_TMP/$name/rss"
		kill -0 "$dpid" 2>/dev/null || break
		sleep 10
	done
	rss1=$(rss_kb "$dpid")
	wait "${load[@]}"
	kill -0 "$dpid" 2>/dev/null || t_not_ok "$name died during the soak"

	# The sleeping inits end with their cgroups.
	for ((i = 1; i <= NCT; i++)); do
		while IFS= read -r root; do
			for p in $(cg_own_pids "$root/$CG_BASE/c$i"); do
				kill -KILL "$p" 2>/dev/null
			done
		done < <(cg_roots)
	done
	sleep 1
	for ((i = 1; i <= NCT; i++)); do
		while IFS= read -r root; do
			rmdir "$root/$CG_BASE/c$i" 2>/dev/null
		done < <(cg_roots)
	done
	report "$name" "$rss0" "$rss1" "$thr"
}

# percentile P: from "bucket count" lines sorted by bucket, the latency in
# microseconds below which P of all reads fell (buckets are 1/16 of a power of 2).
percentile() {
	awk -v p="$1" '{ b[NR] = $1; n[NR] = $2; total += $2 }
		END { for (i = 1; i <= NR; i++) { c += n[i]; if (c >= total * p) { printf "%.0f", 2 ^ (b[i] / 16); exit } } }'
}

# report NAME RSS0 RSS1 THREADS: sums the readers' output into one row.
report() {
	local name=$1 d=$T_TMP/$1 hist sums p50 p99 growth
	hist=$(cat "$d"/reader.* | awk '$1 == "H" { h[$2] += $3 } END { for (k in h) print k, h[k] }' |
		sort -n)
	p50=$(percentile 0.5 <<<"$hist")
	p99=$(percentile 0.99 <<<"$hist")
	sums=$(cat "$d"/reader.* | awk '$1 == "R" { r += $2; e += $3; w += $4 }
		END { printf "reads=%d errors=%d wrong=%d", r, e, w }')
	growth=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", (a > 0 ? (b - a) * 100.0 / a : 0) }')
	echo "$name $sums p50_us=$p50 p99_us=$p99 rss_start_kb=$2 rss_end_kb=$3" \
		"rss_growth_pct=$growth threads=$4" \
		"churn_cgroups=$(awk '$1 == "cgroups" { print $2 }' "$d/churn")" \
		"churn_bad=$(grep -c '^churn' "$d/churn")" \
		"pid_churn=$(awk '$1 == "processes" { print $2 }' "$d/pids")" \
		"pid_churn_bad=$(grep -c '^pid churn' "$d/pids")" | tee -a "$T_TMP/results"
	cat "$d"/reader.* "$d/churn" "$d/pids" | grep -E '^(M |churn |pid churn)' | sort | uniq -c |
		sort -rn | head -5 | sed "s/^/#   $name: /"
}

: >"$T_TMP/results"
for target in $TARGETS; do
	case $target in
	burrowfs)
		[ -x "$BURROWFS" ] || die "$BURROWFS not built"
		bfs_start -l
		soak burrowfs "$BFS_MNT" "$BFS_PID"
		bfs_stop "$BFS_PID" "$BFS_MNT" "$BFS_LOG"
		;;
	lxcfs)
		LXCFS=$(command -v lxcfs) || {
			note "lxcfs is not installed (apt-get install lxcfs): no lxcfs column"
			continue
		}
		# Not $T_TMP/lxcfs: that directory holds the lxcfs soak's results.
		LMNT=$T_TMP/lxcfs-mnt
		mkdir "$LMNT"
		"$LXCFS" -f -l -p "$T_TMP/lxcfs.pid" "$LMNT" >"$T_TMP/lxcfs.log" 2>&1 &
		LPID=$!
		defer "kill -TERM $LPID 2>/dev/null; sleep 0.5; umount -l '$LMNT' 2>/dev/null"
		for ((i = 0; i < 100; i++)); do
			timeout 2 test -e "$LMNT/proc/meminfo" && break
			sleep 0.1
		done
		soak lxcfs "$LMNT" "$LPID"
		;;
	*)
		die "unknown soak target $target"
		;;
	esac
done

echo
echo "# soak: $SECS s per daemon, $NCT containers, $NREAD readers, cgroup and pid churn"
column -t "$T_TMP/results" | sed 's/^/# /'
while read -r name rest; do
	[ "$name" == "#" ] && continue
	eval "$(tr ' ' '\n' <<<"$rest" | sed -n 's/^\([a-z0-9_]*\)=\(.*\)$/\1=\2/p')"
	check_num "$name: no failed read" "$errors" == 0
	check_num "$name: no wrong value" "$wrong" == 0
	check_num "$name: cgroup churn containers read their limit" "$churn_bad" == 0
	check_num "$name: pid churn processes read their limit" "$pid_churn_bad" == 0
	check_num "$name: RSS grew less than 10 %" "$rss_growth_pct" "<" 10
done < <(grep -v '^#' "$T_TMP/results")
