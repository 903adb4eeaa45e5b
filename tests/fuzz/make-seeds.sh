#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/fuzz/make-seeds.sh [SAMPLES_DIR]: (re)writes tests/fuzz/corpus/, the
# seed corpus of every fuzz target, from real files: this machine's /proc
# and cgroup v1 files (a hybrid host), taken from a cgroup of the script's
# own with limits set and a little load run in it, and the pure cgroup v2
# host captured in SAMPLES_DIR (default: shared/samples/cgroup-v2-debian12-6.1
# beside the checkout). Needs root for the cgroup of its own; without root
# the v1 seeds come from the cgroups the script already sits in.
#
# A seed is the files a target reads joined with NUL bytes, in the order the
# target's header comment gives; "\x01" alone marks a file that is missing.
# The corpus is committed: CI has neither this machine nor the samples.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/corpus
S=${1:-$HERE/../../../shared/samples/cgroup-v2-debian12-6.1}
[ -d "$S" ] || S=/work/shared/samples/cgroup-v2-debian12-6.1
[ -d "$S" ] || {
	echo "make-seeds: no samples directory (give it as an argument)" >&2
	exit 1
}
V2=$S/sys/fs/cgroup

# seed FILE PART...: PART is @PATH (a file; missing: the absent marker),
# - (absent) or a printf %b string.
seed() {
	local out=$1 first=1 part
	shift
	mkdir -p "$(dirname "$out")"
	{
		for part in "$@"; do
			[ $first -eq 1 ] || printf '\0'
			first=0
			case $part in
			@*)
				if [ -r "${part#@}" ] && cat "${part#@}" 2>/dev/null; then
					:
				else
					printf '\x01'
				fi
				;;
			-) printf '\x01' ;;
			*) printf '%b' "$part" ;;
			esac
		done
	} >"$out"
}

# ---- v1 cgroups of our own, with limits and some usage ----------------------
v1_mount() {
	awk -v c="$1" '$0 ~ / - cgroup / { n = split($NF, o, ","); for (i = 1; i <= n; i++)
		if (o[i] == c) { print $5; exit } }' /proc/self/mountinfo
}
MEM=$(v1_mount memory)
CPU=$(v1_mount cpu)
ACCT=$(v1_mount cpuacct)
CPUSET=$(v1_mount cpuset)
BLKIO=$(v1_mount blkio)
PIDS=$(v1_mount pids)
NAME=burrow-test-seeds-$$
MADE=()
cleanup() {
	local d
	for d in "${MADE[@]}"; do
		rmdir "$d/a/b" "$d/a" "$d" 2>/dev/null || true
	done
}
trap cleanup EXIT
if [ "$(id -u)" -eq 0 ]; then
	for root in "$MEM" "$CPU" "$ACCT" "$CPUSET" "$BLKIO" "$PIDS"; do
		if [ -z "$root" ] || [ ! -d "$root" ]; then
			continue
		fi
		mkdir -p "$root/$NAME/a/b"
		MADE+=("$root/$NAME")
		if [ -e "$root/cpuset.cpus" ]; then
			# clone_children may have copied the parent's CPUs: narrow the deepest first.
			for d in "$root/$NAME" "$root/$NAME/a" "$root/$NAME/a/b"; do
				cat "$root/cpuset.mems" >"$d/cpuset.mems"
			done
			for d in "$root/$NAME/a/b" "$root/$NAME/a" "$root/$NAME"; do
				echo 0 >"$d/cpuset.cpus"
			done
		fi
	done
	echo $((512 << 20)) >"$MEM/$NAME/a/memory.limit_in_bytes"
	echo $((256 << 20)) >"$MEM/$NAME/a/b/memory.limit_in_bytes"
	echo 100000 >"$CPU/$NAME/a/cpu.cfs_period_us"
	echo 50000 >"$CPU/$NAME/a/cpu.cfs_quota_us"
	# Some CPU time, memory and a block read charged to a/b.
	bash -c 'for d in "$@"; do echo $$ >"$d/cgroup.procs"; done
		head -c 20000000 /dev/urandom | md5sum >/dev/null
		dd if=/proc/self/exe of=/dev/null bs=64k iflag=direct status=none 2>/dev/null || true' \
		load "$MEM/$NAME/a/b" "$CPU/$NAME/a/b" "$ACCT/$NAME/a/b" "$CPUSET/$NAME/a/b" \
		"$BLKIO/$NAME/a/b" "$PIDS/$NAME/a/b"
	M=$MEM/$NAME
	C=$CPU/$NAME
	A=$ACCT/$NAME
	CS=$CPUSET/$NAME
	B=$BLKIO/$NAME
else
	M=$MEM$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
	C=$CPU
	A=$ACCT
	CS=$CPUSET
	B=$BLKIO
fi

rm -rf "$OUT"

# ---- cpuset: LIST \0 LIST \0 (visible count as the part's length) -----------
seed "$OUT/cpuset/online" @/sys/devices/system/cpu/online @/sys/devices/system/cpu/possible x
seed "$OUT/cpuset/v1-root" "@$CPUSET/cpuset.cpus" @/sys/devices/system/cpu/online x
seed "$OUT/cpuset/v1-effective" "@$CS/a/b/cpuset.effective_cpus" @/sys/devices/system/cpu/online
seed "$OUT/cpuset/v2-effective" "@$V2/sample/cpuset.cpus.effective" "@$S/sys/devices/system/cpu/online"
seed "$OUT/cpuset/list" '0-3,8,10-11\n' '1-9\n' 'xxx'
seed "$OUT/cpuset/empty" '' '0\n'
seed "$OUT/cpuset/max" '8191\n' '0-8191\n'

# ---- keyval: KEY \0 TEXT ------------------------------------------------------
seed "$OUT/keyval/memory.stat-v1" total_rss "@$M/a/b/memory.stat"
seed "$OUT/keyval/memory.stat-v2" file_mapped "@$V2/sample/child/memory.stat"
seed "$OUT/keyval/cpu.stat" system_usec "@$V2/sample/cpu.stat"
seed "$OUT/keyval/meminfo" MemAvailable "@/proc/meminfo"
seed "$OUT/keyval/status" PPid "@/proc/self/status"
seed "$OUT/keyval/unlimited-v1" 9223372036854771712 "@$MEM/memory.limit_in_bytes"
seed "$OUT/keyval/max" 18446744073709551615 'max\n'

# ---- mem: FLAGS \0 usage limit plimit rootlimit swusage swlimit pswlimit stat pusage host
# v1 (flags bit 0 clear), swap shown (bit 1).
seed "$OUT/mem/v1-hybrid" '\x02' "@$M/a/b/memory.usage_in_bytes" "@$M/a/b/memory.limit_in_bytes" \
	"@$M/a/memory.limit_in_bytes" "@$MEM/memory.limit_in_bytes" \
	"@$M/a/b/memory.memsw.usage_in_bytes" "@$M/a/b/memory.memsw.limit_in_bytes" \
	"@$M/a/memory.memsw.limit_in_bytes" "@$M/a/b/memory.stat" "@$M/a/memory.usage_in_bytes" \
	"@/proc/meminfo"
seed "$OUT/mem/v2-sample" '\x03' "@$V2/sample/child/memory.current" \
	"@$V2/sample/child/memory.max" "@$V2/sample/memory.max" - \
	"@$V2/sample/child/memory.swap.current" "@$V2/sample/child/memory.swap.max" \
	"@$V2/sample/memory.swap.max" "@$V2/sample/child/memory.stat" "@$V2/sample/memory.current" \
	"@$S/proc/meminfo"
seed "$OUT/mem/v2-noswap-u" '\x01' "@$V2/sample/child/memory.current" 'max\n' 'max\n' - - - - \
	"@$V2/sample/child/memory.stat" - "@$S/proc/meminfo"
seed "$OUT/mem/v2-root" '\x07' - - - - - - - - - "@$S/proc/meminfo"

# ---- io: FLAGS \0 files 1-6 \0 host diskstats ----------------------------------
seed "$OUT/io/v1-hybrid" '' "@$B/a/b/blkio.throttle.io_service_bytes_recursive" \
	"@$B/a/b/blkio.throttle.io_serviced_recursive" "@$B/a/b/blkio.throttle.io_service_bytes" \
	"@$B/a/b/blkio.throttle.io_serviced" "@$BLKIO/blkio.throttle.io_service_bytes" \
	"@$BLKIO/blkio.throttle.io_serviced" "@/proc/diskstats"
seed "$OUT/io/v1-root-files" '\x02' - - - - "@$BLKIO/blkio.throttle.io_service_bytes" \
	"@$BLKIO/blkio.throttle.io_serviced" "@/proc/diskstats"
seed "$OUT/io/v2-sample" '\x01' "@$V2/sample/child/io.stat" "@$V2/sample/io.stat" - - - - \
	"@$S/proc/diskstats"
seed "$OUT/io/v2-nearest" '\x03' - "@$V2/io.stat" - - - - "@$S/proc/diskstats"

# ---- cpu: FLAGS \0 online cpuset cpuset.cpus quota period pquota pperiod usage
#           percpu_user percpu_sys percpu uptime \0 cpuinfo \0 stat ----------------
seed "$OUT/cpu/v1-hybrid" '\x10\x06' "@/sys/devices/system/cpu/online" \
	"@$CS/a/b/cpuset.effective_cpus" "@$CS/a/b/cpuset.cpus" "@$C/a/b/cpu.cfs_quota_us" \
	"@$C/a/b/cpu.cfs_period_us" "@$C/a/cpu.cfs_quota_us" "@$C/a/cpu.cfs_period_us" \
	"@$A/a/b/cpuacct.usage_all" "@$A/a/b/cpuacct.usage_percpu_user" \
	"@$A/a/b/cpuacct.usage_percpu_sys" "@$A/a/b/cpuacct.usage_percpu" "@/proc/uptime" \
	"@/proc/cpuinfo" "@/proc/stat"
seed "$OUT/cpu/v1-cfs-old-kernel" '\x02\x02' "@/sys/devices/system/cpu/online" '' \
	"@$CPUSET/cpuset.cpus" "@$C/a/cpu.cfs_quota_us" "@$C/a/cpu.cfs_period_us" '-1\n' \
	'100000\n' - - - "@$A/a/b/cpuacct.usage_percpu" "@/proc/uptime" "@/proc/cpuinfo" \
	"@/proc/stat"
seed "$OUT/cpu/v2-sample" '\x03\x06' "@$S/sys/devices/system/cpu/online" \
	"@$V2/sample/child/cpuset.cpus.effective" - "@$V2/sample/child/cpu.max" - \
	"@$V2/sample/cpu.max" - "@$V2/sample/child/cpu.stat" - - - "@$S/proc/uptime" \
	"@$S/proc/cpuinfo" "@$S/proc/stat"

# ---- proc: FLAGS \0 stat 1-3 \0 status 1-3 \0 ns/pid 1-3 \0 list \0 child list
# pid 1: a container's init (NSpid two deep), 2 its child, 3 a process that
# setns()ed in from the host.
init_status=$(sed -e 's/^NSpid:.*/NSpid:\t1\t1/' -e 's/^PPid:.*/PPid:\t0/' \
	-e 's/^Tgid:.*/Tgid:\t1/' /proc/self/status)
child_status=$(sed -e 's/^NSpid:.*/NSpid:\t2\t2/' -e 's/^PPid:.*/PPid:\t1/' \
	-e 's/^Tgid:.*/Tgid:\t2/' /proc/self/status)
setns_status=$(sed -e 's/^NSpid:.*/NSpid:\t3\t7/' -e 's/^PPid:.*/PPid:\t0/' \
	-e 's/^Tgid:.*/Tgid:\t3/' /proc/self/status)
ns=$(readlink /proc/self/ns/pid)
seed "$OUT/proc/container" '' "@/proc/1/stat" "@/proc/$$/stat" "@/proc/self/stat" \
	"$init_status" "$child_status" "$setns_status" 'pid:[4026532999]' 'pid:[4026532999]' \
	'pid:[4026532999]' '1\n2\n' '3\n'
seed "$OUT/proc/host" '\x01' "@/proc/1/stat" "@/proc/self/stat" - "@/proc/1/status" \
	"@/proc/self/status" - "$ns" "$ns" - '1\n2\n3\n' ''
seed "$OUT/proc/comm-parens" '' '1 (a) b) (c) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 4242 1 1\n'

# ---- cgroup: mountinfo \0 /proc/PID/cgroup \0 cgroup.controllers --------------
seed "$OUT/cgroup/hybrid" "@/proc/self/mountinfo" "@/proc/self/cgroup" \
	"@/sys/fs/cgroup/unified/cgroup.controllers"
seed "$OUT/cgroup/v2" "@$S/proc/mountinfo-host" "@$S/proc/cgroup-of-reader" \
	"@$V2/cgroup.controllers"
seed "$OUT/cgroup/lxc-root" \
	'30 25 0:26 /lxc/c1 /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n31 25 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n' \
	'4:memory:/lxc/c1/init.scope\n0::/lxc/c1\n' 'cpu io memory pids\n'

# ---- launcher-config: a config file (its lines also go through -c) -------------
if [ -e "$HERE/../../share/default.conf" ]; then
	seed "$OUT/launcher-config/default.conf" "@$HERE/../../share/default.conf"
fi
seed "$OUT/launcher-config/full" '[container]\nhostname=web\ninit=/lib/systemd/systemd\ncommand=--log-level=debug "a b"\nenvironment=A=1;B=two\nnetwork=none\n[idmap]\nuid-map=0 100000 65536\ngid-map=0 100000 1000,1000 1000 1\n[limits]\nmemory=512M\nmemory-swap=1G\ncpus=0-1\ncpu-quota=150%\npids=200\n[mounts]\nbind=/srv:/srv:ro;/tmp/x:/x\n[security]\ncapabilities-drop=sys_module;sys_rawio\ncapabilities-keep=\nseccomp=\n[burrowfs]\nburrowfs=auto\nburrowfs-path=/var/lib/burrowfs\n'
seed "$OUT/launcher-config/args" 'limits.memory=4G\ncontainer.network=host\nidmap.uid-map=auto\nmemory=max\n'

echo "make-seeds: $(find "$OUT" -type f | wc -l) seeds in $OUT"
