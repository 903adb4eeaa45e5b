#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Security finding 10: one container must not stall burrowfs for everyone.
# Container "atk" (a pid namespace whose init sits in a test cgroup, using
# the cgroup tree of the mount) opens up to 100,000 cgroup files and keeps
# them open, then writes thread ids to `tasks` in a loop. Meanwhile container
# "vic" reads /proc/meminfo through the mount. Every read of vic must
# succeed and show vic's own limit; atk must be refused with EMFILE/ENFILE
# well before the daemon runs out of fds; and once atk has gone, the
# daemon's fd count must be back near where it started.
#
# The daemon's RLIMIT_NOFILE is lowered to 8192 with prlimit, so that the
# unbounded daemon runs out quickly and always at the same point.

. "$(dirname "$0")/../lib/lib.sh"

t_init
command -v prlimit >/dev/null || skip "needs prlimit (util-linux)"
[ -n "$PYTHON" ] || skip "needs python3"
MEMDIR=$(cg_ctrl_dir memory "") || skip "needs a memory controller"
bfs_start
NOFILE=8192
# The cap a container must never pass, whatever the daemon's limit (fs/serve/fdquota.h).
PER_CT_MAX=4096
prlimit --pid "$BFS_PID" --nofile=$NOFILE:$NOFILE || die "prlimit on burrowfs"

cg_new atk
cg_new vic
LIMIT=$((300 * 1024 * 1024))
cg_set vic mem "$LIMIT" || die "cannot set a memory limit"
# The kernel may round the limit to pages: what it holds is what vic must see.
if [ -e "$MEMDIR/vic/memory.limit_in_bytes" ]; then
	LIMIT=$(cat "$MEMDIR/vic/memory.limit_in_bytes")
else
	LIMIT=$(cat "$MEMDIR/vic/memory.max")
fi
HIER=memory
[ -e "$MEMDIR/vic/memory.limit_in_bytes" ] || HIER=unified
ATK_FILE=$BFS_MNT/cgroup/$HIER/$CG_BASE/atk/memory.$([ "$HIER" == memory ] && echo limit_in_bytes || echo max)
ATK_TASKS=$BFS_MNT/cgroup/$HIER/$CG_BASE/atk/$([ "$HIER" == memory ] && echo tasks || echo cgroup.threads)
STOP=$T_TMP/stop
ATK_OUT=$T_TMP/atk.out
export ATK_FILE ATK_TASKS STOP ATK_OUT PYTHON

fd_count() {
	find "/proc/$BFS_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# vic_reads N: N reads of /proc/meminfo in vic, 20 ms apart (longer than the
# render cache, so each read renders). Prints "reads failures bad_totals".
vic_reads() {
	ct_run "$BFS_MNT" vic /bin/bash -c '
		ok=0 fail=0 bad=0
		for ((i = 0; i < $1; i++)); do
			if mi=$(cat /proc/meminfo 2>/dev/null) && [ -n "$mi" ]; then
				ok=$((ok + 1))
				t=$(awk "\$1 == \"MemTotal:\" { print \$2 }" <<<"$mi")
				[ "$t" == "$2" ] || bad=$((bad + 1))
			else
				fail=$((fail + 1))
			fi
			sleep 0.02
		done
		echo "$ok $fail $bad"' vic "$1" $((LIMIT / 1024))
}

# ---- idle baseline ------------------------------------------------------------

read -r ok fail bad <<<"$(vic_reads 20)"
check_eq "idle: vic's reads all succeed" "$ok/$fail" "20/0"
check_eq "idle: vic's MemTotal is its limit" "$bad" 0
base_fds=$(fd_count)
note "daemon fds at rest: $base_fds"

# ---- fd flood -----------------------------------------------------------------

# atk opens the same cgroup file up to 100,000 times (bounded: 60 s), in
# processes of up to 20,000 open files each (its own RLIMIT_NOFILE), keeps
# everything open until $STOP appears (bounded: 60 s), and writes "opened
# ERRNO" to $ATK_OUT as soon as it stops opening.
rm -f "$STOP"
CT_TIMEOUT=90 ct_sh atk '
	exec "$PYTHON" - <<"EOF"
import errno, os, resource, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
per = min(hard - 64, 20000)
total, err, t0, kids = 0, 0, time.monotonic(), []
while total < 100000 and not err and time.monotonic() - t0 < 60:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        fds, e = [], 0
        while len(fds) < min(per, 100000 - total) and time.monotonic() - t0 < 60:
            try:
                fds.append(os.open(os.environ["ATK_FILE"], os.O_RDONLY))
            except OSError as x:
                e = x.errno
                break
        os.write(w, b"%d %d\n" % (len(fds), e))
        while not os.path.exists(os.environ["STOP"]) and time.monotonic() - t0 < 120:
            time.sleep(0.05)
        os._exit(0)
    os.close(w)
    n, e = map(int, os.read(r, 64).split())
    os.close(r)
    kids.append(pid)
    total += n
    err = e
with open(os.environ["ATK_OUT"] + ".tmp", "w") as f:
    f.write("%d %s\n" % (total, errno.errorcode.get(err, str(err))))
os.rename(os.environ["ATK_OUT"] + ".tmp", os.environ["ATK_OUT"])
for pid in kids:
    os.waitpid(pid, 0)
EOF' &
atk_pid=$!
defer "touch '$STOP'; wait $atk_pid 2>/dev/null"
for ((i = 0; i < 700; i++)); do
	[ ! -e "$ATK_OUT" ] || break
	sleep 0.1
done
[ -e "$ATK_OUT" ] || die "atk did not finish opening within 70 s"
read -r opened err <"$ATK_OUT"
note "atk held $opened cgroup files open, then got $err; daemon fds: $(fd_count)"
check_cmd "burrowfs is alive under the flood" kill -0 "$BFS_PID"
check_cmd "atk was refused with EMFILE or ENFILE (got $err)" \
	test "$err" == EMFILE -o "$err" == ENFILE
check_num "atk holds no more than its share of the daemon's fds" "$opened" "<=" $PER_CT_MAX
read -r ok fail bad <<<"$(vic_reads 50)"
check_eq "flood: none of vic's 50 meminfo reads failed" "$ok/$fail" "50/0"
check_eq "flood: vic's MemTotal stays its own limit" "$bad" 0
touch "$STOP"
wait "$atk_pid"
for ((i = 0; i < 50; i++)); do
	[ "$(fd_count)" -le $((base_fds + 8)) ] && break
	sleep 0.1
done
check_num "after the flood the daemon's fds are back near $base_fds" "$(fd_count)" "<=" \
	$((base_fds + 8))

# ---- a host user's flood ------------------------------------------------------

# flood_as CMD...: CMD (a wrapper, or none) opens the cgroup file until
# refused; prints "opened errno uid CapEff fd-limit". The daemon's mountpoint
# lies under the test's private directory: the cgroup directory comes as fd
# 3, opened by root, as the wrapper may take the permission to reach it.
flood_as() {
	"$@" "$PYTHON" - "$(basename "$ATK_FILE")" 3<"$(dirname "$ATK_FILE")" <<'EOF'
import errno, os, resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
eff = [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff:")][0]
fds, err = [], 0
while len(fds) < 19000:
    try:
        fds.append(os.open(sys.argv[1], os.O_RDONLY, dir_fd=3))
    except OSError as e:
        err = e.errno
        break
print(len(fds), errno.errorcode.get(err, str(err)), os.getuid(), eff, hard)
EOF
}

# Any local user may open the mount: an unprivileged host user has a share
# of its own too, and must not take the pool from the containers.
flood_as setpriv --reuid=65534 --regid=65534 --clear-groups -- >"$ATK_OUT"
read -r opened err uid eff hard <"$ATK_OUT"
note "host user nobody (uid $uid) held $opened cgroup files open, then got $err"
check_cmd "host user nobody was refused with EMFILE (got $err)" test "$err" == EMFILE
check_num "host user nobody holds no more than a container's share" "$opened" "<=" $PER_CT_MAX

# uid 0 alone is not host root (fs/serve/caller.c): a uid 0 process with no
# capability, as `setpriv --inh-caps=-all --bounding-set=-all` makes it, gets
# uid 0's share like any host user, not the whole pool.
flood_as setpriv --inh-caps=-all --bounding-set=-all -- >"$ATK_OUT"
read -r opened err uid eff hard <"$ATK_OUT"
note "capless uid $uid (CapEff $eff, own fd limit $hard) held $opened cgroup files open, then got $err"
check_eq "the capless reader is uid 0 with no effective capability" "$uid:$eff" 0:0000000000000000
check_cmd "capless uid 0 was refused with EMFILE (got $err)" test "$err" == EMFILE
check_num "capless uid 0 holds no more than a container's share" "$opened" "<=" $PER_CT_MAX

# And host root itself, with its capabilities, is bounded by the total only.
flood_as >"$ATK_OUT"
read -r opened err uid eff hard <"$ATK_OUT"
note "host root held $opened cgroup files open, then got $err"
check_eq "host root was refused by the total only (ENFILE)" "$err" ENFILE
check_num "host root held more than a container's share" "$opened" ">" $PER_CT_MAX

# ---- tasks writes -------------------------------------------------------------

# A crowded host: 1000 processes of the test's own (sleeps in cgroup
# "crowd"), so that a translation that scans the host's /proc shows.
cg_new crowd
bash -c 'for d in $1; do echo $$ >"$d/cgroup.procs" || exit 1; done
	for ((i = 0; i < 1000; i++)); do sleep 120 & done
	wait' crowd "$(cg_procs_dirs crowd | tr '\n' ' ')" &
crowd_pid=$!
defer "kill $crowd_pid 2>/dev/null"
for ((i = 0; i < 100; i++)); do
	[ "$(cg_nr_tasks crowd)" -ge 1000 ] && break
	sleep 0.1
done
note "crowd: $(cg_nr_tasks crowd) tasks"

# atk writes the id of one of its threads (not a process: the slowest to
# find) to its tasks file in a loop, bounded by count (3000) and time (20 s),
# while vic reads. Prints "writes failures seconds".
rm -f "$STOP" "$ATK_OUT"
CT_TIMEOUT=60 ct_sh atk '
	exec "$PYTHON" - <<"EOF"
import os, threading, time
ev = threading.Event()
th = threading.Thread(target=ev.wait)
th.start()
tid = str(th.native_id).encode()
n = fail = 0
t0 = time.monotonic()
while n < 3000 and time.monotonic() - t0 < 20:
    try:
        fd = os.open(os.environ["ATK_TASKS"], os.O_WRONLY)
        try:
            os.write(fd, tid)
        finally:
            os.close(fd)
    except OSError:
        fail += 1
    n += 1
ev.set()
th.join()
with open(os.environ["ATK_OUT"], "w") as f:
    f.write("%d %d %.3f\n" % (n, fail, time.monotonic() - t0))
EOF' &
atk_pid=$!
read -r ok fail bad <<<"$(vic_reads 50)"
wait "$atk_pid"
read -r writes wfail secs <"$ATK_OUT" || die "atk's tasks loop wrote no result"
note "atk wrote tasks $writes times in $secs s ($wfail failed)"
check_eq "atk's tasks writes of its own thread succeed" "$wfail" 0
# Each write costs a lookup, not a walk of the host: 3000 take well under
# 10 s (about 1 s here; scanning the crowded host's /proc took 5 ms and
# more per write).
check_eq "all 3000 tasks writes done within the 20 s bound" "$writes" 3000
check_num "3000 tasks writes take less than 10 s" "$secs" "<" 10
check_eq "tasks loop: none of vic's 50 meminfo reads failed" "$ok/$fail" "50/0"
check_eq "tasks loop: vic's MemTotal stays its own limit" "$bad" 0
check_cmd "burrowfs is alive after both attacks" kill -0 "$BFS_PID"
