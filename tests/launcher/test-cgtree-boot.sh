#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# cgroup=burrowfs: an unprivileged Debian 12 guest (root's subordinate ids)
# without a cgroup namespace boots systemd on burrowfs's cgroup tree, on this
# hybrid host, and manages its units there: systemd-cgls, a transient unit
# with MemoryMax (checked in the host's cgroupfs) and systemctl stop
# killing its whole cgroup.

. "$(dirname "$0")/lib.sh"

l_init
[ -n "${CG_V1[memory]:-}" ] || skip "needs a cgroup v1 memory hierarchy (hybrid host)"
l_rootfs
bfs_start
l_root_home
B=$BURROW
CT=cgt$$
defer "$B destroy --force $CT >/dev/null 2>&1"
in_ct() { timeout 60 "$B" attach "$CT" -- "$@"; }

check_cmd "create with cgroup=burrowfs" "$B" create "$CT" --from-dir "$ROOTFS" \
	-c memory=512M -c burrowfs=yes -c burrowfs-path="$BFS_MNT" -c cgroup=burrowfs
"$B" create "${CT}x" --from-dir "$ROOTFS" -c cgroup=bogus >/dev/null 2>&1
check_num "cgroup=bogus is refused" "$?" "!=" 0
t0=$(date +%s.%N)
check_cmd "start --wait" "$B" start --wait "$CT"
state=$(in_ct systemctl is-system-running --wait)
note "boot to '$state': $(echo "$(date +%s.%N) - $t0" | bc) s"
check_eq "is-system-running" "$state" running
check_eq "failed units" "$(in_ct systemctl list-units --failed --no-legend --plain | wc -l)" 0

init=$("$B" info "$CT" | awk -F': *' 'tolower($1) ~ /pid/ { print $2; exit }')
mem=$("$B" info "$CT" | grep -o '/sys/fs/cgroup/memory/[^ ]*' | head -n1)
[ -d "$mem" ] || die "no memory cgroup of $CT in '$("$B" info "$CT")'"
check_eq "no cgroup namespace" "$(in_ct readlink /proc/self/ns/cgroup)" "$(readlink /proc/self/ns/cgroup)"
check_eq "/sys/fs/cgroup/systemd is burrowfs" "$(in_ct stat -f -c %T /sys/fs/cgroup/systemd)" fuseblk
check_eq "/sys/fs/cgroup/memory is burrowfs" "$(in_ct stat -f -c %T /sys/fs/cgroup/memory)" fuseblk
note "init: ${init:-?}, memory cgroup: $mem"

cgls=$(in_ct systemd-cgls --no-pager)
check_cmd "systemd-cgls shows init.scope" grep -q 'init.scope' <<<"$cgls"
check_cmd "systemd-cgls shows systemd-journald.service" grep -q 'systemd-journald.service' <<<"$cgls"
check_cmd "the guest's units are real cgroups on the host" test -d "$mem/system.slice/systemd-journald.service"

check_cmd "systemd-run -p MemoryMax=64M" in_ct systemd-run --unit=cgt-mem -p MemoryMax=64M \
	sh -c 'sleep 1000 & sleep 1000 & exec sleep 1000'
sleep 1
unit=$mem/system.slice/cgt-mem.service
check_eq "MemoryMax is the kernel's limit" "$(cat "$unit/memory.limit_in_bytes" 2>/dev/null)" 67108864
check_eq "the unit's three processes are in its cgroup" "$(wc -l <"$unit/cgroup.procs" 2>/dev/null)" 3
check_eq "the guest sees them with its own pids" \
	"$(in_ct systemctl show -p MainPID --value cgt-mem | awk '$1 > 0 && $1 < 100000 { print "small" }')" small
pids=$(cat "$unit/cgroup.procs" 2>/dev/null)
check_cmd "systemctl stop" in_ct systemctl stop cgt-mem
alive=0
for p in $pids; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
check_eq "every process of the unit's cgroup is gone" "$alive" 0
check_cmd "the unit's cgroup is removed" test ! -e "$unit"

t0=$(date +%s.%N)
check_cmd "stop" "$B" stop "$CT"
note "stop: $(echo "$(date +%s.%N) - $t0" | bc) s"
check_cmd "destroy" "$B" destroy "$CT"
