#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Nothing stale under the keepers' runtime directory (issue 17): after 50
# restarts of each kind (SIGTERM and start, kill -9 and start, an upgrade
# takeover), one keeper serves the mountpoint and the directory holds only
# live keepers' sockets and the start lock. Keepers killed with their daemon
# (kill -9 of both) leave sockets nobody listens on; the next start of any
# burrowfs removes them, and never a live keeper's.
source "$(dirname "$0")/../lib/lib.sh"
t_init
[ -n "$PYTHON" ] || skip "no python3"
RUNDIR=/run/burrowfs
ROUNDS=${RESTART_ROUNDS:-50}

bfs_start
MNT=$BFS_MNT

keeper_of() {
	pgrep -f -- "--keeper $1 "
}

# keeper_sock MNT: the socket of MNT's keeper, from its command line.
keeper_sock() {
	local k
	k=$(keeper_of "$1" | head -n1)
	[ -n "$k" ] && tr '\0' '\n' <"/proc/$k/cmdline" | sed -n 4p
}

# socks live|dead: the sockets in RUNDIR that accept a connection, or that
# refuse one (nobody listens), by the kernel's own answer to connect().
socks() {
	"$PYTHON" - "$RUNDIR" "$1" <<-'PY'
		import os, socket, stat, sys
		d, want = sys.argv[1], sys.argv[2]
		for n in sorted(os.listdir(d)):
		    p = os.path.join(d, n)
		    if not stat.S_ISSOCK(os.lstat(p).st_mode):
		        continue
		    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
		    try:
		        s.connect(p)
		        state = "live"
		    except ConnectionRefusedError:
		        state = "dead"
		    except OSError:
		        state = "other"
		    finally:
		        s.close()
		    if state == want:
		        print(p)
	PY
}

# others: the files in RUNDIR that are neither a socket nor the start lock.
others() {
	find "$RUNDIR" -mindepth 1 -maxdepth 1 ! -type s ! -name start.lock -printf '%p\n'
}

# restart KIND: one restart of the burrowfs on MNT; 1 when it went wrong.
restart() {
	local old=$BFS_PID
	case $1 in
	TERM | KILL)
		kill "-$1" "$old"
		wait "$old" 2>/dev/null
		bfs_forget "$old"
		bfs_start_on "$MNT" "$BURROWFS"
		;;
	upgrade)
		bfs_start_on "$MNT" "$T_TMP/burrowfs-upgrade"
		wait "$old"
		bfs_forget "$old"
		;;
	*) return 1 ;;
	esac
	grep -q "Took over" "$BFS_LOG"
}

cp "$BURROWFS" "$T_TMP/burrowfs-upgrade"
sock=$(keeper_sock "$MNT")
check_cmd "the keeper's socket is in $RUNDIR ($sock)" test -S "$sock" -a "$(dirname "$sock")" == "$RUNDIR"
for kind in TERM KILL upgrade; do
	bad=0
	for ((i = 0; i < ROUNDS; i++)); do
		restart "$kind" || bad=$((bad + 1))
	done
	check_num "$ROUNDS restarts by $kind: each new burrowfs took the connection over" "$bad" == 0
	check_eq "after them: one keeper serves $MNT" "$(keeper_of "$MNT" | wc -l)" 1
	check_cmd "after them: its socket answers" grep -qx "$sock" <(socks live)
	check_eq "after them: no socket in $RUNDIR that nobody listens on" "$(socks dead)" ""
	check_eq "after them: nothing but sockets and start.lock in $RUNDIR" "$(others)" ""
done

# ---- keepers killed with their daemon: their sockets are swept at the next start ---------
mkdir -p "$T_TMP/scratch"
killed=()
pids=()
daemons=()
# All started first: each start sweeps what earlier kills left.
for i in 1 2 3 4 5; do
	m=$T_TMP/scratch/m$i
	mkdir "$m"
	defer "timeout 10 '$BURROWFS' --stop '$m' >/dev/null 2>&1; rmdir '$m' 2>/dev/null"
	"$BURROWFS" "$m" >"$T_TMP/scratch/m$i.log" 2>&1 &
	p=$!
	bfs_wait_ready "$p" "$m"
	s=$(keeper_sock "$m")
	k=$(keeper_of "$m")
	[ -n "$s" ] && [ -n "$k" ] || die "no keeper for $m"
	pids+=("$p" "$k")
	daemons+=("$p")
	killed+=("$s")
done
kill -KILL "${pids[@]}"
for p in "${pids[@]}"; do
	for ((j = 0; j < 50; j++)); do
		[ -e "/proc/$p" ] && ! grep -q "^State:.*Z" "/proc/$p/status" 2>/dev/null || break
		sleep 0.1
	done
done
# Only the daemons are our children (a keeper is nobody's).
wait "${daemons[@]}" 2>/dev/null
dead=$(socks dead)
for s in "${killed[@]}"; do
	check_cmd "kill -9 of daemon and keeper left $s, which nobody listens on" grep -qx "$s" <<<"$dead"
done
restart TERM
check_cmd "the next start says it removed them" grep -q "Removed [0-9]* socket(s) of keepers that are gone" "$BFS_LOG"
for s in "${killed[@]}"; do
	check_cmd "the next start removed $s" test ! -e "$s"
done
check_cmd "the live keeper's socket stays and answers" grep -qx "$sock" <(socks live)
check_eq "no socket in $RUNDIR that nobody listens on" "$(socks dead)" ""
check_eq "nothing but sockets and start.lock in $RUNDIR" "$(others)" ""

# ---- the end: --stop leaves nothing of this keeper ------------------------------------------
timeout 10 "$BURROWFS" --stop "$MNT"
check_eq "--stop exits with 0" "$?" 0
wait "$BFS_PID"
bfs_forget "$BFS_PID"
check_cmd "--stop: the keeper's socket is gone" test ! -e "$sock"
check_eq "--stop: no keeper of $MNT is left" "$(keeper_of "$MNT" | wc -l)" 0
