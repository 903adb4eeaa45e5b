#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# proc/cpuinfo, the cpuN lines of proc/stat and sys/devices/system/cpu: a
# container sees exactly its cpuset, renumbered from 0, and every tool
# (nproc, getconf, lscpu) agrees; --enable-cfs cuts further to
# ceil(quota/period); a reader on the host sees the host's CPUs.
source "$(dirname "$0")/../lib/lib.sh"
t_init

# Everything a tool may count CPUs from, one section each.
CPU_VIEW='
s=/sys/devices/system/cpu
echo "@@ processors"; grep "^processor" /proc/cpuinfo | awk "{ print \$3 }"
echo "@@ nproc"; nproc
echo "@@ nproc_all"; nproc --all
echo "@@ conf"; getconf _NPROCESSORS_CONF
echo "@@ onln"; getconf _NPROCESSORS_ONLN
echo "@@ online"; cat $s/online
echo "@@ possible"; cat $s/possible
echo "@@ present"; cat $s/present
echo "@@ dirs"; ls $s | grep -E "^cpu[0-9]+$" | sort -V
echo "@@ stat"; grep -E "^cpu[0-9]+ " /proc/stat | awk "{ print \$1 }"
echo "@@ lscpu"; lscpu -p=CPU | grep -v "^#"
echo "@@ apicid"; grep "^apicid" /proc/cpuinfo | awk "{ print \$3 }"
'

# check_view LABEL OUTPUT N [AFFINITY]: all views show CPUs 0..N-1. AFFINITY is
# what nproc (sched_getaffinity, which burrowfs cannot change) must say.
check_view() {
	local label=$1 out=$2 n=$3 aff=${4:-$3} seq list
	seq=$(seq 0 $((n - 1)) | tr '\n' ' ')
	list=0
	[ "$n" -eq 1 ] || list="0-$((n - 1))"
	check_num "$label: grep -c ^processor /proc/cpuinfo" \
		"$(section "$out" processors | wc -l)" == "$n"
	check_eq "$label: processors renumbered from 0" \
		"$(section "$out" processors | tr '\n' ' ')" "$seq"
	check_num "$label: nproc" "$(section "$out" nproc)" == "$aff"
	# coreutils' nproc --all never says fewer than the affinity mask has.
	check_num "$label: nproc --all" "$(section "$out" nproc_all)" == $((n > aff ? n : aff))
	check_num "$label: getconf _NPROCESSORS_CONF" "$(section "$out" conf)" == "$n"
	check_num "$label: getconf _NPROCESSORS_ONLN" "$(section "$out" onln)" == "$n"
	check_eq "$label: cpu/online" "$(section "$out" online)" "$list"
	check_eq "$label: cpu/possible" "$(section "$out" possible)" "$list"
	check_eq "$label: cpu/present" "$(section "$out" present)" "$list"
	check_eq "$label: cpuN directories" "$(section "$out" dirs | tr '\n' ' ')" \
		"$(seq 0 $((n - 1)) | sed 's/^/cpu/' | tr '\n' ' ')"
	check_eq "$label: cpuN lines of /proc/stat" "$(section "$out" stat | tr '\n' ' ')" \
		"$(seq 0 $((n - 1)) | sed 's/^/cpu/' | tr '\n' ' ')"
	check_eq "$label: lscpu -p CPUs" "$(section "$out" lscpu | tr '\n' ' ')" "$seq"
}

NCPU=$(host_cpus)
LAST=$(($(grep '^processor' /proc/cpuinfo | tail -n1 | awk '{ print $3 }')))

bfs_start
MNT=$BFS_MNT

# ---- one CPU, the host's last one, so renumbering shows -----------------------
cg_new one
cg_set one cpus "$LAST" || die "no cpuset controller"
cg_set one cfs 100000 100000 || note "no cpu controller"
out=$(ct_run "$MNT" one bash -c "$CPU_VIEW") || die "container run failed"
check_view "cpuset $LAST" "$out" 1
host_apicid=$(awk -v c="$LAST" '$1 == "processor" { p = $3 } $1 == "apicid" && p == c { print $3 }' \
	/proc/cpuinfo)
if [ -n "$host_apicid" ]; then
	check_eq "cpuset $LAST: processor 0 is host CPU $LAST (apicid)" \
		"$(section "$out" apicid)" "$host_apicid"
fi

# ---- two CPUs and a CFS quota -------------------------------------------------
if [ "$NCPU" -ge 2 ]; then
	bfs_start --enable-cfs
	MNT_CFS=$BFS_MNT
	cg_new two
	cg_set two cpus 0-1
	cg_set two cfs 50000 100000 || die "no cpu controller"
	out=$(ct_run "$MNT" two bash -c "$CPU_VIEW") || die "container run failed"
	check_view "cpuset 0-1, quota 0.5, no --enable-cfs" "$out" 2
	out=$(ct_run "$MNT_CFS" two bash -c "$CPU_VIEW") || die "container run failed"
	check_view "cpuset 0-1, quota 0.5, --enable-cfs" "$out" 1 2

	cg_new two15
	cg_set two15 cpus 0-1
	cg_set two15 cfs 150000 100000
	out=$(ct_run "$MNT_CFS" two15 bash -c "$CPU_VIEW") || die "container run failed"
	check_view "cpuset 0-1, quota 1.5, --enable-cfs" "$out" 2

	cg_new twofree
	cg_set twofree cpus 0-1
	out=$(ct_run "$MNT_CFS" twofree bash -c "$CPU_VIEW") || die "container run failed"
	check_view "cpuset 0-1, no quota, --enable-cfs" "$out" 2
else
	note "one host CPU: the two-CPU cases need two"
fi

# ---- host reader ----------------------------------------------------------------
check_num "host reader: processor count" \
	"$(timeout 10 grep -c '^processor' "$MNT/proc/cpuinfo")" == "$NCPU"
# Frequencies move between two reads on real hardware.
check_eq "host reader: cpuinfo identical to /proc (but cpu MHz)" \
	"$(timeout 10 grep -v '^cpu MHz' "$MNT/proc/cpuinfo" | md5sum)" \
	"$(grep -v '^cpu MHz' /proc/cpuinfo | md5sum)"
for f in online possible present; do
	check_eq "host reader: cpu/$f" "$(timeout 10 cat "$MNT/sys/devices/system/cpu/$f")" \
		"$(cat /sys/devices/system/cpu/$f)"
done
check_eq "host reader: cpuN directories" \
	"$(timeout 10 ls "$MNT/sys/devices/system/cpu" | grep -E '^cpu[0-9]+$' | sort -V | tr '\n' ' ')" \
	"$(ls /sys/devices/system/cpu | grep -E '^cpu[0-9]+$' | sort -V | tr '\n' ' ')"
check_eq "host reader: cpuN lines of stat" \
	"$(timeout 10 grep -E '^cpu[0-9]+ ' "$MNT/proc/stat" | awk '{ print $1 }' | tr '\n' ' ')" \
	"$(grep -E '^cpu[0-9]+ ' /proc/stat | awk '{ print $1 }' | tr '\n' ' ')"
