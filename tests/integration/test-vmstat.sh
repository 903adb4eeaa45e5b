#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# proc/vmstat: pgfault grows in the container that faults 64 MiB of fresh
# memory and not in another one; the container's lines agree with its
# cgroup's own memory.stat read around them; every line of the host's file
# is there, in order; vmstat(8) inside reads it and prints the container's
# memory. A reader on the host gets the host's file.
source "$(dirname "$0")/../lib/lib.sh"
t_init

LIMIT=$((256 * 1024 * 1024))
FAULT_MB=64
PAGE=$(getconf PAGESIZE)

# No render cache: each read must be the cgroup's counters at that moment.
bfs_start --cache-ms 0
MNT=$BFS_MNT

cg_new a
cg_new b
cg_set a mem "$LIMIT" || die "cannot set a memory limit"
cg_set b mem "$LIMIT" || die "cannot set a memory limit"
DIR_A=$(cg_ctrl_dir memory a) || die "no memory controller"
DIR_B=$(cg_ctrl_dir memory b) || die "no memory controller"
# v1 counts the subtree in total_*, v2 in the bare key.
KEY=pgfault
grep -q '^total_pgfault ' "$DIR_A/memory.stat" && KEY=total_pgfault
vm() { awk -v k="$2" '$1 == k { print $2 }' <<<"$1"; }

# The cgroup's counter, our line, the counter again: the line lies between.
# shellcheck disable=SC2016
BRACKET='echo "@@ $1"; awk -v k="$KEY" '"'"'$1 == k { print "stat", $2 }'"'"' "$DIR/memory.stat"
	awk '"'"'$1 == "pgfault" { print "vmstat", $2 }'"'"' /proc/vmstat
	awk -v k="$KEY" '"'"'$1 == k { print "stat", $2 }'"'"' "$DIR/memory.stat"'
export KEY

# ---- b reads, waits while a faults, reads again --------------------------------
# b blocks on a fifo: waiting forks nothing, so its own faults stay few.
GO=$T_TMP/a-done
mkfifo "$GO"
(DIR=$DIR_B ct_run "$MNT" b bash -c "
	bracket() { $BRACKET; }
	bracket before
	read -r -t 30 _ <'$GO'
	bracket after" >"$T_TMP/b.out" 2>&1) &
b_pid=$!
defer "kill $b_pid 2>/dev/null"
sleep 1

# Transparent huge pages (THP "always", as in the VM's kernel) fault 2 MiB at
# once: 512 pages per fault. The cgroup's own thp_fault_alloc (v2), or else
# the host's (v1 has none per cgroup; others' only lower the bound), says how
# many such faults there were.
thp() { awk '$1 == "thp_fault_alloc" { print $2; f = 1 } END { if (!f) print 0 }' "$1"; }
THP_FILE=$DIR_A/memory.stat
grep -q '^thp_fault_alloc ' "$THP_FILE" || THP_FILE=/proc/vmstat
thp1=$(thp "$THP_FILE")
out=$(DIR=$DIR_A ct_run "$MNT" a bash -c "
	bracket() { $BRACKET; }
	echo '@@ file'; cat /proc/vmstat
	bracket before
	dd if=/dev/zero of=/dev/null bs=${FAULT_MB}M count=1 2>/dev/null
	bracket after
	if command -v vmstat >/dev/null; then
		echo '@@ vmstat'; vmstat 1 2
		echo '@@ vmstat-s'; vmstat -s
	fi") || die "container a failed"
timeout 30 bash -c 'echo go >"$1"' _ "$GO" || die "container b is not waiting"
wait "$b_pid" || die "container b failed"
out_b=$(cat "$T_TMP/b.out")

# check_bracket WHO TEXT SECTION: stat <= vmstat <= stat; echoes vmstat's value.
check_bracket() {
	local s1 v s2
	read -r s1 v s2 <<<"$(section "$2" "$3" | awk '{ print $2 }' | tr '\n' ' ')"
	check_num "$1 $3: pgfault >= memory.stat's $KEY read before it" "$v" ">=" "$s1"
	check_num "$1 $3: pgfault <= memory.stat's $KEY read after it" "$v" "<=" "$s2"
	BR=$v
}
check_bracket a "$out" before
a1=$BR
check_bracket a "$out" after
a2=$BR
check_bracket b "$out_b" before
b1=$BR
check_bracket b "$out_b" after
b2=$BR

thp_n=$(($(thp "$THP_FILE") - thp1))
pages=$((FAULT_MB * 1024 * 1024 / PAGE))
# Each huge-page fault stood for 512 small ones.
faults=$((pages - 511 * thp_n))
[ "$faults" -ge 1 ] || faults=1
note "huge-page faults meanwhile ($THP_FILE): $thp_n"
check_num "a: pgfault grew by the faults of the $pages pages it touched, at least" \
	$((a2 - a1)) ">=" "$faults"
check_num "b: pgfault grew by far less meanwhile" $((b2 - b1)) "<" $((pages / 4))
host_pf=$(awk '$1 == "pgfault" { print $2 }' /proc/vmstat)
check_num "a's pgfault is below the host's" "$a2" "<" "$host_pf"

# ---- the file's shape and the lines mapped from memory ------------------------
file=$(section "$out" file)
host=$(cat /proc/vmstat)
check_eq "every host line, in the host's order" "$(awk '{ print $1 }' <<<"$file" | tr '\n' ' ')" \
	"$(awk '{ print $1 }' <<<"$host" | tr '\n' ' ')"
bad=$(grep -Ev '^[a-z0-9_]+ [0-9]+$' <<<"$file" | head -n1)
check_eq "every line is 'name value'" "$bad" ""
free_pages=$(vm "$file" nr_free_pages)
check_num "nr_free_pages fits in the limit" $((free_pages * PAGE)) "<=" "$LIMIT"
check_num "nr_free_pages > 0" "$free_pages" ">" 0
if [ -e "$DIR_A/memory.oom_control" ]; then
	oom=$(awk '$1 == "oom_kill" { print $2 }' "$DIR_A/memory.oom_control")
else
	oom=$(awk '$1 == "oom_kill" { print $2 }' "$DIR_A/memory.events")
fi
check_eq "oom_kill is the cgroup's" "$(vm "$file" oom_kill)" "$oom"
# Global-only lines keep the host's value (pgalloc_*, numa_*: no cgroup counts them).
check_num "pgfree is the host's (> the container's pgfault)" "$(vm "$file" pgfree)" ">" "$a2"

# ---- vmstat(8) inside --------------------------------------------------------
if ! command -v vmstat >/dev/null; then
	note "no vmstat (procps): vmstat(8) is not run"
else
	vs=$(section "$out" vmstat)
	check_eq "vmstat: its column header" \
		"$(sed -n 2p <<<"$vs" | awk '{ print $1, $4, $13, $14 }')" "r free us sy"
	row=$(tail -n1 <<<"$vs")
	check_eq "vmstat: a row of 17 numbers" "$(awk '{
		for (i = 1; i <= NF; i++) if ($i !~ /^[0-9]+$/) bad = 1
		print (NF == 17 && !bad) ? "ok" : $0 }' <<<"$row")" ok
	check_num "vmstat: free kB within the limit" "$(awk '{ print $4 }' <<<"$row")" "<=" \
		$((LIMIT / 1024))
	check_num "vmstat -s: total memory is the limit" \
		"$(section "$out" vmstat-s | awk '/K total memory/ { print $1 }')" == $((LIMIT / 1024))
fi

# ---- the host reader -----------------------------------------------------------
h1=$(awk '$1 == "pgfault" { print $2 }' /proc/vmstat)
hb=$(timeout 10 awk '$1 == "pgfault" { print $2 }' "$MNT/proc/vmstat")
h2=$(awk '$1 == "pgfault" { print $2 }' /proc/vmstat)
check_num "host reader: the host's pgfault (>= before)" "$hb" ">=" "$h1"
check_num "host reader: the host's pgfault (<= after)" "$hb" "<=" "$h2"
