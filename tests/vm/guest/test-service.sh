#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Inside the VM: burrowfs as the real burrowfs.service under systemd as PID 1.
# Started (Type=notify, so READY=1 arrived), enabled, mounted for the whole
# host, options from /etc/default/burrowfs, in its own system.slice cgroup;
# serves a container and the host; comes back after a crash (Restart=) over
# its dead mount, restarts and stops cleanly; no unit failed.
source "$(dirname "$0")/../../lib/lib.sh"
t_init
[ -n "${BURROW_VM_GUEST:-}" ] || skip "runs inside the VM suite's guest"

UNIT=burrowfs.service
MNT=${BURROWFS_MOUNT:-/var/lib/burrowfs}

# fs_type MNT: the filesystem type of the mount on MNT, if any.
fs_type() {
	awk -v m="$1" '{ split($0, a, " - "); split(a[2], b, " ") } $5 == m { t = b[1] } END { print t }' \
		/proc/self/mountinfo
}

main_pid() {
	systemctl show -P MainPID "$UNIT"
}

# wait_active: until the unit is active and serves meminfo (30 s at most: emulated).
wait_active() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(systemctl is-active "$UNIT")" == active ] &&
			timeout 2 test -e "$MNT/proc/meminfo" && return 0
		sleep 0.1
	done
	return 1
}

check_eq "PID 1 is systemd" "$(cat /proc/1/comm)" systemd
check_eq "$UNIT is active" "$(systemctl is-active "$UNIT")" active
check_eq "$UNIT is enabled" "$(systemctl is-enabled "$UNIT")" enabled
check_eq "$UNIT is Type=notify (active means READY=1 came)" "$(systemctl show -P Type "$UNIT")" notify
check_cmd "the unit file is the installed one" \
	grep -q "ExecStart=/usr/sbin/burrowfs" "$(systemctl show -P FragmentPath "$UNIT")"
pid=$(main_pid)
check_num "$UNIT has a main pid" "$pid" ">" 0
check_eq "the main pid is burrowfs" "$(cat "/proc/$pid/comm")" burrowfs
check_cmd "/etc/default/burrowfs's options reach burrowfs (--enable-cfs)" \
	grep -qz -- '--enable-cfs' "/proc/$pid/cmdline"
check_eq "burrowfs runs in its unit's cgroup" "$(cat "/proc/$pid/cgroup")" \
	"0::/system.slice/$UNIT"
check_eq "OOMScoreAdjust=-1000 applied" "$(cat "/proc/$pid/oom_score_adj")" -1000
check_cmd "$MNT is a fuse mount in PID 1's mount namespace" \
	bash -c "[[ \"\$(awk -v m='$MNT' '\$5 == m' /proc/1/mountinfo)\" == *' - fuse'* ]]"
note "$MNT: $(fs_type "$MNT")"

# ---- it serves the host and a container -----------------------------------------
check_eq "host reader: MemTotal as /proc's" \
	"$(meminfo_kb "$(timeout 10 cat "$MNT/proc/meminfo")" MemTotal)" \
	"$(meminfo_kb "$(cat /proc/meminfo)" MemTotal)"
cg_new svc
cg_set svc mem $((200 * 1024 * 1024)) || die "cannot set memory.max"
out=$(ct_run "$MNT" svc cat /proc/meminfo) || die "container run failed"
check_num "container: MemTotal is its 200M memory.max" "$(meminfo_kb "$out" MemTotal)" == \
	$((200 * 1024))

# ---- crash: Restart=on-failure, over the dead mount ---------------------------------
kill -KILL "$pid"
sleep 0.5
check_cmd "after SIGKILL the unit comes back (RestartSec=1s)" wait_active
npid=$(main_pid)
check_num "a new main pid" "$npid" "!=" "$pid"
check_num "systemd counted one restart" "$(systemctl show -P NRestarts "$UNIT")" "==" 1
check_num "one fuse mount on $MNT, not a stack of dead ones" \
	"$(awk -v m="$MNT" '$5 == m' /proc/self/mountinfo | wc -l)" == 1
out=$(ct_run "$MNT" svc cat /proc/meminfo) || die "container run failed"
check_num "after the restart the container still sees 200M" "$(meminfo_kb "$out" MemTotal)" == \
	$((200 * 1024))

# ---- restart and stop ---------------------------------------------------------------------
mid=$(awk -v m="$MNT" '$5 == m { print $1 }' /proc/self/mountinfo | tail -n1)
check_cmd "systemctl restart" timeout 60 systemctl restart "$UNIT"
check_eq "restart: the mount never left $MNT (ExecStop= told it from a stop)" \
	"$(awk -v m="$MNT" '$5 == m { print $1 }' /proc/self/mountinfo | tail -n1)" "$mid"
check_cmd "active again after restart" wait_active
check_num "restart: a new main pid" "$(main_pid)" "!=" "$npid"
check_cmd "systemctl stop" timeout 60 systemctl stop "$UNIT"
check_eq "stopped: inactive, not failed" "$(systemctl is-active "$UNIT")" inactive
check_eq "stopped: $MNT unmounted" "$(fs_type "$MNT")" ""
check_cmd "systemctl start" timeout 60 systemctl start "$UNIT"
check_cmd "started again" wait_active
check_eq "no unit failed" "$(systemctl --failed --no-legend --plain --no-pager | awk '{ print $1 }')" ""
