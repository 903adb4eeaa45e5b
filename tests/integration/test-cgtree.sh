#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# cgroup/ on a real kernel: two "containers" (a test cgroup each, a new pid
# namespace each, no cgroup namespace) use the tree with ls, cat, echo,
# mkdir and rmdir; what they change is checked in the host's cgroupfs, and
# what must fail (escapes, foreign pids, the parent's limits, the other
# container) is checked to have failed and changed nothing.

. "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=cgtree-lib.sh
. "$(dirname "$0")/cgtree-lib.sh"

t_init
[ -n "${CG_V1[memory]:-}" ] || skip "needs a cgroup v1 memory hierarchy (hybrid host)"
[ -d "${CG_V1[pids]:-/nonexistent}" ] || skip "needs a cgroup v1 pids hierarchy"
bfs_start
T=$BFS_MNT/cgroup
MEM=${CG_V1[memory]}
PIDS=${CG_V1[pids]}
cg_new ct1
cg_new ct2
P1=$CG_BASE/ct1
P2=$CG_BASE/ct2

# What ct_sh's scripts use.
export T P1 P2 CG_BASE

# ---- reading ----------------------------------------------------------------

# First, before anyone else walks the tree: the kernel's dentry and
# attribute caches are shared by every reader of the mount, so right after
# ct1 has looked its files up, ct2 must still find nothing there (lxcfs 5
# answers ct2's stat from ct1's lookup for a second).
out=$(ct_sh ct1 'stat -c %s "$T/memory/$P1/memory.limit_in_bytes" >/dev/null && echo looked-up')
check_eq "ct1 looked up its own files" "$out" looked-up
out=$(ct_sh ct2 '
	stat "$T/memory/$P1/memory.limit_in_bytes" >/dev/null 2>&1 && echo "stat-file"
	stat "$T/memory/$P1" >/dev/null 2>&1 && echo "stat-dir"
	test -e "$T/memory/$P1/cgroup.procs" && echo "exists"
	true')
check_eq "ct2 gets nothing from ct1's lookups" "$out" ""

out=$(ct_sh ct1 'ls "$T" | tr "\n" " "')
check_cmd "cgroup/ lists memory" grep -qw memory <<<"$out"
check_cmd "cgroup/ lists name=systemd as systemd" grep -qw systemd <<<"$out"
check_cmd "cgroup/ lists v2 as unified" grep -qw unified <<<"$out"

out=$(ct_sh ct1 'ls "$T/memory"')
check_eq "above the container: only the way down" "$out" "$CG_BASE"
out=$(ct_sh ct1 'ls "$T/memory/$CG_BASE"')
check_eq "ct1 sees itself, not ct2" "$out" "ct1"
out=$(ct_sh ct2 'ls "$T/memory/$CG_BASE"')
check_eq "ct2 sees itself, not ct1" "$out" "ct2"

out=$(ct_sh ct1 'ls "$T/memory/$P1"')
want=$(ls "$MEM/$P1")
check_eq "the container's own cgroup lists every file" "$out" "$want"

cg_set ct1 mem 300000000
out=$(ct_sh ct1 'cat "$T/memory/$P1/memory.limit_in_bytes"')
check_eq "memory.limit_in_bytes through the tree" "$out" "$(cat "$MEM/$P1/memory.limit_in_bytes")"

# Pids come back in the reader's namespace. mapfile reads without a fork:
# the namespace then holds exactly bash (1) and the sleep.
out=$(ct_sh ct1 '
	sleep 60 & s=$!
	mapfile -t pids <"$T/pids/$P1/cgroup.procs"
	echo "${pids[*]}|$s"
	kill $s')
check_eq "cgroup.procs holds the namespace's pids: init 1 and the sleep" "${out%%|*}" "1 ${out#*|}"
out=$(ct_sh ct1 '
	sleep 60 & s=$!
	mapfile -t tids <"$T/memory/$P1/tasks"
	echo "${tids[*]}|$s"
	kill $s')
check_eq "tasks likewise" "${out%%|*}" "1 ${out#*|}"

# ---- writing ----------------------------------------------------------------

out=$(ct_sh ct1 '
	mkdir "$T/memory/$P1/child" || exit 1
	sleep 60 & s=$!
	echo $s >"$T/memory/$P1/child/cgroup.procs" || echo "move failed"
	grep ":memory:" /proc/$s/cgroup
	echo 64M >"$T/memory/$P1/child/memory.limit_in_bytes" || echo "limit failed"
	cat "$T/memory/$P1/child/tasks"
	kill $s; wait $s 2>/dev/null
	ls "$T/memory/$P1" | grep -x child')
check_cmd "mkdir through the tree made the kernel's cgroup" test -d "$MEM/$P1/child"
check_cmd "the sleep moved by its namespace pid" grep -qx "4:memory:/$P1/child" \
	<<<"$(sed 's/^[0-9]*:/4:/' <<<"$out" | grep ':memory:')"
check_eq "the limit written through the tree is the kernel's" \
	"$(cat "$MEM/$P1/child/memory.limit_in_bytes" 2>/dev/null)" 67108864
check_cmd "no write failed inside" bash -c "! grep -q failed <<<'$out'"
out=$(ct_sh ct1 'rmdir "$T/memory/$P1/child" && echo removed')
check_eq "rmdir through the tree" "$out" removed
check_cmd "the kernel's cgroup is gone" test ! -e "$MEM/$P1/child"

# A shell's '>' truncates first: that must not fail on a cgroup file.
out=$(ct_sh ct1 'echo 200 >"$T/pids/$P1/pids.max" && cat "$T/pids/$P1/pids.max"')
check_eq "echo > pids.max through the tree" "$out" 200
check_eq "pids.max in the kernel" "$(cat "$PIDS/$P1/pids.max")" 200

# ---- attacks ----------------------------------------------------------------

cgtree_attacks "$T/memory" "$MEM" ct1 "" memory.limit_in_bytes 4096 memory.limit_in_bytes \
	sys/fs/cgroup/memory ':memory:' tasks

# ct2 cannot see or touch ct1.
out=$(ct_sh ct2 '
	ls "$T/memory/$P1" 2>/dev/null && echo "sees-ct1"
	echo 1 >"$T/pids/$P1/pids.max" 2>/dev/null && echo "writes-ct1"
	true')
check_eq "ct2 neither sees nor writes ct1" "$out" ""
check_eq "ct1's pids.max is still ct1's" "$(cat "$PIDS/$P1/pids.max")" 200

# ---- the writer's credentials ------------------------------------------------

# A container root that is another host uid: writes where the cgroup is
# delegated to it (chown), refused where it is not. The kernel decides.
if unshare --user --map-users=100000,0,65536 --map-groups=100000,0,65536 true 2>/dev/null; then
	# The container's root is uid 100000 on the host: let it reach the mount.
	chmod 0755 "$T_TMP"
	in_userns() {
		ct_sh ct1 'exec unshare --user --map-users=100000,0,65536 \
			--map-groups=100000,0,65536 --setuid 0 --setgid 0 bash -c "$1"' "$1"
	}
	out=$(in_userns 'echo 300 >"$T/pids/$P1/pids.max" 2>/dev/null || echo denied')
	check_eq "an undelegated cgroup refuses the namespaced root" "$out" denied
	check_eq "pids.max unchanged" "$(cat "$PIDS/$P1/pids.max")" 200
	chown -R 100000:100000 "$PIDS/$P1"
	out=$(in_userns 'echo 300 >"$T/pids/$P1/pids.max" && mkdir "$T/pids/$P1/sub" &&
		stat -c %u "$T/pids/$P1/sub" && chown 5:5 "$T/pids/$P1/sub/pids.max" &&
		rmdir "$T/pids/$P1/sub" && echo done')
	check_eq "a delegated cgroup: write, mkdir (owned by the container root), chown, rmdir" \
		"$out" "$(printf '0\ndone')"
	check_eq "pids.max written by the namespaced root" "$(cat "$PIDS/$P1/pids.max")" 300
else
	note "unshare --map-users unavailable: credential checks skipped"
fi

check_cmd "burrowfs still serves" test -e "$T/memory"
