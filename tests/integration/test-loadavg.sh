#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# proc/loadavg: with -l, a busy loop inside the container raises the
# container's own load within a few 5 s ticks, and the thread counts and last
# pid are the container's; without -l, and for the host reader, it is the
# host's file.
source "$(dirname "$0")/lib.sh"
t_init

LAST=$(($(grep '^processor' /proc/cpuinfo | tail -n1 | awk '{ print $3 }')))

bfs_start -l
MNT_L=$BFS_MNT
bfs_start
MNT=$BFS_MNT

cg_new l
cg_set l cpus "$LAST" || die "no cpuset controller"

# The first read makes burrowfs sample the container (as lxcfs, it tracks only
# containers that read loadavg); then two full ticks and then some: 12 s.
out=$(CT_TIMEOUT=40 ct_run "$MNT_L" l bash -c '
	echo "@@ first"; cat /proc/loadavg
	sh -c "while :; do :; done" &
	sleep 12
	echo "@@ loadavg"; cat /proc/loadavg
	echo "@@ threads"; ls -d /proc/[0-9]*/task/[0-9]* | wc -l
	kill $!') || die "container run failed"
read -r f1 f5 f15 _ <<<"$(section "$out" first)"
check_eq "a new container starts from no load" "$f1 $f5 $f15" "0.00 0.00 0.00"
read -r l1 l5 l15 rt last <<<"$(section "$out" loadavg)"
running=${rt%/*}
total=${rt#*/}
threads=$(section "$out" threads)
read -r _ _ _ host_rt _ </proc/loadavg

# From 0 with one task: 1 - e^(-5k/60) after k ticks; 12 s hold 2 or 3 ticks,
# the first of which may come before the loop starts: 0.08 to 0.22.
check_num "busy loop: 1-minute load >= 0.07 after 12 s" "$l1" ">=" 0.07
check_num "busy loop: 1-minute load <= 0.30 after 12 s" "$l1" "<=" 0.30
check_num "5-minute load > 0" "$l5" ">" 0
check_num "a rising load: 1-minute >= 5-minute" "$l1" ">=" "$l5"
check_num "a rising load: 5-minute >= 15-minute" "$l5" ">=" "$l15"
check_num "running tasks >= 1 (the loop)" "$running" ">=" 1
check_num "running tasks <= 3" "$running" "<=" 3
check_num "total threads are the container's (about $threads)" "$total" "<=" $((threads + 3))
check_num "total threads >= 2" "$total" ">=" 2
check_num "total threads below the host's (${host_rt#*/})" "$total" "<" "${host_rt#*/}"
check_num "last pid is in the container's namespace" "$last" "<=" 100
check_num "last pid >= 2" "$last" ">=" 2

# in_bounds LABEL VALUE BEFORE AFTER: the host's file, read between two reads
# of /proc/loadavg (a tick may fall in between).
in_bounds() {
	local lo hi
	lo=$(awk -v a="$3" -v b="$4" 'BEGIN { print (a < b ? a : b) }')
	hi=$(awk -v a="$3" -v b="$4" 'BEGIN { print (a > b ? a : b) }')
	check_num "$1 >= host's lower read" "$2" ">=" "$lo"
	check_num "$1 <= host's higher read" "$2" "<=" "$hi"
}

# ---- without -l: the host's file ------------------------------------------------
read -r h1 _ </proc/loadavg
out=$(ct_run "$MNT" l cat /proc/loadavg) || die "container run failed"
read -r h2 _ </proc/loadavg
read -r c1 _ _ crt _ <<<"$out"
in_bounds "no -l, container: 1-minute load" "$c1" "$h1" "$h2"
check_num "no -l, container: the host's thread count" "${crt#*/}" ">" "$total"

# ---- host reader with -l ---------------------------------------------------------
read -r h1 _ _ _ _ </proc/loadavg
read -r b1 _ _ brt _ <<<"$(timeout 10 cat "$MNT_L/proc/loadavg")"
read -r h2 _ _ _ _ </proc/loadavg
in_bounds "-l, host reader: 1-minute load" "$b1" "$h1" "$h2"
check_num "-l, host reader: the host's thread count" "${brt#*/}" ">" "$total"
