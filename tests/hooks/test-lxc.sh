#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# An unprivileged LXC 5 container (lxc.idmap onto a subordinate range) on a
# Debian 12 rootfs of the test's own, with a 256 MiB memory limit and a
# one-CPU cpuset, started by lxc-start with the burrow mount hook and no lxcfs.
# systemd must reach "running"; inside, free -b and nproc show the limits.
# With LXC_PER_CONTAINER=1 (test-lxc-pconn.sh) the hook runs with its
# defaults and the daemon's control socket: the /proc files come from the
# container's own burrowfs connection (issue 14), asked for by the hook as
# the container's root. Without, the hook is given --shared: the shared
# mount's files, and no connection of its own.

. "$(dirname "$0")/lib.sh"

hooks_init
command -v lxc-start >/dev/null || skip "LXC is not installed (apt-get install lxc)"
need_rootfs
PC=${LXC_PER_CONTAINER:-0}
CTL=${BURROWFS_CTL:-$HOOKS_DIR/../../build/hooks/burrowfs-ctl}
[ -x "$CTL" ] || die "burrowfs-ctl not built at $CTL"
if [ "$PC" = 1 ]; then
	bfs_start --control-socket "$T_TMP/control.sock"
	HOOK_ARGS="--control-socket $T_TMP/control.sock"
else
	bfs_start --control-socket "$T_TMP/control.sock"
	HOOK_ARGS="--shared --control-socket $T_TMP/control.sock"
fi

LIMIT=268435456
# A range apart from the launcher tests' users, so the two never share ids.
MAP_BASE=300000
NAME=burrow-hooks-$$
LXCPATH=$T_TMP/lxc
CT=$LXCPATH/$NAME
ATTACH=(lxc-attach -P "$LXCPATH" -n "$NAME" --clear-env
	-v PATH=/usr/sbin:/usr/bin:/sbin:/bin --)
mkdir -p "$CT"

# LXC maps ids through newuidmap/newgidmap whenever they are installed, even
# for root, and they want the range in /etc/subuid and /etc/subgid: lend root
# the range for the test's duration. (usermod refuses to touch root while it
# has processes, so the line is written directly.)
if command -v newuidmap >/dev/null; then
	for f in /etc/subuid /etc/subgid; do
		grep -qx "root:$MAP_BASE:65536" "$f" 2>/dev/null && continue
		echo "root:$MAP_BASE:65536" >>"$f" || die "cannot add root's range to $f"
		defer "sed -i '/^root:$MAP_BASE:65536\$/d' '$f'"
	done
fi
leaks_before=$(host_leaks)

# The hook runs as the container's root (host uid $MAP_BASE): give it a copy it
# can reach whatever the build tree's permissions are.
install -m 755 "$HOOK_LXC" "$T_TMP/burrow-lxc-hook"

note "copying the rootfs and shifting it to $MAP_BASE"
cp -a "$ROOTFS_SRC" "$CT/rootfs" || die "cannot copy $ROOTFS_SRC"
# Ownership moves into the container's range as a chown would do it through
# the user namespace; chown clears set-id bits, so they are put back.
"$PYTHON" - "$CT/rootfs" "$MAP_BASE" <<'EOF' || die "cannot shift the rootfs"
import os, stat, sys
root, off = sys.argv[1], int(sys.argv[2])
def shift(p):
    st = os.lstat(p)
    os.lchown(p, st.st_uid + off, st.st_gid + off)
    if not stat.S_ISLNK(st.st_mode) and st.st_mode & (stat.S_ISUID | stat.S_ISGID):
        os.chmod(p, stat.S_IMODE(st.st_mode))
shift(root)
for d, dirs, files in os.walk(root):
    for n in dirs + files:
        shift(os.path.join(d, n))
EOF
chmod 755 "$LXCPATH" "$CT"

cat >"$CT/config" <<EOF
lxc.uts.name = $NAME
lxc.rootfs.path = dir:$CT/rootfs
lxc.idmap = u 0 $MAP_BASE 65536
lxc.idmap = g 0 $MAP_BASE 65536
lxc.net.0.type = empty
lxc.apparmor.profile = unconfined
lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
lxc.cap.drop = mac_admin mac_override sys_time sys_module sys_rawio
lxc.tty.max = 0
lxc.pty.max = 16
lxc.console.logfile = $T_TMP/console.log
lxc.signal.halt = SIGRTMIN+3
lxc.cgroup.dir.monitor = $CG_BASE/lxc-monitor
lxc.cgroup.dir.container = $CG_BASE/lxc-payload
lxc.cgroup.memory.limit_in_bytes = $LIMIT
lxc.cgroup.cpuset.cpus = 0
lxc.cgroup2.memory.max = $LIMIT
lxc.cgroup2.cpuset.cpus = 0
lxc.hook.mount = $T_TMP/burrow-lxc-hook --burrowfs $BFS_MNT --verbose $HOOK_ARGS
EOF

# v1 and v2 keys are both given; LXC applies those of the hierarchy it finds
# the controller in and refuses the others, so keep only what this host has.
if [ -n "${CG_V1[memory]:-}" ]; then
	sed -i '/^lxc.cgroup2\./d' "$CT/config"
else
	sed -i '/^lxc.cgroup\./d' "$CT/config"
fi

defer cg_remove_every_hierarchy
defer "lxc-stop -P '$LXCPATH' -n '$NAME' -k >/dev/null 2>&1"
defer "show_logs_on_failure"

show_logs_on_failure() {
	[ "$T_FAIL" -eq 0 ] && return 0
	note "---- lxc log (last 40 lines)"
	tail -n 40 "$T_TMP/lxc.log" 2>/dev/null | sed 's/^/# /'
	note "---- console (last 40 lines)"
	tail -n 40 "$T_TMP/console.log" 2>/dev/null | sed 's/^/# /'
}

lxc-start -P "$LXCPATH" -n "$NAME" -d -l DEBUG -o "$T_TMP/lxc.log" ||
	die "lxc-start failed"
lxc-wait -P "$LXCPATH" -n "$NAME" -s RUNNING -t 30 || die "container did not reach RUNNING"

# systemctl needs systemd's private socket, which appears a moment after init.
for ((i = 0; i < 600; i++)); do
	"${ATTACH[@]}" test -S /run/systemd/private 2>/dev/null && break
	sleep 0.1
done
state=$(timeout 180 "${ATTACH[@]}" systemctl is-system-running --wait 2>&1)
check_eq "systemd state inside" "$state" running
if [ "$state" != running ]; then
	"${ATTACH[@]}" systemctl --failed --no-pager 2>&1 | sed 's/^/# /'
fi
check_eq "failed units" "$("${ATTACH[@]}" systemctl list-units --failed --no-legend --plain |
	wc -l)" 0

check_eq "unprivileged: uid_map inside" \
	"$("${ATTACH[@]}" cat /proc/self/uid_map | awk '{ print $1, $2, $3 }')" "0 $MAP_BASE 65536"
check_eq "free -b: total memory is the limit" \
	"$("${ATTACH[@]}" free -b | awk '$1 == "Mem:" { print $2 }')" "$LIMIT"
check_eq "nproc" "$("${ATTACH[@]}" nproc)" 1
check_eq "/proc/cpuinfo processors" "$("${ATTACH[@]}" grep -c '^processor' /proc/cpuinfo)" 1
check_eq "/sys/devices/system/cpu/online" \
	"$("${ATTACH[@]}" cat /sys/devices/system/cpu/online)" 0

# Served by this test's burrowfs (same device), and no lxcfs anywhere inside.
inside_mi=$("${ATTACH[@]}" cat /proc/self/mountinfo)
if [ "$PC" = 1 ]; then
	top=$(awk '$5 == "/proc/meminfo" { print $3, $(NF - 2) }' <<<"$inside_mi" | tail -n1)
	check_cmd "/proc/meminfo is a burrowfs mount ($top)" grep -q ' fuse.burrowfs$' <<<"$top"
	check_cmd "... the container's own connection (${top%% *}), not the shared mount ($(bfs_dev))" \
		test "${top%% *}" != "$(bfs_dev)"
	check_eq "... which burrowfs made" \
		"$("$CTL" --socket "$T_TMP/control.sock" stats | awk '$1 == "connections_live" { print $2 }')" 1
	check_eq "/sys/devices/system/cpu from the same connection" \
		"$(awk '$5 == "/sys/devices/system/cpu" { print $3 }' <<<"$inside_mi" | tail -n1)" \
		"${top%% *}"
else
	check_eq "/proc/meminfo comes from the test's burrowfs" \
		"$(awk '$5 == "/proc/meminfo" { print $3 }' <<<"$inside_mi" | tail -n1)" "$(bfs_dev)"
	check_eq "--shared: no connection made" \
		"$("$CTL" --socket "$T_TMP/control.sock" stats | awk '$1 == "connections_made" { print $2 }')" 0
fi
check_eq "no lxcfs mount inside" "$(grep -c lxcfs <<<"$inside_mi")" 0

lxc-stop -P "$LXCPATH" -n "$NAME" -t 60 >/dev/null 2>&1 ||
	lxc-stop -P "$LXCPATH" -n "$NAME" -k >/dev/null 2>&1
check_eq "container stopped" "$(lxc-info -P "$LXCPATH" -n "$NAME" -sH 2>/dev/null)" STOPPED
check_eq "nothing left mounted on the host" "$(host_leaks)" "$leaks_before"
