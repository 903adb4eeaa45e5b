#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The issue's acceptance run: an ordinary user with subordinate ids, logged in
# through PAM with pam_cgfs, creates and boots an unmodified Debian 12 guest
# with systemd, and every limit, restriction and verb holds.

. "$(dirname "$0")/lib.sh"

l_init
l_rootfs
# A control socket: the guest gets its own burrowfs connection, the default,
# which the daemon grants the user who created the guest's user namespace.
bfs_start --control-socket "$T_TMP/control.sock"
l_pam_cgfs
U=burrowt$$
l_user "$U"
l_subids "$U" 300000
l_login "$U"
B=$BURROW
CT=c1

ina() { as_argv "$U" "$B" attach "$CT" -- "$@"; }

out=$(as "$U" "$B create $CT --from-tar $ROOTFS_TAR -c memory=256M -c cpus=0 -c pids=200 \
	-c burrowfs=yes -c burrowfs-path=$BFS_MNT -c burrowfs-control=$T_TMP/control.sock" 2>&1)
check_eq "create as $U (${out:-no output})" "$?" 0
check_eq "rootfs owned by the container's root" \
	"$(stat -c %u:%g "/home/$U/.local/share/burrow/$CT/rootfs/etc/passwd")" "300000:300000"

t0=$(date +%s.%N)
out=$(as "$U" "$B start --wait $CT" 2>&1)
check_eq "start --wait (${out:-no output})" "$?" 0
note "create-to-ready: $(echo "$(date +%s.%N) - $t0" | bc) s"

check_eq "systemctl is-system-running --wait" "$(ina systemctl is-system-running --wait)" running
check_eq "failed units" "$(ina systemctl list-units --failed --no-legend --plain | wc -l)" 0
check_eq "free -b total" "$(ina free -b | awk '/^Mem:/ { print $2 }')" 268435456
check_eq "nproc" "$(ina nproc)" 1
check_eq "processors in /proc/cpuinfo" "$(ina grep -c ^processor /proc/cpuinfo)" 1
check_num "uptime (s)" "$(ina cat /proc/uptime | awk '{ print int($1) }')" "<" 60
check_eq "uid_map" "$(ina cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')" "0 300000 65536"
check_eq "gid_map" "$(ina cat /proc/self/gid_map | tr -s ' ' | sed 's/^ //')" "0 300000 65536"
check_eq "burrowfs: the default, its own connection" \
	"$(as "$U" "$B info $CT" | awk '$1 == "Burrowfs:" { print $2 }')" per-container
shared_dev=$(stat -c %d "$BFS_MNT/proc/meminfo")
check_num "/proc/meminfo is not the shared mount's" "$(ina stat -c %d /proc/meminfo)" "!=" "$shared_dev"

# attach joins every namespace of the container's init.
init=$(as "$U" "$B ls --json" | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[0]["pid"])')
check_num "ls --json parses and gives init's pid" "${init:-x}" ">" 1
for ns in user mnt pid uts ipc net cgroup; do
	check_eq "attach is in init's $ns namespace" "$(ina readlink /proc/self/ns/$ns)" \
		"$(readlink /proc/"$init"/ns/$ns)"
done
check_eq "hostname" "$(ina cat /proc/sys/kernel/hostname)" "$CT"

# Restrictions, as the container's root.
ina mknod /tmp/sda b 8 0 2>/dev/null
check_num "mknod fails" "$?" "!=" 0
for call in "175 init_module" "313 finit_module" "246 kexec_load" "176 delete_module"; do
	set -- $call
	check_eq "$2 fails with EPERM" "$(ina perl -e "syscall($1, 0, 0, 0, 0); print \$!+0")" 1
done
ina sh -c 'echo h > /proc/sysrq-trigger' 2>/dev/null
check_num "writing /proc/sysrq-trigger fails" "$?" "!=" 0
ina sh -c 'echo x > /proc/sys/kernel/domainname' 2>/dev/null
check_num "/proc/sys is read-only" "$?" "!=" 0

# A fork bomb stops at pids=200 and the host stays fine.
pidsdir=$(as "$U" "$B info $CT" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^pids=/) print substr($i, 6) }')
ina sh -c 'i=0; while [ $i -lt 400 ]; do sleep 20 & i=$((i+1)); done 2>/dev/null; sleep 1' 2>/dev/null
check_num "tasks at the pids limit" "$(cat "$pidsdir/pids.current")" "<=" 200
check_num "the pids limit was hit" "$(awk '/^max/ { print $2 }' "$pidsdir/pids.events")" ">=" 1
check_cmd "the host still forks" timeout 5 /bin/true
ina pkill -KILL sleep

# Allocating past 256M is OOM-killed inside the container only.
ina perl -e '$x = "a" x (400 << 20); print "survived\n"' >/dev/null 2>&1
check_eq "allocating 400M is killed (SIGKILL)" "$?" 137
memdir=${pidsdir/\/pids\//\/memory\/}
check_num "OOM kills in the container's cgroup" "$(awk '/^oom_kill / { print $2 }' "$memdir/memory.oom_control")" ">=" 1
check_eq "the guest survives the OOM" "$(ina systemctl is-system-running)" running

# reboot restarts the guest, poweroff ends it.
ina reboot
# A loaded host may take a while to end and boot the guest again: up to 120 s.
for ((i = 0; i < 600; i++)); do
	as "$U" "$B info $CT" | grep -q '^Boots: *2' && as "$U" "$B info $CT" | grep -q '^Ready: *yes' && break
	sleep 0.2
done
boots=$(as "$U" "$B info $CT" | awk '/^Boots:/ { print $2 }')
[ "$boots" == 2 ] || note "monitor.log: $(tail -n 20 "/home/$U/.local/share/burrow/$CT/monitor.log" 2>&1)"
check_eq "reboot restarts the guest" "$boots" 2
state=$(ina systemctl is-system-running --wait)
if [ "$state" != running ]; then
	note "oom kills: $(awk '/^oom_kill / { print $2 }' "$memdir/memory.oom_control")"
	for u in $(ina systemctl list-units --failed --no-legend --plain | awk '{ print $1 }'); do
		note "$(ina systemctl status --no-pager -l "$u" 2>&1)"
	done
fi
check_eq "running again after reboot" "$state" running
check_eq "after reboot: its own connection again" \
	"$(as "$U" "$B info $CT" | awk '$1 == "Burrowfs:" { print $2 }')" per-container
check_eq "after reboot: free -b total" "$(ina free -b | awk '/^Mem:/ { print $2 }')" 268435456
ina poweroff
for ((i = 0; i < 100; i++)); do
	as "$U" "$B ls" | grep -q "^$CT .*STOPPED" && break
	sleep 0.2
done
check_eq "poweroff stops it" "$(as "$U" "$B ls" | awk -v n="$CT" '$1 == n { print $2 }')" STOPPED

# stop leaves no process, mount or cgroup behind.
out=$(as "$U" "$B start --wait $CT" 2>&1) || note "start --wait after poweroff: $out"
check_eq "started again" "$(as "$U" "$B ls" | awk -v n="$CT" '$1 == n { print $2 }')" RUNNING
t0=$(date +%s.%N)
as "$U" "$B stop $CT"
check_eq "stop" "$?" 0
note "stop: $(echo "$(date +%s.%N) - $t0" | bc) s"
check_eq "processes of the container's ids" "$(ps -e -o uid= | awk '$1 >= 300000 && $1 < 365536' | wc -l)" 0
# Zombies excepted: the monitor is reaped by the host's init, whenever it gets to it.
# The login's own shell stays, as the user's would.
left=$(ps -u "$U" -o pid=,stat=,args= | awk -v login="$L_LOGIN_PID" '$1 != login && $2 !~ /^Z/')
check_eq "processes of $U" "$(grep -c . <<<"$left")" 0
[ -z "$left" ] || note "left: $left"
check_eq "container cgroups left" "$(find /sys/fs/cgroup/*/user/"$U" -name "$CT" 2>/dev/null | wc -l)" 0
check_eq "mounts of the rootfs left" "$(grep -c "/home/$U/" /proc/self/mountinfo)" 0
check_eq "state file left" "$(ls "/home/$U/.local/share/burrow/$CT/")" "$(printf 'config\nconsole.log\nmonitor.log\nrootfs')"

as "$U" "$B destroy $CT"
check_eq "destroy" "$?" 0

# --debootstrap as the user: debootstrap runs as root of a user namespace.
if [ "${BURROW_TEST_DEBOOTSTRAP:-1}" = 1 ]; then
	as "$U" "$B create deb --debootstrap bookworm" >"$T_TMP/debootstrap-user.log" 2>&1
	check_eq "create --debootstrap as $U" "$?" 0
	check_eq "debootstrapped as $U: owned by the container's root" \
		"$(stat -c %u "/home/$U/.local/share/burrow/deb/rootfs/usr/bin/ps")" 300000
	as "$U" "$B start --wait deb" >/dev/null 2>&1
	check_eq "the user's debootstrapped guest runs" \
		"$(as_argv "$U" "$B" attach deb -- systemctl is-system-running --wait)" running
	as "$U" "$B stop deb; $B destroy deb"
fi
check_eq "nothing left of $CT" "$(ls "/home/$U/.local/share/burrow/")" ""
