#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Inside the VM: the launcher's unprivileged systemd-guest boot on pure cgroup
# v2 under a real systemd. The image's ordinary user "tester" (subordinate ids
# 100000:65536) gets its own systemd manager, user@UID.service, by lingering;
# burrow runs as a transient unit of that manager (systemd-run --user), the
# way a logged-in user's shell runs it. It creates a container from the
# image's Debian 12 tarball and boots it with systemd (burrowfs from the real
# burrowfs.service) to "running" with no failed unit, its limits written into
# a cgroup burrow made under the user's delegated user@UID.service subtree.
source "$(dirname "$0")/../../launcher/lib.sh"
t_init
[ -n "${BURROW_VM_GUEST:-}" ] || skip "runs inside the VM suite's guest"
[ -x "$BURROW" ] || die "burrow is not installed at $BURROW"
[ -s "$ROOTFS_TAR" ] || die "the image has no container tarball at $ROOTFS_TAR"

U=tester
UID_=$(id -u "$U") || die "the image has no user $U"
MNT=${BURROWFS_MOUNT:-/var/lib/burrowfs}
CT=boot
HOME_=$(getent passwd "$U" | cut -d: -f6)
USVC=user@$UID_.service
UCG=/sys/fs/cgroup/user.slice/user-$UID_.slice/$USVC

# ub CMD...: CMD as the user, in a transient service of the user's manager
# (through machined: the manager's own environment, as in a login).
ub() {
	timeout -k 5 "$CT_TIMEOUT" systemd-run --user --machine="$U@" --quiet --wait --pipe \
		--collect --setenv=PATH=/usr/bin:/bin -- "$@" </dev/null
}
ina() {
	ub "$BURROW" attach "$CT" -- "$@"
}

timeout 5 test -e "$MNT/proc/meminfo" || die "burrowfs.service serves nothing on $MNT"
check_cmd "$U has subordinate uids" grep -q "^$U:" /etc/subuid

loginctl enable-linger "$U" || die "loginctl enable-linger $U"
defer "loginctl disable-linger $U; systemctl stop $USVC"
for ((i = 0; i < 300; i++)); do
	[ "$(systemctl is-active "$USVC")" == active ] && break
	sleep 0.2
done
check_eq "the user's manager runs" "$(systemctl is-active "$USVC")" active
check_eq "$USVC delegates cpuset, io (the image's drop-in), cpu, memory, pids" \
	"$(tr ' ' '\n' <"$UCG/cgroup.controllers" | sort | tr '\n' ' ')" "cpu cpuset io memory pids "
check_eq "$USVC's cgroup is the user's" "$(stat -c %u "$UCG")" "$UID_"
check_eq "a transient unit runs as $U" "$(ub id -un)" "$U"
check_eq "... inside $USVC" "$(ub cat /proc/self/cgroup | cut -d/ -f1-4)" \
	"0::/user.slice/user-$UID_.slice/$USVC"

defer "ub '$BURROW' stop --kill '$CT' >/dev/null 2>&1; ub '$BURROW' destroy --force '$CT' >/dev/null 2>&1"
out=$(ub "$BURROW" create "$CT" --from-tar "$ROOTFS_TAR" -c memory=256M -c cpus=0 -c pids=200 \
	-c burrowfs=yes 2>&1)
check_eq "create as $U (${out:-no output})" "$?" 0
check_eq "rootfs owned by the container's root" \
	"$(stat -c %u:%g "$HOME_/.local/share/burrow/$CT/rootfs/etc/passwd")" "100000:100000"

# The monitor outlives "burrow start": in a scope of its own (a scope ends
# when empty; a transient service's processes die with its main one), as
# burrow's hint for v2 hosts says.
t0=$(date +%s)
out=$(ub systemd-run --user --scope -p Delegate=yes --quiet -- "$BURROW" start --wait "$CT" 2>&1)
rc=$?
check_eq "start --wait (${out:-no output})" "$rc" 0
if [ "$rc" -ne 0 ]; then
	for f in monitor.log console.log; do
		tail -n 30 "$HOME_/.local/share/burrow/$CT/$f" 2>/dev/null | sed "s/^/# $f: /"
	done
fi
note "start --wait: $(($(date +%s) - t0)) s"
# The agent's socket is in /run/burrowfs, which the keeper once made 0700.
check_eq "the user's start reached burrowfs's seccomp agent" "$(grep -c 'seccomp agent' <<<"$out")" 0

check_eq "systemctl is-system-running --wait" "$(ina systemctl is-system-running --wait)" running
failed=$(ina systemctl list-units --failed --no-legend --plain)
check_eq "failed units (${failed:-none})" "$(grep -c . <<<"$failed")" 0

# ---- the container's cgroup, under the user's delegated subtree ----------------------
info=$(ub "$BURROW" info "$CT")
init=$(awk '$1 == "PID:" { print $2 }' <<<"$info")
check_num "info gives init's pid" "${init:-x}" ">" 1
cgdir=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^unified=\//) print substr($i, 9) }' <<<"$info")
note "burrow info's cgroup: $cgdir"
check_eq "the container's cgroup is $USVC/burrow/$CT" "$cgdir" "$UCG/burrow/$CT"
check_cmd "init's cgroup (host view) lies in it" \
	grep -q "^0::/user.slice/user-$UID_.slice/$USVC/burrow/$CT\(/\|\$\)" "/proc/$init/cgroup"
check_eq "burrow's cgroup above it is the user's" "$(stat -c %u "$(dirname "$cgdir")")" "$UID_"
check_eq "the container's cgroup is delegated to its root (100000)" \
	"$(stat -c %u "$cgdir") $(stat -c %u "$cgdir/cgroup.procs") $(stat -c %u "$cgdir/memory.max")" \
	"100000 100000 $UID_"
mon=$(awk '$1 == "Monitor:" { print $2 }' <<<"$info")
check_cmd "the monitor runs as $U in its scope under $USVC" \
	grep -q "^0::/user.slice/user-$UID_.slice/$USVC/app.slice/run-[^/]*\.scope\$" "/proc/${mon:-0}/cgroup"
check_eq "the monitor's uid" "$(stat -c %u "/proc/${mon:-0}")" "$UID_"
check_eq "memory.max" "$(cat "$cgdir/memory.max")" 268435456
check_eq "cpuset.cpus" "$(cat "$cgdir/cpuset.cpus")" 0
check_eq "pids.max" "$(cat "$cgdir/pids.max")" 200
check_eq "the guest's systemd sees its cgroup as / (cgroup namespace)" \
	"$(ina cat /proc/1/cgroup)" "0::/init.scope"
check_cmd "the guest's systemd made its own units in it" test -d "$cgdir/system.slice"

# ---- burrowfs inside: the container's limits -----------------------------------------
check_eq "free -b total is memory.max" "$(ina free -b | awk '/^Mem:/ { print $2 }')" 268435456
check_eq "nproc" "$(ina nproc)" 1
check_eq "processors in /proc/cpuinfo" "$(ina grep -c ^processor /proc/cpuinfo)" 1
check_eq "cpu/online" "$(ina cat /sys/devices/system/cpu/online)" 0
check_num "uptime is the container's (s)" "$(ina cat /proc/uptime | awk '{ print int($1) }')" "<" \
	$(($(date +%s) - t0 + 5))
check_eq "uid_map" "$(ina cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')" "0 100000 65536"

# ---- stop and destroy: nothing left ---------------------------------------------------
out=$(ub "$BURROW" stop "$CT" 2>&1)
check_eq "stop (${out:-no output})" "$?" 0
check_eq "stopped" "$(ub "$BURROW" ls | awk -v n="$CT" '$1 == n { print $2 }')" STOPPED
check_cmd "the container's cgroup is gone" test ! -e "$cgdir"
check_eq "processes of the container's ids" \
	"$(ps -e -o uid= | awk '$1 >= 100000 && $1 < 165536' | wc -l)" 0
# ---- cgroup=burrowfs has no place on a v2-only host ------------------------------------
# Without a cgroup namespace a guest's systemd needs a real cgroup2 filesystem
# at /sys/fs/cgroup: the launcher refuses, says why, and leaves nothing behind.
conf=$HOME_/.local/share/burrow/$CT/config
if grep -q '^\[burrowfs\]' "$conf"; then
	ub sed -i '/^\[burrowfs\]/a cgroup=burrowfs' "$conf"
else
	ub sh -c "printf '[burrowfs]\ncgroup=burrowfs\n' >>'$conf'"
fi
out=$(ub systemd-run --user --scope -p Delegate=yes --quiet -- "$BURROW" start --wait "$CT" 2>&1)
check_num "start with cgroup=burrowfs fails" "$?" "!=" 0
check_cmd "... saying that this host has cgroup v2 only ($out)" \
	grep -q "cgroup=burrowfs: this host has cgroup v2 only" <<<"$out"
check_eq "... and stays stopped" "$(ub "$BURROW" ls | awk -v n="$CT" '$1 == n { print $2 }')" STOPPED
check_cmd "... with no cgroup left" test ! -e "$cgdir"

out=$(ub "$BURROW" destroy "$CT" 2>&1)
check_eq "destroy (${out:-no output})" "$?" 0
check_cmd "the container's files are gone" test ! -e "$HOME_/.local/share/burrow/$CT"
