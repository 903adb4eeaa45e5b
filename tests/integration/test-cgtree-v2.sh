#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# cgroup/unified on a real kernel: two "containers" (a test cgroup each, its
# init in init.scope below it as systemd puts itself, a new pid namespace
# each, no cgroup namespace) use the v2 tree with ls, cat, echo, mkdir and
# rmdir; what they change is checked in the host's cgroup2 files, and what
# must fail is checked to have failed and changed nothing. Where the v2
# hierarchy has the memory and pids controllers (a pure v2 host, the VM
# suite), limits are written through the tree too; on a hybrid host, whose
# v2 hierarchy carries none, the rest still runs.

. "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=cgtree-lib.sh
. "$(dirname "$0")/cgtree-lib.sh"

t_init
[ -n "$CG_V2" ] || skip "no cgroup v2 hierarchy"
bfs_start
T=$BFS_MNT/cgroup/unified
V2=$CG_V2
cg_new ct1/init.scope
cg_new ct2/init.scope
P1=$CG_BASE/ct1
P2=$CG_BASE/ct2
# What ct_sh's scripts use.
export T P1 P2 CG_BASE
has() {
	[[ " $(cat "$V2/$P1/cgroup.subtree_control") " == *" $1 "* ]]
}

# ---- the kernel's caches are shared by all readers ----------------------------
# First, before anyone else walks the tree: right after ct1 has looked up its
# files, ct2 must still find nothing there.
out=$(ct_sh ct1/init.scope 'stat -c %s "$T/$P1/cgroup.procs" >/dev/null && echo looked-up')
check_eq "ct1 looked up its own files" "$out" looked-up
out=$(ct_sh ct2/init.scope '
	stat "$T/$P1/cgroup.procs" >/dev/null 2>&1 && echo "stat-file"
	stat "$T/$P1" >/dev/null 2>&1 && echo "stat-dir"
	true')
check_eq "ct2 gets nothing from ct1's lookups" "$out" ""

# ---- reading ----------------------------------------------------------------
out=$(ct_sh ct1/init.scope 'ls "$T"')
check_eq "above the container: only the way down" "$out" "$CG_BASE"
out=$(ct_sh ct1/init.scope 'ls "$T/$CG_BASE"')
check_eq "ct1 sees itself, not ct2" "$out" ct1
out=$(ct_sh ct2/init.scope 'ls "$T/$CG_BASE"')
check_eq "ct2 sees itself, not ct1" "$out" ct2
out=$(ct_sh ct1/init.scope 'ls "$T/$P1"')
check_eq "the container's cgroup lists every file the kernel's has" "$out" "$(ls "$V2/$P1")"
out=$(ct_sh ct1/init.scope 'cat "$T/$P1/cgroup.controllers"')
check_eq "cgroup.controllers through the tree" "$out" "$(cat "$V2/$P1/cgroup.controllers")"
out=$(ct_sh ct1/init.scope 'grep "^0::" /proc/self/cgroup')
check_eq "the init's /proc/self/cgroup names init.scope" "$out" "0::/$P1/init.scope"

# Pids come back in the reader's namespace. mapfile reads without a fork:
# the namespace then holds exactly bash (1) and the sleep.
out=$(ct_sh ct1/init.scope '
	sleep 60 & s=$!
	mapfile -t pids <"$T/$P1/init.scope/cgroup.procs"
	echo "${pids[*]}|$s"
	kill $s')
check_eq "init.scope's cgroup.procs holds the namespace's pids: 1 and the sleep" \
	"${out%%|*}" "1 ${out#*|}"
out=$(ct_sh ct1/init.scope '
	sleep 60 & s=$!
	mapfile -t tids <"$T/$P1/init.scope/cgroup.threads"
	echo "${tids[*]}|$s"
	kill $s')
check_eq "cgroup.threads likewise" "${out%%|*}" "1 ${out#*|}"
out=$(ct_sh ct1/init.scope 'cat "$T/$P1/cgroup.procs"')
check_eq "the container's own cgroup holds no process (all in init.scope)" "$out" ""

# ---- writing ----------------------------------------------------------------
# What a systemd guest does: a child cgroup with limits, a process moved in
# by its namespace pid. The kernel's own cgroup.procs, read in the same
# namespace, translates pids itself: the tree must agree with it.
limits=""
has memory && limits+='echo 67108864 >"$T/$P1/child/memory.max" || echo "memory.max failed"
'
has pids && limits+='echo 42 >"$T/$P1/child/pids.max" || echo "pids.max failed"
'
out=$(ct_sh ct1/init.scope '
	mkdir "$T/$P1/child" || exit 1
	sleep 60 & s=$!
	echo $s >"$T/$P1/child/cgroup.procs" || echo "move failed"
	'"$limits"'
	echo "sleep $s"
	echo "tree $(cat "$T/$P1/child/cgroup.procs")"
	echo "kernel $(cat "'"$V2/$P1/child/cgroup.procs"'")"
	kill $s; wait $s 2>/dev/null
	ls "$T/$P1" | grep -x child')
check_cmd "mkdir through the tree made the kernel's cgroup" test -d "$V2/$P1/child"
check_eq "nothing failed inside" "$(grep -c failed <<<"$out")" 0
s=$(awk '$1 == "sleep" { print $2 }' <<<"$out")
check_eq "the kernel moved the sleep by its namespace pid into the child" \
	"$(awk '$1 == "kernel" { print $2 }' <<<"$out")" "$s"
check_eq "the tree's child cgroup.procs shows it as the kernel does" \
	"$(awk '$1 == "tree" { print $2 }' <<<"$out")" "$s"
check_cmd "the listing shows the child" grep -qx child <<<"$out"
if has memory; then
	check_eq "memory.max written through the tree is the kernel's" \
		"$(cat "$V2/$P1/child/memory.max")" 67108864
else
	note "no memory controller in the v2 hierarchy here: memory.max not written"
fi
if has pids; then
	check_eq "pids.max written through the tree is the kernel's" \
		"$(cat "$V2/$P1/child/pids.max")" 42
fi
out=$(ct_sh ct1/init.scope 'rmdir "$T/$P1/child" && echo removed')
check_eq "rmdir through the tree" "$out" removed
check_cmd "the kernel's cgroup is gone" test ! -e "$V2/$P1/child"

# ---- attacks ----------------------------------------------------------------
cgtree_attacks "$T" "$V2" ct1/init.scope /init.scope cgroup.subtree_control -memory \
	memory.max sys/fs/cgroup '^0::' cgroup.threads

check_cmd "burrowfs still serves" test -e "$T"
