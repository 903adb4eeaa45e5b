#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# cgroup=burrowfs: an unprivileged Debian 12 guest (root's subordinate ids)
# without a cgroup namespace boots systemd on burrowfs's cgroup tree, on this
# hybrid host, and manages its units there: systemd-cgls, a transient unit
# with MemoryMax (checked in the host's cgroupfs) and systemctl stop
# killing its whole cgroup.
#
# CGTREE_PER_CONTAINER=1 (test-cgtree-boot-pconn.sh): the same guest with
# burrowfs-mount=per-container, its cgroup tree (and its /proc files) from
# connections of its own, which the kernel caches (issue 14).

. "$(dirname "$0")/lib.sh"

l_init
[ -n "${CG_V1[memory]:-}" ] || skip "needs a cgroup v1 memory hierarchy (hybrid host)"
l_rootfs
PC=${CGTREE_PER_CONTAINER:-0}
PC_KEYS=()
if [ "$PC" = 1 ]; then
	CTL=${BURROWFS_CTL:-$L_DIR/../../build/hooks/burrowfs-ctl}
	[ -x "$CTL" ] || die "burrowfs-ctl not built at $CTL"
	SOCK=$T_TMP/control.sock
	bfs_start --control-socket "$SOCK"
	PC_KEYS=(-c burrowfs-mount=per-container -c burrowfs-control="$SOCK")
else
	bfs_start
fi
stat_of() { "$CTL" --socket "$SOCK" stats | awk -v k="$1" '$1 == k { print $2 }'; }
l_root_home
B=$BURROW
CT=cgt$$
defer "$B destroy --force $CT >/dev/null 2>&1"
in_ct() { timeout 60 "$B" attach "$CT" -- "$@"; }

check_cmd "create with cgroup=burrowfs" "$B" create "$CT" --from-dir "$ROOTFS" \
	-c memory=512M -c burrowfs=yes -c burrowfs-path="$BFS_MNT" -c cgroup=burrowfs "${PC_KEYS[@]}"
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
if [ "$PC" = 1 ]; then
	shared_dev=$(stat -c %d "$BFS_MNT/cgroup/memory")
	for h in systemd memory; do
		check_num "/sys/fs/cgroup/$h is the guest's own connection, not the shared mount" \
			"$(in_ct stat -c %d "/sys/fs/cgroup/$h")" "!=" "$shared_dev"
	done
	check_eq "the memory and systemd trees share one connection" \
		"$(in_ct stat -c %d /sys/fs/cgroup/memory)" "$(in_ct stat -c %d /sys/fs/cgroup/systemd)"
	check_eq "two connections: its files and its cgroup tree" "$(stat_of connections_live)" 2
	# Entries and attributes cached: 200 stats of a deep path by 200 processes.
	deep=$mem/memory.limit_in_bytes
	in_ct stat -c %s "$deep" >/dev/null
	r0=$(($(stat_of requests_lookup) + $(stat_of requests_getattr)))
	out=$(in_ct sh -c 'i=0; while [ $i -lt 200 ]; do stat -c %s "$1" || exit 1; i=$((i + 1)); done | sort -u' sh "$deep")
	r1=$(($(stat_of requests_lookup) + $(stat_of requests_getattr)))
	check_eq "200 stats of $deep" "$out" 0
	note "200 stats: $((r1 - r0)) lookups and getattrs reached the daemon"
	check_num "the kernel answered most (lookups + getattrs)" $((r1 - r0)) "<" 50
fi

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
