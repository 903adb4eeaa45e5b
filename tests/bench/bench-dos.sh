#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-dos.sh [BUILD_DIR]: how much one container can slow burrowfs down
# for another (security finding 10). Container "vic" reads its /proc/meminfo
# (open, read, close, 5 ms apart) for BENCH_SECONDS (default 5) while
# container "atk" does nothing (the idle baseline), then each attack in turn:
#   fd flood    opens one cgroup file up to 100,000 times and keeps them open,
#               retrying every millisecond once refused
#   tasks loop  8 threads write their own ids to its tasks file, over and over
#   init lookup starts readers in new pid namespaces, each a new container
#               for burrowfs to find the init of
# The host holds 1000 extra processes of the benchmark's own throughout, as
# a busy host would. Prints vic's reads, failed reads, p99 and worst latency
# of each phase and their ratios to the idle run; the target is a worst
# below 50 ms. The daemon's RLIMIT_NOFILE is 8192, as in test-sec-dos.sh.
# BURROWFS=... measures another build (e.g. the one before the fix). Needs
# root; about 30 s.
source "$(dirname "$0")/../lib/lib.sh"

BUILD_DIR=${1:-${BUILD_DIR:-$T_DIR/../../build}}
BURROWFS=${BURROWFS_UNDER_TEST:-$BUILD_DIR/fs/burrowfs}
SECS=${BENCH_SECONDS:-5}

t_init
[ -n "$PYTHON" ] || skip "needs python3"
MEMDIR=$(cg_ctrl_dir memory "") || skip "needs a memory controller"
bfs_start
prlimit --pid "$BFS_PID" --nofile=8192:8192 || die "prlimit on burrowfs"
cg_new atk
cg_new vic
cg_new crowd
cg_set vic mem $((300 * 1024 * 1024)) || die "cannot set a memory limit"
HIER=memory
LIST=tasks
FILE=memory.limit_in_bytes
if [ ! -e "$MEMDIR/vic/memory.limit_in_bytes" ]; then
	HIER=unified LIST=cgroup.threads FILE=memory.max
fi
ATK_DIR=$BFS_MNT/cgroup/$HIER/$CG_BASE/atk
WANT_KB=$(($(cat "$MEMDIR/vic/$FILE") / 1024))
export ATK_DIR LIST FILE PYTHON SECS BFS_MNT

bash -c 'for d in $1; do echo $$ >"$d/cgroup.procs" || exit 1; done
	for ((i = 0; i < 1000; i++)); do sleep 600 & done
	wait' crowd "$(cg_procs_dirs crowd | tr '\n' ' ')" &
defer "kill $! 2>/dev/null"
for ((i = 0; i < 100; i++)); do
	[ "$(cg_nr_tasks crowd)" -ge 1000 ] && break
	sleep 0.1
done

# vic_sample: SECS seconds of reads in vic; prints "READS FAILED P99_MS WORST_MS".
vic_sample() {
	ct_run "$BFS_MNT" vic "$PYTHON" -c '
import sys, time
secs, want = float(sys.argv[1]), sys.argv[2].encode()
lat, failed, end = [], 0, time.monotonic() + secs
while time.monotonic() < end:
    t0 = time.monotonic()
    try:
        with open("/proc/meminfo", "rb") as f:
            data = f.read()
        if data.split(b"\n", 1)[0].split()[1:2] != [want]:
            failed += 1
    except OSError:
        failed += 1
    lat.append(time.monotonic() - t0)
    time.sleep(0.005)
lat.sort()
print(len(lat), failed, "%.3f" % (lat[max(0, int(len(lat) * 0.99) - 1)] * 1000),
      "%.3f" % (lat[-1] * 1000))' "$SECS" "$WANT_KB"
}

# ---- the attacks, each bounded by count and by SECS + 2 seconds ---------------

attack_idle() {
	sleep $((SECS + 1))
}

attack_flood() {
	ct_sh atk '
	exec "$PYTHON" - <<"EOF"
import os, resource, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
per, total, end = min(hard - 64, 20000), 0, time.monotonic() + float(os.environ["SECS"]) + 1
while total < 100000 and time.monotonic() < end:
    r, w = os.pipe()
    if os.fork() == 0:
        fds, told = [], False
        # Refused: keep trying every millisecond, to take any fd the daemon frees.
        while time.monotonic() < end:
            try:
                if len(fds) < per:
                    fds.append(os.open(os.environ["ATK_DIR"] + "/" + os.environ["FILE"], os.O_RDONLY))
                    continue
            except OSError:
                time.sleep(0.001)
            if not told:
                os.write(w, b"%d\n" % len(fds))
                told = True
            if len(fds) >= per:
                time.sleep(0.05)
        if not told:
            os.write(w, b"%d\n" % len(fds))
        os._exit(0)
    os.close(w)
    n = int(os.read(r, 64))
    total += n
    if n < per:
        break
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
print("held %d files open" % total)
EOF'
}

attack_tasks() {
	ct_sh atk '
	exec "$PYTHON" - <<"EOF"
import os, threading, time
end = time.monotonic() + float(os.environ["SECS"]) + 1
counts = []
def writer():
    tid, n = str(threading.get_native_id()).encode(), 0
    while n < 100000 and time.monotonic() < end:
        fd = os.open(os.environ["ATK_DIR"] + "/" + os.environ["LIST"], os.O_WRONLY)
        try:
            os.write(fd, tid)
        except OSError:
            pass
        os.close(fd)
        n += 1
    counts.append(n)
# More writers than the daemon has worker threads (4 by default).
ths = [threading.Thread(target=writer) for _ in range(8)]
for th in ths:
    th.start()
for th in ths:
    th.join()
print("%d tasks writes by 8 threads" % sum(counts))
EOF'
}

attack_init() {
	ct_sh atk '
	n=0 end=$((SECONDS + SECS + 1))
	while ((SECONDS < end && n < 100000)); do
		for i in 1 2 3 4; do
			unshare --pid --fork cat "$BFS_MNT/proc/meminfo" >/dev/null 2>&1 &
		done
		wait
		n=$((n + 4))
	done
	echo "$n readers in new pid namespaces"'
}

declare -A P99 WORST
for phase in idle flood tasks init; do
	"attack_$phase" >"$T_TMP/$phase.atk" 2>&1 &
	atk=$!
	sleep 0.5
	read -r reads failed p99 worst <<<"$(vic_sample)"
	wait "$atk"
	[ -n "${worst:-}" ] || die "$phase: vic measured nothing"
	P99[$phase]=$p99 WORST[$phase]=$worst
	awk -v ph="$phase" -v n="$reads" -v f="$failed" -v p="$p99" -v w="$worst" \
		-v bp="${P99[idle]}" -v bw="${WORST[idle]}" -v a="$(tail -n1 "$T_TMP/$phase.atk")" 'BEGIN {
		printf "# %-5s vic: %5d reads, %4d failed, p99 %8.3f ms, worst %8.3f ms", ph, n, f, p, w
		if (ph != "idle")
			printf " (x%.1f, x%.1f of idle; %s)", p / bp, w / bw, a
		printf "\n" }'
	check_cmd "$phase: burrowfs alive" kill -0 "$BFS_PID"
	[ "$phase" == idle ] || note "$phase: target worst < 50 ms: $(awk -v w="$worst" \
		'BEGIN { print (w < 50 ? "met" : "NOT met") }')"
done
note "daemon fds after the attacks: $(find "/proc/$BFS_PID/fd" -mindepth 1 | wc -l)"
