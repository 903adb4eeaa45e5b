#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# proc/meminfo and proc/swaps: a container sees its memory limit (the smallest
# on its cgroup path), free(1) agrees, swaps agrees with meminfo, -u zeroes
# swap, and a reader on the host sees the host's file.
source "$(dirname "$0")/../lib/lib.sh"
t_init

LIMIT=$((256 * 1024 * 1024))
# v2 charges a page in the swap cache to memory and to swap at once, and with
# slow swap I/O (the VM suite) much of what went out is still cached: pushing
# 64M out was seen to fill a 192M swap limit (130M of it swap cache) and end
# in the OOM killer. The limit leaves five times the 64M, below the host's
# temporary 512M swap so that the limit, not the host, sets SwapTotal.
SWAP=$((320 * 1024 * 1024))
READ_ALL='echo "@@ meminfo"; cat /proc/meminfo; echo "@@ free"; free -b; echo "@@ swaps"; cat /proc/swaps'

host_mi=$(cat /proc/meminfo)
host_swap_kb=$(meminfo_kb "$host_mi" SwapTotal)

bfs_start
MNT=$BFS_MNT
bfs_start -u
MNT_NOSWAP=$BFS_MNT

cg_new m
cg_set m mem "$LIMIT" || die "cannot set a memory limit"
have_swap=1
cg_set m swap "$SWAP" || have_swap=0
cg_set m pids 64 || note "no pids controller"

out=$(ct_run "$MNT" m bash -c "$READ_ALL") || die "container run failed"
mi=$(section "$out" meminfo)

# ---- totals ---------------------------------------------------------------
check_num "MemTotal kB in container equals the 256M limit" \
	"$(meminfo_kb "$mi" MemTotal)" == $((LIMIT / 1024))
free_total=$(section "$out" free | awk '$1 == "Mem:" { print $2 }')
check_num "free -b total equals the limit" "$free_total" == "$LIMIT"
for k in MemFree MemAvailable Cached Active Inactive Shmem Slab; do
	check_num "$k <= MemTotal" "$(meminfo_kb "$mi" $k)" "<=" "$(meminfo_kb "$mi" MemTotal)"
done
check_num "MemFree > 0 in an almost idle container" "$(meminfo_kb "$mi" MemFree)" ">" 0
check_num "MemAvailable >= MemFree" "$(meminfo_kb "$mi" MemAvailable)" ">=" \
	"$(meminfo_kb "$mi" MemFree)"

# Every line the host has, in the same order, with the same unit.
check_eq "meminfo keys and order match the host's" \
	"$(awk '{ print $1, $3 }' <<<"$mi" | tr '\n' ' ')" \
	"$(awk '{ print $1, $3 }' <<<"$host_mi" | tr '\n' ' ')"
bad=$(grep -Ev '^[A-Za-z0-9_()]+: +[0-9]+( kB)?$' <<<"$mi" | head -n1)
check_eq "every meminfo line is 'Key:   value[ kB]'" "$bad" ""
# The kernel right-aligns values of up to 8 digits in one column.
col='length($2) <= 8 { print index($0, $2) + length($2) }'
check_eq "values line up in the host's column" "$(awk "$col" <<<"$mi" | sort -u | tr '\n' ' ')" \
	"$(awk "$col" <<<"$host_mi" | sort -u | tr '\n' ' ')"

# ---- swap -------------------------------------------------------------------
swap_total=$(meminfo_kb "$mi" SwapTotal)
swap_free=$(meminfo_kb "$mi" SwapFree)
check_num "SwapFree <= SwapTotal" "$swap_free" "<=" "$swap_total"
check_num "SwapTotal never exceeds the host's" "$swap_total" "<=" "$host_swap_kb"
if [ "$have_swap" -eq 1 ]; then
	want=$((SWAP / 1024))
	[ "$host_swap_kb" -ge "$want" ] || want=$host_swap_kb
	check_num "SwapTotal is the swap limit, capped at the host's" "$swap_total" == "$want"
fi
sw=$(section "$out" swaps)
check_eq "swaps header is the kernel's" "$(head -n1 <<<"$sw" | awk '{ print $1, $2, $3, $4, $5 }')" \
	"Filename Type Size Used Priority"
check_num "swaps size sum equals SwapTotal" \
	"$(tail -n +2 <<<"$sw" | awk '{ s += $3 } END { print s + 0 }')" == "$swap_total"
check_num "swaps used sum equals SwapTotal - SwapFree" \
	"$(tail -n +2 <<<"$sw" | awk '{ s += $4 } END { print s + 0 }')" == $((swap_total - swap_free))
check_num "swaps has at most one line" "$(tail -n +2 <<<"$sw" | wc -l)" "<=" 1

# ---- swap in use -------------------------------------------------------------
# A host without swap caps every container's SwapTotal at 0, which hides the
# swap limit and usage: give the host a temporary swap file, then make the
# container push 64M past its memory limit.
try_swap() {
	local sf=$T_TMP/swapfile
	[ "$have_swap" -eq 1 ] && [ "$host_swap_kb" -eq 0 ] || return 1
	command -v mkswap >/dev/null && command -v swapon >/dev/null || return 1
	dd if=/dev/zero of="$sf" bs=1M count=512 status=none && chmod 600 "$sf" &&
		mkswap -q "$sf" >/dev/null 2>&1 || return 1
	swapon "$sf" 2>/dev/null || return 1
	defer "swapoff '$sf'"
}
if try_swap; then
	out=$(ct_run "$MNT" m "$PYTHON" -c '
import os
hog = b"\x01" * (320 << 20)
os.system("echo @@ meminfo; cat /proc/meminfo; echo @@ free; free -b; sleep 0.2; "
          "echo @@ swaps; cat /proc/swaps; sleep 0.2; echo @@ meminfo2; cat /proc/meminfo")
') || die "container run failed"
	mi=$(section "$out" meminfo)
	st=$(meminfo_kb "$mi" SwapTotal)
	sf=$(meminfo_kb "$mi" SwapFree)
	check_num "host swap on: SwapTotal is the $((SWAP >> 20))M swap limit" "$st" == $((SWAP / 1024))
	check_num "64M over the limit: SwapFree < SwapTotal" "$sf" "<" "$st"
	check_num "64M over the limit: swap used >= 32M" $((st - sf)) ">=" $((32 * 1024))
	check_num "SwapFree >= 0 (no wrap)" "$sf" ">=" 0
	check_num "MemTotal still the limit" "$(meminfo_kb "$mi" MemTotal)" == $((LIMIT / 1024))
	check_num "MemFree <= MemTotal under pressure" "$(meminfo_kb "$mi" MemFree)" "<=" \
		"$(meminfo_kb "$mi" MemTotal)"
	sw=$(section "$out" swaps | tail -n +2)
	check_num "swaps: one line" "$(wc -l <<<"$sw")" == 1
	check_num "swaps size equals SwapTotal" "$(awk '{ print $3 }' <<<"$sw")" == "$st"
	# Swap use drifts while the kernel reclaims: swaps, read between two
	# meminfo reads, lies between them (1M slack).
	u2=$((st - $(meminfo_kb "$(section "$out" meminfo2)" SwapFree)))
	lo=$((st - sf < u2 ? st - sf : u2))
	hi=$((st - sf > u2 ? st - sf : u2))
	check_num "swaps used >= the lower meminfo swap use" "$(awk '{ print $4 }' <<<"$sw")" ">=" \
		$((lo - 1024))
	check_num "swaps used <= the higher meminfo swap use" "$(awk '{ print $4 }' <<<"$sw")" "<=" \
		$((hi + 1024))
	check_num "free -b swap total equals SwapTotal" \
		"$(section "$out" free | awk '$1 == "Swap:" { print $2 }')" == $((st * 1024))
	out=$(ct_run "$MNT_NOSWAP" m bash -c "$READ_ALL") || die "container run failed"
	check_num "host swap on, -u: SwapTotal is 0" \
		"$(meminfo_kb "$(section "$out" meminfo)" SwapTotal)" == 0
else
	note "no temporary host swap (swap accounting or swapon unavailable): usage not checked"
fi

# ---- nested limits: the smallest on the path wins ---------------------------
cg_new n/inner
cg_set n mem $((192 * 1024 * 1024))
cg_set n/inner mem $((1024 * 1024 * 1024))
out=$(ct_run "$MNT" n/inner bash -c "$READ_ALL") || die "container run failed"
check_num "nested: MemTotal is the parent's smaller limit" \
	"$(meminfo_kb "$(section "$out" meminfo)" MemTotal)" == $((192 * 1024))

# ---- no limit at all: the host's total --------------------------------------
cg_new free
out=$(ct_run "$MNT" free bash -c "$READ_ALL") || die "container run failed"
check_num "unlimited cgroup: MemTotal is the host's" \
	"$(meminfo_kb "$(section "$out" meminfo)" MemTotal)" == "$(meminfo_kb "$host_mi" MemTotal)"

# ---- -u ---------------------------------------------------------------------
out=$(ct_run "$MNT_NOSWAP" m bash -c "$READ_ALL") || die "container run failed"
mi=$(section "$out" meminfo)
check_num "-u: SwapTotal is 0" "$(meminfo_kb "$mi" SwapTotal)" == 0
check_num "-u: SwapFree is 0" "$(meminfo_kb "$mi" SwapFree)" == 0
check_num "-u: MemTotal still the limit" "$(meminfo_kb "$mi" MemTotal)" == $((LIMIT / 1024))
check_num "-u: swaps sizes sum to 0" \
	"$(section "$out" swaps | tail -n +2 | awk '{ s += $3 } END { print s + 0 }')" == 0
check_num "-u: free -b swap total 0" \
	"$(section "$out" free | awk '$1 == "Swap:" { print $2 }')" == 0

# ---- host reader --------------------------------------------------------------
hv=$(timeout 10 cat "$MNT/proc/meminfo") || die "host read of meminfo failed"
hp=$(cat /proc/meminfo)
for k in MemTotal SwapTotal HugePages_Total Hugepagesize; do
	check_num "host reader: $k identical to /proc" "$(meminfo_kb "$hv" $k)" == \
		"$(meminfo_kb "$hp" $k)"
done
check_eq "host reader: same keys as /proc" "$(awk '{ print $1 }' <<<"$hv" | tr '\n' ' ')" \
	"$(awk '{ print $1 }' <<<"$hp" | tr '\n' ' ')"
check_eq "host reader: swaps header and devices as /proc" \
	"$(timeout 10 cat "$MNT/proc/swaps" | awk '{ print $1 }' | tr '\n' ' ')" \
	"$(awk '{ print $1 }' /proc/swaps | tr '\n' ' ')"
