#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# proc/uptime: time since the init of the reader's pid namespace started, idle
# bounded by the visible CPUs; the host reader sees the host's uptime.
source "$(dirname "$0")/../lib/lib.sh"
t_init

NCPU=$(host_cpus)
bfs_start
MNT=$BFS_MNT

cg_new u
cg_set u cpus 0 || die "no cpuset controller"

out=$(ct_run "$MNT" u bash -c 'echo "@@ uptime"; cat /proc/uptime; echo "@@ cmd"; uptime') ||
	die "container run failed"
read -r up idle <<<"$(section "$out" uptime)"
check_num "fresh namespace: uptime under $((3 * T_SLOW)) s" "$up" "<" $((3 * T_SLOW))
check_num "fresh namespace: uptime >= 0" "$up" ">=" 0
check_num "fresh namespace: idle >= 0" "$idle" ">=" 0
check_num "fresh namespace: idle <= uptime x 1 visible CPU" "$idle" "<=" \
	"$(awk -v u="$up" 'BEGIN { print u + 0.02 }')"
check_cmd "uptime(1) says up 0 min" grep -q 'up 0 min' <<<"$(section "$out" cmd)"
check_cmd "uptime is two decimals like the kernel's" \
	grep -Eq '^[0-9]+\.[0-9]{2} [0-9]+\.[0-9]{2}$' <<<"$(section "$out" uptime)"

# The reader starts 2 s after init: uptime counts from init, not the reader.
out=$(ct_run "$MNT" u bash -c 'sleep 2; cat /proc/uptime') || die "container run failed"
read -r up idle <<<"$out"
check_num "reader 2 s after init: uptime >= 1.95" "$up" ">=" 1.95
check_num "reader 2 s after init: uptime < $((5 * T_SLOW))" "$up" "<" $((5 * T_SLOW))
check_num "reader 2 s after init: idle <= uptime" "$idle" "<=" \
	"$(awk -v u="$up" 'BEGIN { print u + 0.02 }')"

# ---- host reader ------------------------------------------------------------
read -r p1 pidle1 </proc/uptime
read -r b bidle <<<"$(timeout 10 cat "$MNT/proc/uptime")"
read -r p2 pidle2 </proc/uptime
check_num "host reader: uptime >= /proc/uptime read before" "$b" ">=" "$p1"
check_num "host reader: uptime <= /proc/uptime read after" "$b" "<=" "$p2"
check_num "host reader: idle >= /proc idle read before" "$bidle" ">=" "$pidle1"
check_num "host reader: idle <= /proc idle read after" "$bidle" "<=" "$pidle2"
check_num "host reader: idle <= uptime x $NCPU CPUs" "$bidle" "<=" \
	"$(awk -v u="$b" -v n="$NCPU" 'BEGIN { print u * n + 0.02 }')"
