#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-sysinfo.sh [BUILD_DIR]: the latency of sysinfo(2) answered by
# burrowfs's seccomp agent (issue 13), beside its anchors, in one run:
#   native     sysinfo() on the host, the kernel answering;
#   agent      sysinfo() in a burrow container (300 MiB), intercepted;
#   meminfo    open+read+close of /proc/meminfo in the same container, which
#              burrowfs serves: the scale the agent is held to;
#   host-proc  the kernel's own /proc/meminfo on the host, for reference.
# BENCH_ROUNDS (default 5) rounds of BENCH_CALLS (default 20000) calls each,
# container and host taking turns; medians of the rounds. Target: agent
# within 1.5x meminfo. Needs root and the cached rootfs; about a minute.
L_DIR=$(cd "$(dirname "$0")/../launcher" && pwd)
BUILD_DIR=${1:-${BUILD_DIR:-$(dirname "$0")/../../build}}
BURROW=${BURROW:-$BUILD_DIR/launcher/burrow}
BURROWFS=${BURROWFS:-$BUILD_DIR/fs/burrowfs}
# shellcheck source=../launcher/lib.sh
source "$L_DIR/lib.sh"
# shellcheck source=../launcher/sysinfo-lib.sh
source "$L_DIR/sysinfo-lib.sh"
ROUNDS=${BENCH_ROUNDS:-5}
CALLS=${BENCH_CALLS:-20000}

l_init
l_rootfs
l_root_home
si_build
si_bfs

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

: >"$T_TMP/native"
: >"$T_TMP/hostproc"
: >"$T_TMP/agent"
: >"$T_TMP/meminfo"
for ((r = 1; r <= ROUNDS; r++)); do
	"$SI_BIN/check" bench "$CALLS" >"$T_TMP/host.out" || die "bench on the host failed"
	si_field "$T_TMP/host.out" sysinfo_ns >>"$T_TMP/native"
	si_field "$T_TMP/host.out" meminfo_ns >>"$T_TMP/hostproc"
	si_run -- /mnt/check bench "$CALLS" >"$T_TMP/ct.out" 2>&1 || die "bench in the container failed: $(cat "$T_TMP/ct.out")"
	si_field "$T_TMP/ct.out" sysinfo_ns >>"$T_TMP/agent"
	si_field "$T_TMP/ct.out" meminfo_ns >>"$T_TMP/meminfo"
	note "round $r: native $(tail -1 "$T_TMP/native") ns, agent $(tail -1 "$T_TMP/agent") ns, burrowfs meminfo $(tail -1 "$T_TMP/meminfo") ns"
done
native=$(median <"$T_TMP/native")
hostproc=$(median <"$T_TMP/hostproc")
agent=$(median <"$T_TMP/agent")
meminfo=$(median <"$T_TMP/meminfo")
note "median of $ROUNDS rounds x $CALLS calls (ns per call):"
note "  sysinfo() native on the host:              $native"
note "  sysinfo() in the container, via the agent: $agent"
note "  /proc/meminfo open+read+close, burrowfs:   $meminfo"
note "  /proc/meminfo open+read+close, the kernel: $hostproc"
note "  agent / burrowfs meminfo: $(awk -v a="$agent" -v m="$meminfo" 'BEGIN { printf "%.2f", a / m }')"
check_num "sysinfo via the agent within 1.5x a burrowfs meminfo read (ns)" \
	"$agent" "<=" "$(awk -v m="$meminfo" 'BEGIN { printf "%d", m * 1.5 }')"
