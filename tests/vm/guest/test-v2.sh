#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Inside the VM, on pure cgroup v2, through the mount of burrowfs.service
# (started with --enable-cfs): each file follows the v2 file it comes from,
# compared with that file read just before and just after, from inside the
# container:
#   meminfo, swaps      memory.max, memory.current, memory.swap.max/current
#   stat user/system    cpu.stat user_usec/system_usec
#   cpuinfo, online,    cpuset.cpus.effective, and cpu.max (--enable-cfs)
#   nproc, getconf
#   diskstats           io.stat
#   pressure/io         io.pressure
source "$(dirname "$0")/../../lib/lib.sh"
t_init
[ -n "${BURROW_VM_GUEST:-}" ] || skip "runs inside the VM suite's guest"

MNT=${BURROWFS_MOUNT:-/var/lib/burrowfs}
timeout 5 test -e "$MNT/proc/meminfo" || die "burrowfs.service serves nothing on $MNT"
[ "$CT_TIMEOUT" -ge 90 ] || CT_TIMEOUT=90
TCK=$(getconf CLK_TCK)
NCPU=$(host_cpus)
LAST=$((NCPU - 1))
MIB=$((1024 * 1024))

# ---- the layout ------------------------------------------------------------------
check_eq "/sys/fs/cgroup is cgroup2" "$(stat -fc %T /sys/fs/cgroup)" cgroup2fs
check_num "no v1 hierarchy is mounted" "$(grep -c ' - cgroup ' /proc/self/mountinfo)" == 0
check_eq "the v2 hierarchy is /sys/fs/cgroup" "$CG_V2" /sys/fs/cgroup
for c in cpuset cpu io memory pids; do
	check_cmd "v2 root has the $c controller" cg_v2_has "$c"
done
check_num "two CPUs in the guest" "$NCPU" == 2

# cg DIR REL: the v2 directory of the test's cgroup REL.
cg() {
	echo "$CG_V2/$CG_BASE/$1"
}

# in_range DESC GOT A B [SLACK]: GOT between min(A,B) - SLACK and max(A,B) + SLACK.
in_range() {
	local lo hi s=${5:-0}
	lo=$(($3 < $4 ? $3 : $4))
	hi=$(($3 > $4 ? $3 : $4))
	check_num "$1 >= $((lo - s))" "$2" ">=" $((lo - s))
	check_num "$1 <= $((hi + s))" "$2" "<=" $((hi + s))
}

# ---- memory: meminfo and swaps follow memory.max and memory.swap.max ----------------
host_swap=$(meminfo_kb "$(cat /proc/meminfo)" SwapTotal)
if [ "$host_swap" -eq 0 ]; then
	sf=$T_TMP/swapfile
	dd if=/dev/zero of="$sf" bs=1M count=512 status=none && chmod 600 "$sf" &&
		mkswap -q "$sf" >/dev/null && swapon "$sf" || die "cannot give the guest swap"
	defer "swapoff '$sf'"
	host_swap=$(meminfo_kb "$(cat /proc/meminfo)" SwapTotal)
fi
note "guest swap: $host_swap kB"

cg_new mem
D=$(cg mem)
cg_set mem mem $((256 * MIB)) || die "cannot write memory.max"
# v2 charges a page in the swap cache to memory and to swap at once: under
# slow swap I/O much of what was swapped out is still cached (pushing 64M out
# was seen to use 192M of swap, 130M of it swap cache), so the swap limit
# gets five times the overflow, below the 512M of the guest's swap.
cg_set mem swap $((320 * MIB)) || die "cannot write memory.swap.max"

# shellcheck disable=SC2016
MEM_VIEW='d=$1; sleep 0.2
echo "@@ cur1"; cat $d/memory.current; echo "@@ sw1"; cat $d/memory.swap.current
echo "@@ meminfo"; cat /proc/meminfo; echo "@@ swaps"; cat /proc/swaps
echo "@@ cur2"; cat $d/memory.current; echo "@@ sw2"; cat $d/memory.swap.current
echo "@@ free"; free -b'

# check_mem LABEL OUTPUT: the figures against the cgroup's files.
check_mem() {
	local label=$1 out=$2 mi max smax total st sfree sw
	mi=$(section "$out" meminfo)
	max=$(cat "$D/memory.max")
	smax=$(cat "$D/memory.swap.max")
	total=$(meminfo_kb "$mi" MemTotal)
	check_num "$label: MemTotal == memory.max ($max) / 1024" "$total" == $((max / 1024))
	check_num "$label: free -b total == memory.max" \
		"$(section "$out" free | awk '$1 == "Mem:" { print $2 }')" == "$max"
	# MemFree is memory.max - memory.current at the render, which lies
	# between the two reads; 256k for the reads' own charges.
	in_range "$label: MemFree kB vs memory.max - memory.current" "$(meminfo_kb "$mi" MemFree)" \
		$(((max - $(section "$out" cur1)) / 1024)) $(((max - $(section "$out" cur2)) / 1024)) 256
	st=$(meminfo_kb "$mi" SwapTotal)
	check_num "$label: SwapTotal == min(memory.swap.max, host swap)" "$st" == \
		$((smax / 1024 < host_swap ? smax / 1024 : host_swap))
	sfree=$(meminfo_kb "$mi" SwapFree)
	in_range "$label: SwapFree kB vs SwapTotal - memory.swap.current" "$sfree" \
		$((st - $(section "$out" sw1) / 1024)) $((st - $(section "$out" sw2) / 1024)) 256
	sw=$(section "$out" swaps | tail -n +2)
	check_num "$label: swaps has one line" "$(wc -l <<<"$sw")" == 1
	check_num "$label: swaps Size == SwapTotal" "$(awk '{ print $3 }' <<<"$sw")" == "$st"
	in_range "$label: swaps Used vs memory.swap.current" "$(awk '{ print $4 }' <<<"$sw")" \
		$(($(section "$out" sw1) / 1024)) $(($(section "$out" sw2) / 1024)) 1024
}

out=$(ct_run "$MNT" mem bash -c "$MEM_VIEW" view "$D") || die "container run failed"
check_mem "256M/320M, idle" "$out"
check_num "idle: no swap used" "$(section "$out" sw2)" == 0

# 64M beyond memory.max: the kernel moves it to swap, which meminfo and swaps show.
out=$(ct_run "$MNT" mem "$PYTHON" -c '
import subprocess, sys
hog = bytearray(b"\x01") * (320 << 20)
subprocess.run(["bash", "-c", sys.argv[1], "view", sys.argv[2]])
' "$MEM_VIEW" "$D") || die "container run failed"
check_mem "256M/320M, 320M in use" "$out"
check_num "320M in use: memory.swap.current >= 32M" "$(section "$out" sw1)" ">=" $((32 * MIB))
check_num "320M in use: SwapFree < SwapTotal" \
	"$(meminfo_kb "$(section "$out" meminfo)" SwapFree)" "<" \
	"$(meminfo_kb "$(section "$out" meminfo)" SwapTotal)"

# Limits changed under a live cgroup are followed.
echo $((300 * MIB)) >"$D/memory.max"
echo $((64 * MIB)) >"$D/memory.swap.max"
out=$(ct_run "$MNT" mem bash -c "$MEM_VIEW" view "$D") || die "container run failed"
check_mem "changed to 300M/64M" "$out"
check_num "changed: MemTotal is 300M" "$(meminfo_kb "$(section "$out" meminfo)" MemTotal)" == \
	$((300 * 1024))
check_num "changed: SwapTotal is 64M" "$(meminfo_kb "$(section "$out" meminfo)" SwapTotal)" == \
	$((64 * 1024))

# ---- CPU time: stat user/system follow cpu.stat -------------------------------------
cg_new st
cg_set st cpus "$LAST" || die "cannot write cpuset.cpus"
# A user-space burn, then a system-time one (reads of /dev/zero are all kernel).
# shellcheck disable=SC2016
out=$(ct_run "$MNT" st bash -c '
	d=$1
	timeout 1.5 bash -c "while :; do :; done"
	timeout 1.5 dd if=/dev/zero of=/dev/null bs=1M status=none
	sleep 0.3
	echo "@@ cs1"; cat $d/cpu.stat
	echo "@@ stat"; cat /proc/stat
	echo "@@ cs2"; cat $d/cpu.stat' view "$(cg st)") || die "container run failed"
usec() {
	awk -v k="$2" '$1 == k { print $2 }' <<<"$1"
}
stat_f() {
	awk -v l="$2" -v f="$3" '$1 == l { print $f }' <<<"$1"
}
s=$(section "$out" stat)
cs1=$(section "$out" cs1)
cs2=$(section "$out" cs2)
check_eq "one CPU visible: lines cpu, cpu0" "$(grep '^cpu' <<<"$s" | awk '{ print $1 }' | tr '\n' ' ')" \
	"cpu cpu0 "
in_range "stat cpu user ticks vs cpu.stat user_usec" "$(stat_f "$s" cpu 2)" \
	$(($(usec "$cs1" user_usec) * TCK / 1000000)) $(($(usec "$cs2" user_usec) * TCK / 1000000))
in_range "stat cpu system ticks vs cpu.stat system_usec" "$(stat_f "$s" cpu 4)" \
	$(($(usec "$cs1" system_usec) * TCK / 1000000)) $(($(usec "$cs2" system_usec) * TCK / 1000000))
check_eq "cpu0 line == cpu line (one CPU)" "$(stat_f "$s" cpu0 2) $(stat_f "$s" cpu0 4)" \
	"$(stat_f "$s" cpu 2) $(stat_f "$s" cpu 4)"
check_num "the user burn shows: user >= 0.5 s" "$(stat_f "$s" cpu 2)" ">=" $((TCK / 2))
check_num "the /dev/zero burn shows: system >= 0.5 s" "$(stat_f "$s" cpu 4)" ">=" $((TCK / 2))
check_num "nice, iowait, irq, softirq, steal are 0" \
	"$(awk '$1 == "cpu" { print $3 + $6 + $7 + $8 + $9 }' <<<"$s")" == 0

# ---- CPUs: cpuinfo, online, nproc follow cpuset.cpus.effective and cpu.max -----------
# shellcheck disable=SC2016
CPU_VIEW='d=$1
echo "@@ eff"; cat $d/cpuset.cpus.effective
echo "@@ max"; cat $d/cpu.max
echo "@@ processors"; grep -c "^processor" /proc/cpuinfo
echo "@@ online"; cat /sys/devices/system/cpu/online
echo "@@ nproc"; nproc
echo "@@ onln"; getconf _NPROCESSORS_ONLN
echo "@@ lscpu"; lscpu -p=CPU | grep -vc "^#"
echo "@@ statcpus"; grep -cE "^cpu[0-9]+ " /proc/stat'

# cpus_in LIST: how many CPUs a cpuset list names.
cpus_in() {
	awk -v l="$1" 'BEGIN { n = split(l, r, ","); c = 0
		for (i = 1; i <= n; i++) { if (split(r[i], ab, "-") == 2) c += ab[2] - ab[1] + 1; else c++ }
		print c }'
}

# check_cpus LABEL REL WANT: the container in REL sees WANT CPUs, the count of
# its cpuset.cpus.effective cut by ceil(quota/period) of every cpu.max above.
check_cpus() {
	local label=$1 rel=$2 want=$3 out eff
	out=$(ct_run "$MNT" "$rel" bash -c "$CPU_VIEW" view "$(cg "$rel")") ||
		die "container run failed"
	eff=$(section "$out" eff)
	note "$label: cpuset.cpus.effective '$eff', cpu.max '$(section "$out" max)'"
	check_num "$label: nproc == CPUs in cpuset.cpus.effective" "$(section "$out" nproc)" == \
		"$(cpus_in "$eff")"
	check_num "$label: cpuinfo processors" "$(section "$out" processors)" == "$want"
	check_eq "$label: cpu/online" "$(section "$out" online)" "$([ "$want" -eq 1 ] && echo 0 ||
		echo "0-$((want - 1))")"
	check_num "$label: getconf _NPROCESSORS_ONLN" "$(section "$out" onln)" == "$want"
	check_num "$label: lscpu CPUs" "$(section "$out" lscpu)" == "$want"
	check_num "$label: cpuN lines of stat" "$(section "$out" statcpus)" == "$want"
}

cg_new eff/in
cg_set eff cpus "$LAST" || die "cannot write cpuset.cpus"
cg_set eff/in cpus 0-$LAST
check_eq "a child asking for 0-$LAST under a parent of $LAST gets $LAST" \
	"$(cat "$(cg eff/in)/cpuset.cpus.effective")" "$LAST"
check_cpus "cpuset.cpus 0-$LAST under $LAST" eff/in 1

cg_new q
cg_set q cpus 0-$LAST
check_cpus "cpuset 0-$LAST, cpu.max max" q "$NCPU"
cg_set q cfs 50000 100000 || die "cannot write cpu.max"
check_cpus "cpuset 0-$LAST, cpu.max 50000 100000" q 1
cg_set q cfs 150000 100000
check_cpus "cpuset 0-$LAST, cpu.max 150000 100000" q 2
cg_new qp/in
cg_set qp/in cpus 0-$LAST
cg_set qp cfs 20000 100000
check_cpus "parent cpu.max 20000 100000, child max" qp/in 1

# ---- I/O: diskstats follows io.stat, pressure/io follows io.pressure -----------------
img=$T_TMP/disk.img
truncate -s 64M "$img"
LOOP=$(losetup --find --show "$img") || die "no loop device"
defer "losetup -d '$LOOP'"
MAJMIN=$(lsblk -dno MAJ:MIN "$LOOP" | tr -d ' ')
NAME=$(basename "$LOOP")
cg_new io
# 1 MiB/s of writes: 2 MiB take about 2 s, stalled in io_schedule, which PSI
# counts as the cgroup's io pressure.
cg_set io wbps "$MAJMIN" $((1 * MIB)) || die "cannot write io.max"
# shellcheck disable=SC2016
out=$(ct_run "$MNT" io bash -c '
	d=$1 dev=$2
	echo "@@ p0"; cat $d/io.pressure
	dd if=/dev/zero of=$dev bs=64k count=32 oflag=direct status=none
	dd if=$dev of=/dev/null bs=64k count=8 iflag=direct status=none
	sleep 0.3
	echo "@@ io1"; cat $d/io.stat; echo "@@ p1"; cat $d/io.pressure
	echo "@@ diskstats"; cat /proc/diskstats; echo "@@ pressure"; cat /proc/pressure/io
	echo "@@ io2"; cat $d/io.stat; echo "@@ p2"; cat $d/io.pressure' view "$(cg io)" "$LOOP") ||
	die "container run failed"
io1=$(section "$out" io1)
io2=$(section "$out" io2)
ds=$(section "$out" diskstats)
# iostat TEXT MAJMIN KEY
iostat() {
	awk -v d="$2" -v k="$3" '$1 == d { for (i = 2; i <= NF; i++) { split($i, kv, "=")
		if (kv[1] == k) print kv[2] } }' <<<"$1"
}
# dcol MAJMIN N: field N of that device's diskstats line.
dcol() {
	awk -v d="$1" -v c="$2" '$1 ":" $2 == d { print $c }' <<<"$ds"
}
check_num "io.stat: $NAME wrote 2 MiB" "$(iostat "$io2" "$MAJMIN" wbytes)" == $((2 * MIB))
check_num "io.stat: $NAME read 512 KiB" "$(iostat "$io2" "$MAJMIN" rbytes)" == $((512 * 1024))
for dev in $(awk '{ print $1 }' <<<"$io2"); do
	if [ "$(grep "^$dev " <<<"$io1")" != "$(grep "^$dev " <<<"$io2")" ]; then
		note "io.stat of $dev moved between the reads: not compared"
		continue
	fi
	check_num "diskstats $dev: reads completed == io.stat rios" "$(dcol "$dev" 4)" == \
		"$(iostat "$io2" "$dev" rios)"
	check_num "diskstats $dev: sectors read == io.stat rbytes / 512" "$(dcol "$dev" 6)" == \
		$(($(iostat "$io2" "$dev" rbytes) / 512))
	check_num "diskstats $dev: writes completed == io.stat wios" "$(dcol "$dev" 8)" == \
		"$(iostat "$io2" "$dev" wios)"
	check_num "diskstats $dev: sectors written == io.stat wbytes / 512" "$(dcol "$dev" 10)" == \
		$(($(iostat "$io2" "$dev" wbytes) / 512))
	check_num "diskstats $dev: discards == io.stat dios" "$(dcol "$dev" 15)" == \
		"$(iostat "$io2" "$dev" dios)"
done
# Lines of io.stat may be all zeroes; diskstats has the devices with some I/O.
check_eq "diskstats has the devices of io.stat with some I/O" \
	"$(awk '{ print $1 ":" $2 }' <<<"$ds" | sort | tr '\n' ' ')" \
	"$(awk '{ for (i = 2; i <= NF; i++) if ($i !~ /=0$/) { print $1; next } }' <<<"$io2" |
		sort | tr '\n' ' ')"

# total TEXT KIND: total= of the "some" or "full" line.
total() {
	awk -v k="$2" '$1 == k { sub("total=", "", $5); print $5 }' <<<"$1"
}
p=$(section "$out" pressure)
for kind in some full; do
	in_range "pressure/io $kind total vs io.pressure" "$(total "$p" $kind)" \
		"$(total "$(section "$out" p1)" $kind)" "$(total "$(section "$out" p2)" $kind)"
done
check_num "2 MiB at 1 MiB/s: io.pressure some grew >= 0.5 s" \
	$(($(total "$(section "$out" p1)" some) - $(total "$(section "$out" p0)" some))) ">=" 500000
check_num "pressure/io some total < the host's (the cgroup's own)" "$(total "$p" some)" "<" \
	"$(total "$(cat /proc/pressure/io)" some)"
check_eq "pressure/io in the kernel's format" "$(grep -Ev \
	'^(some|full) avg10=[0-9]+\.[0-9]{2} avg60=[0-9]+\.[0-9]{2} avg300=[0-9]+\.[0-9]{2} total=[0-9]+$' \
	<<<"$p")" ""
