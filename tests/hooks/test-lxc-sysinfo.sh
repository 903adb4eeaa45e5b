#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# LXC's seccomp proxy: an unprivileged LXC 5 container (lxc.idmap) limited
# to 300 MiB, with burrow's LXC include and the opt-in sysinfo include (as
# built, pointed at the built hook and the test's burrowfs and proxy
# socket). LXC sends each sysinfo(2) notification to burrowfs's
# --seccomp-lxc-socket; the guest's sysinfo totalram, glibc's
# get_phys_pages() and busybox free are the limit, as /proc/meminfo is.
# Control: the same container without the sysinfo include sees the host.
# A hostile sender (lxc-proxy-hostile.py) gets nothing written.
# Restarts: a container that stays up calls sysinfo while no burrowfs runs,
# after a SIGTERM and after a kill -9, and after an upgrade: LXC reconnects to
# the path, into the backlog of the socket the keeper holds, and the next
# daemon answers with the limit each time.

. "$(dirname "$0")/lib.sh"
L_DIR=$(cd "$HOOKS_DIR/../launcher" && pwd)
# shellcheck source=../launcher/sysinfo-lib.sh
. "$L_DIR/sysinfo-lib.sh"

hooks_init
command -v lxc-execute >/dev/null || skip "LXC is not installed (apt-get install lxc)"
BUILD=${MESON_BUILD_ROOT:-$HOOKS_DIR/../../build}
INCLUDE=$BUILD/share/10-burrow.conf
SI_INCLUDE=$BUILD/share/lxc-burrow-sysinfo.conf
POLICY=$HOOKS_DIR/../../share/lxc-burrow.seccomp
for f in "$INCLUDE" "$SI_INCLUDE" "$POLICY"; do
	[ -f "$f" ] || die "not built: $f"
done
si_build
LXC_SOCK=$T_TMP/seccomp-lxc.sock
si_bfs --seccomp-lxc-socket "$LXC_SOCK"
for ((i = 0; i < 50; i++)); do
	[ -S "$LXC_SOCK" ] && break
	sleep 0.1
done
[ -S "$LXC_SOCK" ] || die "burrowfs made no LXC proxy socket at $LXC_SOCK"

MAP_BASE=300000
LXCPATH=$T_TMP/lxc
mkdir -p "$LXCPATH"
chmod 755 "$T_TMP" "$LXCPATH"
defer cg_remove_every_hierarchy

# LXC maps ids through newuidmap/newgidmap whenever they are installed, even
# for root: lend root the range for the test's duration (as test-lxc.sh).
if command -v newuidmap >/dev/null; then
	for f in /etc/subuid /etc/subgid; do
		grep -qx "root:$MAP_BASE:65536" "$f" 2>/dev/null && continue
		echo "root:$MAP_BASE:65536" >>"$f" || die "cannot add root's range to $f"
		defer "sed -i '/^root:$MAP_BASE:65536\$/d' '$f'"
	done
fi

# The hook runs as the container's root: a copy it can reach.
install -m 755 "$HOOK_LXC" "$T_TMP/burrow-lxc-hook"

# proxy_up: the LXC proxy socket accepts (after a restart).
proxy_up() {
	local i
	for ((i = 0; i < 100; i++)); do
		"$PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])' "$LXC_SOCK" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# container NAME SYSINFO(yes|no): a rootfs of the guest programs only (static,
# owned by the container's root), the include, and with yes the sysinfo
# include as built, its paths pointed at the tree's policy and the test's socket.
container() {
	local ct=$LXCPATH/$1
	mkdir -p "$ct/rootfs"/{proc,sys,dev,tmp,bin}
	cp "$SI_BIN/check" "$SI_BIN/busybox" "$ct/rootfs/bin/"
	chown -R "$MAP_BASE:$MAP_BASE" "$ct/rootfs"
	chmod 755 "$ct"
	sed "s|^lxc.hook.mount = .*|lxc.hook.mount = $T_TMP/burrow-lxc-hook --burrowfs $BFS_MNT --require|" \
		"$INCLUDE" >"$ct/burrow.conf"
	cat >"$ct/config" <<-CONF
		lxc.uts.name = $1
		lxc.rootfs.path = dir:$ct/rootfs
		lxc.idmap = u 0 $MAP_BASE 65536
		lxc.idmap = g 0 $MAP_BASE 65536
		lxc.net.0.type = empty
		lxc.apparmor.profile = unconfined
		lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
		lxc.cgroup.dir.monitor = $CG_BASE/lxc-monitor-$1
		lxc.cgroup.dir.container = $CG_BASE/lxc-payload-$1
		lxc.cgroup.memory.limit_in_bytes = $SI_LIMIT
		lxc.cgroup2.memory.max = $SI_LIMIT
		lxc.include = $ct/burrow.conf
	CONF
	if [ "$2" = yes ]; then
		sed -e "s|^lxc.seccomp.profile = .*|lxc.seccomp.profile = $POLICY|" \
			-e "s|^lxc.seccomp.notify.proxy = .*|lxc.seccomp.notify.proxy = unix:$LXC_SOCK|" \
			"$SI_INCLUDE" >"$ct/sysinfo.conf"
		grep -q "^lxc.seccomp.notify.proxy = unix:$LXC_SOCK\$" "$ct/sysinfo.conf" ||
			die "cannot rewrite $SI_INCLUDE"
		echo "lxc.include = $ct/sysinfo.conf" >>"$ct/config"
	fi
	# LXC refuses the keys of the hierarchy the controller is not in.
	if [ -n "${CG_V1[memory]:-}" ]; then
		sed -i '/^lxc.cgroup2\./d' "$ct/config"
	else
		sed -i '/^lxc.cgroup\./d' "$ct/config"
	fi
}

# run_ct NAME: lxc-execute of the guest programs; sets OUT (a file) and RC.
run_ct() {
	OUT=$T_TMP/$1.out
	timeout -k 5 120 lxc-execute -P "$LXCPATH" -n "$1" -l DEBUG -o "$OUT.log" -- \
		/bin/busybox sh -c '/bin/check show; echo @@; cat /proc/meminfo; echo @@;
			/bin/busybox free; echo @@; /bin/busybox cat /proc/self/uid_map' </dev/null >"$OUT" 2>"$OUT.err"
	RC=$?
	if [ "$RC" -ne 0 ]; then
		sed 's/^/# err: /' "$OUT.err" | tail -n 20
		grep -E 'ERROR|seccomp' "$OUT.log" | tail -n 20 | sed 's/^/# lxc: /'
	fi
}

container proxied yes
container control no

run_ct proxied
check_eq "proxy: lxc-execute exit status" "$RC" 0
check_eq "proxy: unprivileged (uid_map inside)" \
	"$(awk 'NF == 3 && $1 == 0 { print $1, $2, $3 }' "$OUT")" "0 $MAP_BASE 65536"
check_eq "proxy: /proc/meminfo MemTotal is the limit (burrowfs bound)" \
	"$(awk '$1 == "MemTotal:" { printf "%.0f\n", $2 * 1024 }' "$OUT")" $SI_LIMIT
check_eq "proxy: sysinfo totalram is the limit" "$(si_field "$OUT" totalram)" $SI_LIMIT
check_eq "proxy: glibc get_phys_pages() is the limit" \
	"$(si_field "$OUT" phys_pages_bytes)" $SI_LIMIT
check_eq "proxy: busybox free total (kB)" "$(awk '$1 == "Mem:" { print $2 }' "$OUT")" \
	$((SI_LIMIT / 1024))

run_ct control
check_eq "control: lxc-execute exit status" "$RC" 0
check_eq "control: /proc/meminfo MemTotal is the limit" \
	"$(awk '$1 == "MemTotal:" { printf "%.0f\n", $2 * 1024 }' "$OUT")" $SI_LIMIT
check_eq "control: sysinfo totalram is the host's" "$(si_field "$OUT" totalram)" "$SI_HOST_RAM"

note "a hostile sender: fds that are not the named caller's"
"$PYTHON" "$HOOKS_DIR/lxc-proxy-hostile.py" "$LXC_SOCK" >"$T_TMP/hostile.out" 2>&1 ||
	sed 's/^/# /' "$T_TMP/hostile.out"
# ENOSYS (38): the fds are refused; EAGAIN (11): no seccomp listener to prove the call waits.
for k in foreign_fds foreign_mem readonly_mem; do
	check_eq "hostile: $k refused" "$(si_field "$T_TMP/hostile.out" $k)" -38
done
check_eq "hostile: a listener that is none" "$(si_field "$T_TMP/hostile.out" no_listener)" -11
check_eq "hostile: two fds close the connection" "$(si_field "$T_TMP/hostile.out" two_fds)" closed
check_eq "hostile: made-up sizes close the connection" \
	"$(si_field "$T_TMP/hostile.out" bad_sizes)" closed
check_eq "hostile: nothing written into the named caller" \
	"$(si_field "$T_TMP/hostile.out" victim)" zero

note "a hostile sender: fds on a FUSE filesystem whose FLUSH never returns"
# Every close() of such an fd waits on its server: were the proxy's workers
# (LXCP_WORKERS, 2) to close them, 3 senders would stall every container.
hold_stop() {
	[ -n "${HOLD_PID:-}" ] && kill -KILL "$HOLD_PID" 2>/dev/null
	umount -l "$T_TMP/hold" 2>/dev/null
	return 0
}
if cc -o "$SI_BIN/holdfs" "$L_DIR/holdfs.c" $(pkg-config --cflags --libs fuse3) \
	>"$T_TMP/holdfs-cc.log" 2>&1; then
	defer hold_stop
	mkdir -p "$T_TMP/hold"
	"$SI_BIN/holdfs" -f "$T_TMP/hold" >"$T_TMP/holdfs.log" 2>&1 &
	HOLD_PID=$!
	for ((i = 0; i < 100; i++)); do
		findmnt -n "$T_TMP/hold" >/dev/null && break
		sleep 0.1
	done
	check_cmd "the FUSE filesystem is mounted" findmnt -n "$T_TMP/hold"
	# Each connection: a message in LXC's format (made-up sizes), three fds of the file.
	"$PYTHON" - "$LXC_SOCK" "$T_TMP/hold/f" >"$T_TMP/fusefd.out" 2>&1 <<'PY' &
import os, signal, socket, struct, sys
fd = os.open(sys.argv[2], os.O_RDONLY)
conns = []
for i in range(3):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    s.sendmsg([bytes(64)], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("3i", fd, fd, fd))])
    conns.append(s)
print("sent", flush=True)
signal.pause()
PY
	fuse_send=$!
	defer "kill -KILL $fuse_send 2>/dev/null"
	for ((i = 0; i < 100; i++)); do
		grep -q sent "$T_TMP/fusefd.out" && break
		sleep 0.1
	done
	check_eq "FUSE fds: sent" "$(cat "$T_TMP/fusefd.out")" sent
	sleep 0.5
	run_ct proxied
	check_eq "after FUSE fds: sysinfo totalram is the limit" "$(si_field "$OUT" totalram)" $SI_LIMIT
	kill -KILL "$fuse_send" 2>/dev/null
	hold_stop
else
	note "SKIP FUSE fds: no libfuse3 ($(head -n 1 "$T_TMP/holdfs-cc.log"))"
fi

note "restarts: a long-lived container calls after each one"
SYNC=$T_TMP/sync
mkdir -p "$SYNC"
chmod 777 "$SYNC"
container long yes
echo "lxc.mount.entry = $SYNC sync none bind,create=dir 0 0" >>"$LXCPATH/long/config"
# Step N waits for go.N, then writes sysinfo's answer to out.N.
timeout -k 5 200 lxc-execute -P "$LXCPATH" -n long -l DEBUG -o "$T_TMP/long.log" -- \
	/bin/busybox sh -c 'for n in 0 1 2 3; do
		while [ ! -e /sync/go.$n ]; do /bin/busybox sleep 0.1; done
		/bin/check show >/sync/out.$n.tmp 2>&1; /bin/busybox mv /sync/out.$n.tmp /sync/out.$n
	done' </dev/null >"$T_TMP/long.out" 2>&1 &
long_pid=$!
defer "lxc-stop -P '$LXCPATH' -n long -k >/dev/null 2>&1"

# go N: lets step N run. answer N WHAT: checks its answer.
go() {
	touch "$SYNC/go.$1"
}
answer() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ -e "$SYNC/out.$1" ] && break
		sleep 0.1
	done
	check_eq "$2: sysinfo totalram is the limit" "$(si_field "$SYNC/out.$1" totalram)" $SI_LIMIT
	[ "$(si_field "$SYNC/out.$1" totalram)" = $SI_LIMIT ] ||
		sed 's/^/# guest: /' "$SYNC/out.$1" | head -5
}
MNT=$BFS_MNT
go 0
answer 0 "before any restart"

# In the gap: LXC's connection broke with the daemon; it reconnects into the
# backlog of the socket the keeper holds, and the next daemon answers.
kill -TERM "$BFS_PID"
wait "$BFS_PID" 2>/dev/null
bfs_forget "$BFS_PID"
go 1
sleep 2
check_eq "a call while no burrowfs runs waits" "$(ls "$SYNC" | grep -c '^out\.1$')" 0
bfs_start_on "$MNT" "$BURROWFS" --seccomp-socket "$SI_SOCK" --seccomp-lxc-socket "$LXC_SOCK"
answer 1 "called during a SIGTERM-and-start"

kill -KILL "$BFS_PID"
wait "$BFS_PID" 2>/dev/null
bfs_forget "$BFS_PID"
go 2
sleep 2
bfs_start_on "$MNT" "$BURROWFS" --seccomp-socket "$SI_SOCK" --seccomp-lxc-socket "$LXC_SOCK"
answer 2 "called during a kill -9-and-start"

cp "$BURROWFS" "$T_TMP/burrowfs-new"
old=$BFS_PID
bfs_start_on "$MNT" "$T_TMP/burrowfs-new" --seccomp-socket "$SI_SOCK" \
	--seccomp-lxc-socket "$LXC_SOCK"
wait "$old" 2>/dev/null
bfs_forget "$old"
proxy_up || die "no LXC proxy after an upgrade"
go 3
answer 3 "after an upgrade"

wait "$long_pid"
check_eq "the long-lived container ran to its end" "$?" 0
[ "$T_FAIL" -eq 0 ] || grep -E 'ERROR|proxy' "$T_TMP/long.log" | tail -n 15 | sed 's/^/# lxc: /' 
