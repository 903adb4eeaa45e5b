#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# LXC containers that start while burrowfs restarts (issue 17): lxc-execute
# runs a container limited to 300 MiB whose config includes burrow's LXC
# include (share/lxc-burrow.conf.in, as built, pointed at the built hook and
# the test's burrowfs). Started in the gap of a SIGTERM-and-start, of a
# kill -9-and-start, and during an upgrade takeover (the next burrowfs 1 s
# later), it must read MemTotal = the limit. Once with the include's hook
# line, once with "--require" appended. After --stop, the plain include lets
# the container start with the host's files; with --require it does not
# start, and LXC's log names the mountpoint.

. "$(dirname "$0")/lib.sh"
# shellcheck source=../integration/restart-lib.sh
. "$HOOKS_DIR/../integration/restart-lib.sh"

hooks_init
command -v lxc-execute >/dev/null || skip "LXC is not installed (apt-get install lxc)"
INCLUDE=${MESON_BUILD_ROOT:-$HOOKS_DIR/../../build}/share/10-burrow.conf
[ -f "$INCLUDE" ] || die "the LXC include is not built at $INCLUDE"
need_rootfs
bfs_start
MNT=$BFS_MNT

LIMIT=$((300 * 1024 * 1024))
WANT=$((LIMIT / 1024))
HOST=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
LXCPATH=$T_TMP/lxc
defer cg_remove_every_hierarchy

# The include as built names the installed hook: point it at the built one
# and at this test's burrowfs; EXTRA is appended to the hook line.
include() {
	local hook_line
	hook_line=$(sed -n 's/^lxc.hook.mount = \([^ ]*\)$/\1/p' "$INCLUDE")
	[ -n "$hook_line" ] || die "no lxc.hook.mount line in $INCLUDE"
	sed "s|^lxc.hook.mount = $hook_line\$|lxc.hook.mount = $HOOK_LXC --burrowfs $MNT $2|" \
		"$INCLUDE" >"$1"
	grep -q "^lxc.hook.mount = $HOOK_LXC " "$1" || die "cannot rewrite $INCLUDE"
}

# container NAME EXTRA: a privileged container on an overlay of the cached
# rootfs, with the include (hook line + EXTRA).
container() {
	local ct=$LXCPATH/$1
	rootfs_overlay "$ct/rootfs" "$ct"
	include "$ct/burrow.conf" "$2"
	cat >"$ct/config" <<-CONF
		lxc.uts.name = $1
		lxc.rootfs.path = dir:$ct/rootfs
		lxc.net.0.type = empty
		lxc.apparmor.profile = unconfined
		lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
		lxc.cgroup.dir.monitor = $CG_BASE/lxc-monitor-$1
		lxc.cgroup.dir.container = $CG_BASE/lxc-payload-$1
		lxc.cgroup.memory.limit_in_bytes = $LIMIT
		lxc.cgroup2.memory.max = $LIMIT
		lxc.include = $ct/burrow.conf
	CONF
	# LXC refuses the keys of the hierarchy the controller is not in.
	if [ -n "${CG_V1[memory]:-}" ]; then
		sed -i '/^lxc.cgroup2\./d' "$ct/config"
	else
		sed -i '/^lxc.cgroup\./d' "$ct/config"
	fi
}

# run_ct NAME OUT: lxc-execute; OUT gets what the guest printed, OUT.log LXC's log.
run_ct() {
	timeout -k 5 120 lxc-execute -P "$LXCPATH" -n "$1" -l DEBUG -o "$2.log" -- \
		awk '/^MemTotal:/ { print $2 }' /proc/meminfo </dev/null >"$2" 2>"$2.err"
}

container plain ""
container req "--require"

rl_gap_start() {
	run_ct req "$T_TMP/gap-req.out" &
	RL_GAP_PID2=$!
	run_ct plain "$T_TMP/gap-plain.out" &
	RL_GAP_PID=$!
}

run_ct plain "$T_TMP/first.out"
status=$? # before the message's $(...) resets it
check_eq "before any restart: lxc-execute exits with 0 ($(tail -c 300 "$T_TMP/first.out.err"))" "$status" 0
check_eq "before any restart: MemTotal in the guest is the limit" "$(cat "$T_TMP/first.out")" "$WANT"
rl_gap_kinds "$MNT" "$WANT" "$HOST" "include: lxc-execute" "$T_TMP/gap-plain.out" \
	"include with --require: lxc-execute" "$T_TMP/gap-req.out"

# ---- burrowfs stopped for good -----------------------------------------------------------
timeout 10 "$BURROWFS" --stop "$MNT"
check_eq "--stop exits with 0" "$?" 0
run_ct plain "$T_TMP/absent.out"
check_eq "no burrowfs, include: the container starts" "$?" 0
check_eq "no burrowfs, include: the guest sees the host's MemTotal" "$(cat "$T_TMP/absent.out")" "$HOST"
run_ct req "$T_TMP/absent-req.out"
check_num "no burrowfs, include with --require: lxc-execute fails" "$?" "!=" 0
check_eq "no burrowfs, include with --require: the guest command never ran" \
	"$(cat "$T_TMP/absent-req.out")" ""
check_cmd "no burrowfs, include with --require: the error names the mountpoint ($(grep -ho 'burrowfs is required.*does not start' "$T_TMP/absent-req.out.log" | head -1))" \
	grep -q "burrowfs is required (--require) but is not mounted at $MNT" \
	"$T_TMP/absent-req.out.log" "$T_TMP/absent-req.out.err"
