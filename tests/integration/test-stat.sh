#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# proc/stat: a CPU burn inside the cgroup shows up as user/system time of the
# container's CPU; every counter only grows; each cpu line advances like wall
# time; btime is the container's start; processes and procs_* are the
# container's; a reader on the host sees the host's counters.
source "$(dirname "$0")/../lib/lib.sh"
t_init

TCK=$(getconf CLK_TCK)
LAST=$(($(grep '^processor' /proc/cpuinfo | tail -n1 | awk '{ print $3 }')))

bfs_start
MNT=$BFS_MNT

cg_new s
cg_set s cpus "$LAST" || die "no cpuset controller"
cg_set s pids 64 || note "no pids controller"

# The container starts after t0: bounds for btime that hold however slowly
# it starts.
# Ground truth for the burn: the cgroup's own CPU time, read beside
# /proc/stat. On v1 that is the user + system of cpuacct.usage_all's row for
# the visible CPU (in ns; the kernel samples that split at each tick, so it
# may differ from cpuacct.usage by tens of percent on a busy host); on v2,
# cpu.stat's usage_usec.
if d=$(cg_ctrl_dir cpuacct s) && [ -e "$d/cpuacct.usage_all" ]; then
	export USAGE_FILE=$d/cpuacct.usage_all USAGE_UNIT=1000000000 USAGE_CPU=$LAST
else
	export USAGE_FILE=$(cg_ctrl_dir cpu s)/cpu.stat USAGE_UNIT=1000000 USAGE_CPU=-
fi
t0=$(date +%s)
out=$(ct_run "$MNT" s bash -c '
	usage() {
		awk -v c="$USAGE_CPU" "(\$1 == c && NF == 3) { print \$2 + \$3 }
			(\$1 == \"usage_usec\") { print \$2 }" "$USAGE_FILE"
	}
	echo "@@ t1"; date +%s.%N
	echo "@@ u1"; usage
	echo "@@ s1"; cat /proc/stat
	timeout 1.5 bash -c "while :; do :; done" &
	sleep 0.7
	echo "@@ sb"; cat /proc/stat
	wait
	echo "@@ u2"; usage
	echo "@@ s2"; cat /proc/stat
	sleep 1
	echo "@@ t3"; date +%s.%N
	echo "@@ s3"; cat /proc/stat') || die "container run failed"
s1=$(section "$out" s1)
s2=$(section "$out" s2)
s3=$(section "$out" s3)
t1=$(section "$out" t1)
t3=$(section "$out" t3)

# busy TEXT LINE: user + nice + system ticks of one cpu line.
busy() {
	awk -v l="$2" '$1 == l { print $2 + $3 + $4 }' <<<"$1"
}
# total TEXT LINE: all ten fields of one cpu line.
total() {
	awk -v l="$2" '$1 == l { s = 0; for (i = 2; i <= 11; i++) s += $i; print s }' <<<"$1"
}
field() {
	awk -v k="$2" '$1 == k { print $2 }' <<<"$1"
}

check_eq "cpu lines: cpu and cpu0 only" "$(grep '^cpu' <<<"$s1" | awk '{ print $1 }' | tr '\n' ' ')" \
	"cpu cpu0 "
check_cmd "cpu line format as the kernel's ('cpu  ' + 10 counters)" \
	grep -Eq '^cpu  [0-9]+( [0-9]+){9}$' <<<"$s1"
# How much CPU the burn got depends on the machine's load; what it got, the
# cgroup's own counter says. cpu0 must show that, within the render cache's
# 100 ms and the rounding of each field to a tick.
burn=$(($(busy "$s2" cpu0) - $(busy "$s1" cpu0)))
truth=$(awk -v a="$(section "$out" u1)" -v b="$(section "$out" u2)" -v u="$USAGE_UNIT" -v t="$TCK" \
	'BEGIN { printf "%d", (b - a) * t / u }')
check_num "the burn shows as busy ticks on cpu0" "$burn" ">=" 1
check_num "cpu0's busy ticks follow the cgroup's CPU time ($truth ticks): at least" \
	"$burn" ">=" $((truth * 9 / 10 - TCK / 10 - 2))
check_num "cpu0's busy ticks follow the cgroup's CPU time ($truth ticks): at most" \
	"$burn" "<=" $((truth * 11 / 10 + TCK / 10 + 2))
check_num "an idle second adds < $((TCK * T_SLOW / 5)) busy ticks (the cgroup's, not the CPU's)" \
	$(($(busy "$s3" cpu0) - $(busy "$s2" cpu0))) "<" $((TCK * T_SLOW / 5))

# Counters never go backwards, field by field.
back=$(paste -d' ' <(grep '^cpu' <<<"$s1") <(grep '^cpu' <<<"$s2") <(grep '^cpu' <<<"$s3") |
	awk '{ for (i = 2; i <= 11; i++) if ($(i + 11) < $i || $(i + 22) < $(i + 11)) print $1, i }')
check_eq "no cpu counter went backwards" "$back" ""

# Each line advances like wall time on one visible CPU.
wall=$(awk -v a="$t1" -v b="$t3" -v t="$TCK" 'BEGIN { printf "%d", (b - a) * t }')
adv=$(($(total "$s3" cpu0) - $(total "$s1" cpu0)))
check_num "cpu0 advanced >= 0.75 x wall ($wall ticks)" "$adv" ">=" $((wall * 3 / 4))
check_num "cpu0 advanced <= 1.25 x wall ($wall ticks)" "$adv" "<=" $((wall * 5 / 4 + 2))
# Rounding ns to ticks per line may differ by a tick per field.
d=$(($(total "$s3" cpu) - $(total "$s3" cpu0)))
check_num "cpu line is the sum of cpuN lines (|diff| <= 10 ticks)" "${d#-}" "<=" 10

# btime is when the container's init started, in epoch seconds.
check_num "btime >= container start - 1" "$(field "$s1" btime)" ">=" $((t0 - 1))
check_num "btime <= container start + 1" "$(field "$s1" btime)" "<=" $((${t1%.*} + 1))
check_num "btime after the host's" "$(field "$s1" btime)" ">" "$(field "$(cat /proc/stat)" btime)"
check_num "processes: the container's own (< 100)" "$(field "$s3" processes)" "<" 100
check_num "processes >= 1" "$(field "$s3" processes)" ">=" 1
# The reader itself waits on the FUSE reply: only the loop is surely running.
sb=$(section "$out" sb)
check_num "procs_running >= 1 during the burn" "$(field "$sb" procs_running)" ">=" 1
check_num "procs_running <= 3 during the burn" "$(field "$sb" procs_running)" "<=" 3
check_num "procs_running <= 2 once idle" "$(field "$s3" procs_running)" "<=" 2
check_num "procs_blocked <= 4" "$(field "$s3" procs_blocked)" "<=" 4
for k in intr ctxt softirq; do
	check_cmd "line '$k' kept" grep -q "^$k " <<<"$s3"
done

# ---- host reader --------------------------------------------------------------
p1=$(cat /proc/stat)
b=$(timeout 10 cat "$MNT/proc/stat") || die "host read of stat failed"
p2=$(cat /proc/stat)
check_eq "host reader: same lines as /proc" "$(awk '{ print $1 }' <<<"$b" | tr '\n' ' ')" \
	"$(awk '{ print $1 }' <<<"$p1" | tr '\n' ' ')"
check_num "host reader: btime identical" "$(field "$b" btime)" == "$(field "$p1" btime)"
check_num "host reader: cpu busy >= /proc's before" "$(busy "$b" cpu)" ">=" "$(busy "$p1" cpu)"
check_num "host reader: cpu busy <= /proc's after" "$(busy "$b" cpu)" "<=" "$(busy "$p2" cpu)"
check_num "host reader: processes >= /proc's before" "$(field "$b" processes)" ">=" \
	"$(field "$p1" processes)"
check_num "host reader: processes <= /proc's after" "$(field "$b" processes)" "<=" \
	"$(field "$p2" processes)"
