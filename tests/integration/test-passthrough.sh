#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# proc/pressure/{cpu,io,memory} are the container's v2 cgroup's *.pressure
# where it has them, else the host's; proc/slabinfo is the memory cgroup's
# v1 memory.kmem.slabinfo where the kernel fills it, else the host's file.
source "$(dirname "$0")/../lib/lib.sh"
t_init

LAST=$(($(grep '^processor' /proc/cpuinfo | tail -n1 | awk '{ print $3 }')))

bfs_start
MNT=$BFS_MNT

cg_new p
cg_set p cpus "$LAST" || die "no cpuset controller"

# Where the container's pressure must come from: its own v2 cgroup when that
# has the files (v2 and hybrid hosts with PSI), else the host's.
psi_src() {
	if [ -n "$CG_V2" ] && [ -e "$CG_V2/$CG_BASE/p/$1.pressure" ]; then
		echo "$CG_V2/$CG_BASE/p/$1.pressure"
	else
		echo "/proc/pressure/$1"
	fi
}

# totals TEXT: the total= of each line, "some full".
totals() {
	sed -n 's/.*total=\([0-9]*\).*/\1/p' <<<"$1" | tr '\n' ' '
}

# Two busy loops on one CPU make cpu pressure of the container's own.
declare -A before after
for r in cpu io memory; do
	before[$r]=$(cat "$(psi_src $r)" 2>/dev/null)
done
out=$(ct_run "$MNT" p bash -c '
	sh -c "while :; do :; done" & a=$!
	sh -c "while :; do :; done" & b=$!
	sleep 1.5
	for r in cpu io memory; do echo "@@ $r"; cat /proc/pressure/$r; done
	kill $a $b
	echo "@@ slabinfo"; head -n 2 /proc/slabinfo') || die "container run failed"
for r in cpu io memory; do
	after[$r]=$(cat "$(psi_src $r)" 2>/dev/null)
done

for r in cpu io memory; do
	got=$(section "$out" $r)
	note "$r from $(psi_src $r)"
	check_eq "pressure/$r: the lines of its source" "$(awk '{ print $1 }' <<<"$got" | tr '\n' ' ')" \
		"$(awk '{ print $1 }' <<<"${after[$r]}" | tr '\n' ' ')"
	check_eq "pressure/$r: every line in the kernel's format" "$(grep -Ev \
		'^(some|full) avg10=[0-9]+\.[0-9]{2} avg60=[0-9]+\.[0-9]{2} avg300=[0-9]+\.[0-9]{2} total=[0-9]+$' \
		<<<"$got")" ""
	read -r -a g <<<"$(totals "$got")"
	read -r -a lo <<<"$(totals "${before[$r]}")"
	read -r -a hi <<<"$(totals "${after[$r]}")"
	for i in "${!g[@]}"; do
		check_num "pressure/$r line $((i + 1)): total >= source's before" "${g[i]}" ">=" "${lo[i]:-x}"
		check_num "pressure/$r line $((i + 1)): total <= source's after" "${g[i]}" "<=" "${hi[i]:-x}"
	done
done
if [[ "$(psi_src cpu)" != /proc/* ]]; then
	check_num "pressure/cpu: two loops on one CPU stalled the container" \
		"$(totals "$(section "$out" cpu)" | awk '{ print $1 }')" ">" 0
fi

# ---- slabinfo -----------------------------------------------------------------
kmem=$(cg_ctrl_dir memory p)/memory.kmem.slabinfo
if [ -n "$(head -c1 "$kmem" 2>/dev/null)" ]; then
	want=$(head -n 2 "$kmem")
	note "slabinfo from $kmem"
else
	want=$(head -n 2 /proc/slabinfo)
	note "slabinfo: the kernel fills no memory.kmem.slabinfo, the host's file"
fi
check_eq "slabinfo header" "$(section "$out" slabinfo)" "$want"

# ---- host reader ----------------------------------------------------------------
for r in cpu io memory; do
	before_t=$(totals "$(cat /proc/pressure/$r)")
	got=$(totals "$(timeout 10 cat "$MNT/proc/pressure/$r")")
	after_t=$(totals "$(cat /proc/pressure/$r)")
	check_num "host reader: pressure/$r some total >= /proc's before" "${got%% *}" ">=" "${before_t%% *}"
	check_num "host reader: pressure/$r some total <= /proc's after" "${got%% *}" "<=" "${after_t%% *}"
done
check_eq "host reader: slabinfo header" "$(timeout 10 head -n 2 "$MNT/proc/slabinfo")" \
	"$(head -n 2 /proc/slabinfo)"
check_num "host reader: slabinfo has the host's caches (+-20)" \
	"$(timeout 10 wc -l <"$MNT/proc/slabinfo")" ">=" $(($(wc -l </proc/slabinfo) - 20))
