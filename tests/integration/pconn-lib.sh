# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Per-container connections in the integration and VM tests, after lib.sh:
# containers made with unshare in cgroups of the test's own, attached to a
# burrowfs control socket with pconn-attach, and readers in them that log
# every failed, wrong or slow read.

PCONN_ATTACH=${PCONN_ATTACH:-$T_DIR/../../build/tests/integration/pconn-attach}

# pc_start REL [user|priv]: a container in REL's cgroups: root of a user
# namespace of its own made by root (or by SEC_USER with "user", after
# sec_user; none at all with "priv"), pid 1 of a pid namespace, /proc of its
# own in a private mount namespace. Sets PC_UP (unshare, whose SIGKILL ends
# the container) and PC_PID (the container's init, host pid).
pc_start() {
	local rel=$1 as=() userns=(--user --map-root-user) i
	[ "${2:-}" != user ] || as=(setpriv --reuid="$SEC_UID" --regid="$SEC_GID" --clear-groups --)
	[ "${2:-}" != priv ] || userns=()
	bash -c 'for d in $1; do echo $$ >"$d/cgroup.procs" || exit 125; done; shift; exec "$@"' \
		pc "$(cg_procs_dirs "$rel" | tr '\n' ' ')" "${as[@]}" \
		unshare --kill-child "${userns[@]}" --pid --fork --mount --mount-proc \
		--propagation private sleep 600 &
	PC_UP=$!
	unset "PC_STOPPED[$PC_UP]"
	defer "pc_stop $PC_UP"
	PC_PID=""
	for ((i = 0; i < 1000; i++)); do
		# unshare forks a short-lived helper first: wait for pid 1 running sleep.
		PC_PID=$(tr -d ' \n' <"/proc/$PC_UP/task/$PC_UP/children" 2>/dev/null)
		[ -n "$PC_PID" ] && [ "$(cat "/proc/$PC_PID/comm" 2>/dev/null)" == sleep ] &&
			awk '$1 == "NSpid:" { exit !(NF == 3 && $3 == 1) }' "/proc/$PC_PID/status" 2>/dev/null &&
			break
		PC_PID=""
		sleep 0.005
	done
	[ -n "$PC_PID" ] || die "a container in $rel did not start"
}

# pc_stop UP: the container ends with its unshare (--kill-child). Once only:
# the cleanup pc_start deferred must not signal the number again after its
# unshare was reaped (it may name another process by then).
declare -gA PC_STOPPED=()
pc_stop() {
	[ -z "${PC_STOPPED[$1]:-}" ] || return 0
	PC_STOPPED[$1]=1
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# pc_stats SOCK: the counters of the daemon behind SOCK, "name value" lines.
pc_stats() {
	timeout 10 "$PCONN_ATTACH" stats "$1"
}

# pc_stat SOCK NAME: one counter.
pc_stat() {
	pc_stats "$1" | awk -v k="$2" '$1 == k { print $2 }'
}

# pc_requests SOCK: every request the daemon behind SOCK served on per-container connections.
pc_requests() {
	pc_stats "$1" | awk '$1 ~ /^requests_/ { n += $2 } END { print n + 0 }'
}

live_is() { [ "$(pc_stat "$1" connections_live)" == "$2" ]; }
nfds() { ls "/proc/$1/fd" | wc -l; }

# wait_for SECS CMD...: poll CMD until it succeeds, at most SECS seconds.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# ---- readers ------------------------------------------------------------------------
# READERS: "name:pid" of each reader started; STOP: the file that ends them;
# READ_SECS: how long they read at most, should the test not stop them.
READERS=()
STOP=""
READ_SECS=${READ_SECS:-100}

# The reader: READER_PY STOPFILE LOG MEMTOTAL_KB SECS [STAT]. With STAT "no"
# (READ_STAT=no for reader_in) it leaves /proc/stat out. LOG gets "TICK ns n"
# five times a second, "ERR ns what errno text" for a failed read,
# "WRONG ns what tail" for a wrong one, "SLOW ns ms what" for one over 2 ms,
# and "COUNT n", "DONE" at the end.
# shellcheck disable=SC2016
READER_PY='
import os, sys, time
stop, logp, want, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
with_stat = len(sys.argv) < 6 or sys.argv[5] == "yes"
log = open(logp, "a", buffering=1)
def whole(p):
    fd = os.open(p, os.O_RDONLY)
    try:
        out = b""
        while True:
            c = os.read(fd, 65536)
            if not c:
                return out
            out += c
    finally:
        os.close(fd)
held = os.open("/proc/meminfo", os.O_RDONLY)
reads = [("meminfo", lambda: whole("/proc/meminfo")), ("stat", lambda: whole("/proc/stat")),
         ("held", lambda: os.pread(held, 1 << 16, 0))]
if not with_stat:
    del reads[1]
rows = None
def right(what, text):
    global rows
    if not text.endswith(b"\n"):
        return False
    lines = text.decode().splitlines()
    if what == "stat":
        return lines[0].startswith("cpu ") and lines[-1].startswith("softirq ")
    if rows is None:
        rows = len(lines)
    return len(lines) == rows and lines[0].split()[:2] == ["MemTotal:", want]
n, tick = 0, time.monotonic()
end = tick + secs
while not os.path.exists(stop) and time.monotonic() < end:
    for what, fn in reads:
        t0 = time.time_ns()
        try:
            text = fn()
        except OSError as e:
            log.write("ERR %d %s %d %s\n" % (t0, what, e.errno, e.strerror))
            continue
        ms = (time.time_ns() - t0) / 1e6
        if ms > 2:
            log.write("SLOW %d %.1f %s\n" % (t0, ms, what))
        if not right(what, text):
            log.write("WRONG %d %s %r\n" % (t0, what, text[-60:]))
    n += 1
    if time.monotonic() - tick > 0.2:
        tick = time.monotonic()
        log.write("TICK %d %d\n" % (time.time_ns(), n))
    time.sleep(0.001)
log.write("COUNT %d\nDONE\n" % n)
'

# reader_in NAME PID WANT: the reader in container PID, through whatever is on its /proc.
reader_in() {
	: >"$T_TMP/$1.log"
	timeout $((READ_SECS + 20)) nsenter -t "$2" -U -m -p -- \
		"$PYTHON" -c "$READER_PY" "$STOP" "$T_TMP/$1.log" "$3" "$READ_SECS" "${READ_STAT:-yes}" \
		>"$T_TMP/$1.out" 2>&1 &
	READERS+=("$1:$!")
}

# ticks_after LOG NS: the reader of LOG made progress after NS.
ticks_after() {
	awk -v t="$2" '$1 == "TICK" && $2 > t { f = 1 } END { exit !f }' "$1"
}

# wait_ticks LOG PID NS: wait up to 20 s for it while the reader (PID) lives.
wait_ticks() {
	local i
	for ((i = 0; i < 200; i++)); do
		ticks_after "$1" "$3" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# gap LOG T0 T1: the longest read (ms) that began in [T0 - 100 ms, T1].
gap() {
	awk -v t="$(($2 - 100000000))" -v e="$3" '$1 == "SLOW" && $2 >= t && $2 <= e &&
		$3 > m { m = $3 } END { printf "%.1f", m + 0 }' "$1"
}

