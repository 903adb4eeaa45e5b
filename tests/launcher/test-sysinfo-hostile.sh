#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Hostile callers and senders against burrowfs's seccomp agent (issue 13):
# bad pointers get EFAULT as from the kernel; processes that die while
# their threads wait on the agent; 64 threads calling at once; a fork storm
# against the pids limit; local users who connect and send junk or nothing.
# After each, the agent still answers, with the container's figures.

. "$(dirname "$0")/lib.sh"
. "$L_DIR/sysinfo-lib.sh"

si_init

# still_correct WHAT: the daemon lives and a fresh container gets its own figures.
still_correct() {
	check_cmd "$1: burrowfs still runs" kill -0 "$BFS_PID"
	si_run -- /mnt/check show >"$T_TMP/after.out" 2>&1
	check_eq "$1: then sysinfo still answers with the limit" \
		"$(si_field "$T_TMP/after.out" totalram)" $SI_LIMIT
}

# ---- bad pointers -------------------------------------------------------------

si_run -- /mnt/check badptr >"$T_TMP/bad.out" 2>&1
check_eq "bad pointers: the checker's verdict" "$?" 0
for what in null one kernel rodata straddle; do
	check_eq "bad pointer '$what' gets EFAULT" "$(si_field "$T_TMP/bad.out" "$what")" EFAULT
done
check_eq "the last bytes before an unmapped page are written" \
	"$(awk '$1 == "edge" { print $2, $3 }' "$T_TMP/bad.out")" "OK $SI_LIMIT"
# The kernel's own verdicts, for comparison: the host's sysinfo, no agent.
"$SI_BIN/check" badptr >"$T_TMP/bad-host.out" 2>&1
check_eq "the host's kernel gives the same verdicts" \
	"$(grep -v '^edge' "$T_TMP/bad-host.out")" "$(grep -v '^edge' "$T_TMP/bad.out")"
still_correct "bad pointers"

# ---- callers that die mid-call --------------------------------------------------

si_run -- /mnt/check exitmid 300 >"$T_TMP/exitmid.out" 2>&1
check_eq "300 processes exit or are killed while their threads call" \
	"$(si_field "$T_TMP/exitmid.out" exited)" 300
still_correct "callers dying mid-call"

# ---- 64 threads at once -----------------------------------------------------------

si_run -- /mnt/check threads 64 "$SI_HOST_RAM" >"$T_TMP/threads.out" 2>&1
check_eq "64 threads x 200 calls" "$(si_field "$T_TMP/threads.out" calls)" 12800
check_eq "64 threads: no failed call and no host answer" "$(si_field "$T_TMP/threads.out" bad)" 0

# ---- a fork storm under the pids limit ------------------------------------------

# 300 forks at once against 48 pids: many are refused (EAGAIN); every child
# that runs calls 20 times and must get the container's figures each time.
si_run -c pids=48 -- /mnt/check storm 300 "$SI_HOST_RAM" >"$T_TMP/storm.out" 2>&1
note "fork storm: $(tr '\n' ' ' <"$T_TMP/storm.out")"
check_num "fork storm: children that ran" "$(si_field "$T_TMP/storm.out" forked)" ">" 0
check_num "fork storm: forks the pids limit refused" "$(si_field "$T_TMP/storm.out" refused)" ">" 0
check_eq "fork storm: children with a failed call or a host answer" \
	"$(si_field "$T_TMP/storm.out" bad)" 0
check_eq "after a fork storm into pids=48, a call in the same container" \
	"$(si_field "$T_TMP/storm.out" totalram)" $SI_LIMIT
still_correct "a fork storm"

# ---- local users who connect -------------------------------------------------------

U=bsi$$
l_user "$U"
# Connections that never send: a user gets AGENT_CONNS_PER_UID (4) at a time,
# dropped after 5 s; others are not kept out meanwhile.
cat >"$T_TMP/idle.py" <<'PY'
import socket, sys, time
socks = []
for i in range(20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    socks.append(s)
time.sleep(8)
PY
cat >"$T_TMP/junk.py" <<'PY'
import array, os, socket, sys
# A state message naming a "seccompFd" that is /dev/null; then one that is garbage.
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
fd = os.open("/dev/null", os.O_RDONLY)
msg = b'{"ociVersion":"1.0.2","fds":["seccompFd"],"pid":1}'
s.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
s.close()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"\xff" * 70000)
s.close()
print("sent")
PY
chmod 644 "$T_TMP/idle.py" "$T_TMP/junk.py"
if [ -n "${PYTHON:-}" ] || PYTHON=$(command -v python3); then
	as "$U" "$PYTHON $T_TMP/idle.py $SI_SOCK" >/dev/null 2>&1 &
	idle=$!
	sleep 1
	si_run -- /mnt/check show >"$T_TMP/during.out" 2>&1
	check_eq "while a user holds idle connections, a container still gets its listener served" \
		"$(si_field "$T_TMP/during.out" totalram)" $SI_LIMIT
	wait "$idle"
	check_eq "a user's junk: sent" "$(as "$U" "$PYTHON $T_TMP/junk.py $SI_SOCK" 2>&1)" sent
	still_correct "junk from a local user"
else
	note "SKIP local users' connections: no python3 on the host"
fi

# ---- a user's fd whose close waits on that user -----------------------------------

# The user serves a FUSE filesystem whose FLUSH (sent by every close()) is
# never answered, and sends an fd of it: the agent must not close it where
# that wait stalls anyone else (fs/fdcloser.c). Then new containers, whose
# listeners the agent must take in, still get their answers.
hold_stop() {
	[ -n "${HOLD_PID:-}" ] && kill -KILL "$HOLD_PID" 2>/dev/null
	[ -n "${HOLD_SEND:-}" ] && kill -KILL "$HOLD_SEND" 2>/dev/null
	umount -l "$T_TMP/hold" 2>/dev/null
	return 0
}
cat >"$T_TMP/fusefd.py" <<'PY'
import array, os, signal, socket, sys
fd = os.open(sys.argv[2], os.O_RDONLY)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
# Named as the listener, and one more beside it.
msg = b'{"ociVersion":"1.0.2","fds":["seccompFd"],"pid":1}'
s.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd, fd]))])
s.close()
print("sent", flush=True)
# Our own close of fd would wait on the server too: the test kills it.
signal.pause()
PY
chmod 644 "$T_TMP/fusefd.py"
if [ -z "${PYTHON:-}" ] || ! command -v fusermount3 >/dev/null ||
	! cc -o "$SI_BIN/holdfs" "$L_DIR/holdfs.c" $(pkg-config --cflags --libs fuse3) \
		>"$T_TMP/holdfs-cc.log" 2>&1; then
	note "SKIP a FUSE fd from a local user: no python3, fusermount3 or libfuse3"
else
	defer hold_stop
	mkdir -p "$T_TMP/hold"
	# Served by root here: where /dev/fuse is 0600 the user could not mount
	# it (elsewhere it can, with fusermount3); the fd is the user's to send.
	"$SI_BIN/holdfs" -f -o allow_other "$T_TMP/hold" >"$T_TMP/holdfs.log" 2>&1 &
	HOLD_PID=$!
	for ((i = 0; i < 100; i++)); do
		findmnt -n "$T_TMP/hold" >/dev/null && break
		sleep 0.1
	done
	check_cmd "the user's FUSE filesystem is mounted" findmnt -n "$T_TMP/hold"
	findmnt -n "$T_TMP/hold" >/dev/null || note "holdfs: $(cat "$T_TMP/holdfs.log")"
	as "$U" "exec $PYTHON $T_TMP/fusefd.py $SI_SOCK $T_TMP/hold/f" >"$T_TMP/fusefd.out" 2>&1 &
	HOLD_SEND=$!
	for ((i = 0; i < 100; i++)); do
		grep -q sent "$T_TMP/fusefd.out" && break
		sleep 0.1
	done
	check_eq "a user's FUSE fd: sent" "$(cat "$T_TMP/fusefd.out")" sent
	sleep 0.5
	# A hang detector, not a speed goal: a stalled agent never answers.
	for i in 1 2 3; do
		SI_TIMEOUT=30 si_run -- /mnt/check show >"$T_TMP/fuse-$i.out" 2>&1
		check_eq "after a user's FUSE fd, new container $i gets the limit from sysinfo" \
			"$(si_field "$T_TMP/fuse-$i.out" totalram)" $SI_LIMIT
	done
	check_cmd "after a user's FUSE fd: burrowfs still runs" kill -0 "$BFS_PID"
	hold_stop
fi
