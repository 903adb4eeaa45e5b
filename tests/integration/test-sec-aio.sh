#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 10, finding 11: a cgroup write through burrowfs is judged as the
# process that opened the file, as cgroupfs judges it (the file's f_cred,
# Linux >= 5.16), never as whoever the request claims sent it; and burrowfs
# does not negotiate async direct I/O, under which an io_submit()'ed request
# could outlive its sender.
#
# - An fd the ordinary user opened, written by root (CVE-2021-4197's shape:
#   a privileged writer tricked into writing to an unprivileged fd): root's
#   sleep must not move, as on cgroupfs.
# - An fd root opened, written by the user: moves, as on cgroupfs (the
#   opener's right, documented behaviour).
# - io_submit() writes are judged as the opener; the user's own sleep moves.
# - Async direct I/O is off: io_submit() returns only once the daemon has
#   answered (with async DIO it returns at once, the request left behind).

. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/sec-lib.sh"

t_init
FRZ=$(sec_v1_mount freezer)
[ -n "$FRZ" ] || skip "needs a v1 freezer hierarchy (hybrid host)"
[ -n "$PYTHON" ] || skip "needs python3"
AIO_IO=${AIO_IO:-$T_DIR/../../build/tests/integration/aio-io}
[ -x "$AIO_IO" ] || die "aio-io not built at $AIO_IO"
sec_user
sec_user_cgroup "$FRZ"
U=$CG_BASE/u
bfs_start
T=$BFS_MNT/cgroup/freezer

sleep 300 &
ROOT_SLEEP=$!
defer "kill $ROOT_SLEEP 2>/dev/null"
BEFORE=$(cg_line "$ROOT_SLEEP" freezer)

# One process, opener and writer apart: open FILE as OPEN_UID (euid, fsuid,
# groups; the saved uid stays 0), then write PID as WRITE_UID. Prints
# "ok" or "open:ERRNO" / "write:ERRNO".
FD_PY='
import errno, os, sys
path, pid, ouid, ogid, wuid, wgid = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
def become(uid, gid):
    os.setresuid(0, 0, 0); os.setgroups([]); os.setresgid(gid, gid, 0); os.setresuid(uid, uid, 0)
try:
    become(ouid, ogid); fd = os.open(path, os.O_WRONLY)
except OSError as e:
    print("open:" + errno.errorcode[e.errno]); sys.exit(0)
try:
    become(wuid, wgid); os.write(fd, pid.encode()); print("ok")
except OSError as e:
    print("write:" + errno.errorcode[e.errno])
'
opened_by_written_by() {
	"$PYTHON" -c "$FD_PY" "$1" "$ROOT_SLEEP" "$2" "$3" "$4" "$5"
}

# ---- the user's fd, written by root -----------------------------------------------
check_eq "cgroupfs: root writing to the user's fd is judged as the user" \
	"$(opened_by_written_by "$FRZ/$U/cgroup.procs" "$SEC_UID" "$SEC_GID" 0 0)" write:EACCES
check_eq "the tree: root writing to the user's fd fails with EACCES" \
	"$(opened_by_written_by "$T/$U/cgroup.procs" "$SEC_UID" "$SEC_GID" 0 0)" write:EACCES
check_eq "... tasks likewise" \
	"$(opened_by_written_by "$T/$U/tasks" "$SEC_UID" "$SEC_GID" 0 0)" write:EACCES
check_eq "root's sleep did not move (kernel's view)" "$(cg_line "$ROOT_SLEEP" freezer)" "$BEFORE"

# ---- io_submit(), O_DIRECT, as the user ---------------------------------------------
out=$(as_user "$AIO_IO" write "$T/$U/cgroup.procs" "$ROOT_SLEEP" 2>&1)
check_eq "io_submit: the user's write of root's pid fails with EACCES" "$out" \
	"aio-io: write: Permission denied"
check_eq "root's sleep did not move" "$(cg_line "$ROOT_SLEEP" freezer)" "$BEFORE"
export AIO_IO
out=$(as_user bash -c '
	sleep 300 & s=$!
	"$AIO_IO" write "$1/cgroup.procs" $s 2>&1 && echo written
	awk -F: "\$2 == \"freezer\" { print \$3 }" /proc/$s/cgroup
	kill $s' _ "$T/$U")
check_eq "io_submit: the user moves its own sleep" "$(tr '\n' ' ' <<<"$out")" "written /$U "

# ---- async direct I/O is not negotiated ------------------------------------------
# With it, io_submit() of an O_DIRECT read returns at once and the request
# is answered whenever the daemon gets to it, the sender perhaps gone; without
# it io_submit() waits for the answer. The daemon (our own) is stopped
# between open and submit to tell which.
mkfifo "$T_TMP/go"
exec {go}<>"$T_TMP/go"
"$AIO_IO" read-wait "$BFS_MNT/proc/meminfo" <"$T_TMP/go" >"$T_TMP/aio.out" 2>&1 &
aio=$!
defer "kill -CONT $BFS_PID 2>/dev/null; kill $aio 2>/dev/null"
for ((i = 0; i < 50; i++)); do
	grep -q opened "$T_TMP/aio.out" && break
	sleep 0.1
done
kill -STOP "$BFS_PID"
# A process-wide stop reaches the other threads only once one thread took
# it: until every thread is stopped, one could still answer.
for ((i = 0; i < 50; i++)); do
	awk '{ sub(/.*\) /, ""); if ($1 != "T") exit 1 }' /proc/"$BFS_PID"/task/*/stat && break
	sleep 0.1
done
echo go >&"$go"
sleep 0.5
early=$(grep -c submitted "$T_TMP/aio.out")
kill -CONT "$BFS_PID"
wait "$aio"
check_eq "io_submit() waits for the daemon's answer: no async direct I/O" "$early" 0
check_cmd "... and the read gave the file" grep -q '^MemTotal:' "$T_TMP/aio.out"

# ---- root's fd, written by the user: the opener's right, as on cgroupfs -------------
check_eq "cgroupfs: the user writing to root's fd is judged as root" \
	"$(opened_by_written_by "$FRZ/$U/cgroup.procs" 0 0 "$SEC_UID" "$SEC_GID")" ok
echo "$ROOT_SLEEP" >"$FRZ$BEFORE/cgroup.procs"
check_eq "the tree: likewise (judged by the opener)" \
	"$(opened_by_written_by "$T/$U/cgroup.procs" 0 0 "$SEC_UID" "$SEC_GID")" ok
check_eq "... and root's sleep moved" "$(cg_line "$ROOT_SLEEP" freezer)" "/$U"
echo "$ROOT_SLEEP" >"$FRZ$BEFORE/cgroup.procs"
threads_clean "$BFS_PID"
