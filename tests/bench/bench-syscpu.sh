#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-syscpu.sh [BUILD_DIR]: /sys/devices/system/cpu for one reader in a
# container (a cpuset of BENCH_CPUS, default 0, and a pid namespace of its
# own), the same operations through:
#   pconn     the container's own burrowfs connection (issue 14), placed over
#             its /sys/devices/system/cpu by burrowfs-ctl attach: the kernel
#             caches entries, attributes, pages and listings
#   shared    build/fs/burrowfs's shared mount, the same directory
#   sysfs     the kernel's own, a sysfs mounted in the container's private
#             mount namespace (the anchor: no virtualisation)
# Operations: stat of a deep path (cpu0/cache/index0/size: four lookups),
# open+read+close of online (rendered) and of cpu0/topology/core_id (passed
# through) and a listing of the directory. Each is the
# best of BENCH_ROUNDS (default 3) windows of 0.5 s, the three trees taking
# turns; then the ratios pconn/sysfs (time per operation: 2.0 is twice
# the kernel's) and shared/pconn. Needs root; about 30 seconds.
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=bench-lib.sh
source "$(dirname "$0")/bench-lib.sh"

BUILD_DIR=${1:-${BUILD_DIR:-$T_DIR/../../build}}
BURROWFS=$BUILD_DIR/fs/burrowfs
CTL=$BUILD_DIR/hooks/burrowfs-ctl
ROUNDS=${BENCH_ROUNDS:-3}
CPUS=${BENCH_CPUS:-0}

t_init
[ -x "$CTL" ] || die "$CTL not built (meson compile -C $BUILD_DIR)"
SOCK=$T_TMP/control.sock
bfs_start --control-socket "$SOCK"
BMNT=$BFS_MNT

cg_new bench
cg_set bench cpus "$CPUS" || die "cannot set a cpuset"

# shellcheck disable=SC2016
MICRO='
import os, sys, time
rounds = int(sys.argv[1])
trees = list(zip(sys.argv[2::2], sys.argv[3::2]))
def orc(path):
    fd = os.open(path, os.O_RDONLY)
    os.read(fd, 65536)
    os.close(fd)
best = {}
for r in range(rounds):
    for tree, d in trees:
        ops = (("stat-deep", lambda: os.stat(d + "/cpu0/cache/index0/size")),
               ("read-online", lambda: orc(d + "/online")),
               ("read-core_id", lambda: orc(d + "/cpu0/topology/core_id")),
               ("listdir", lambda: os.listdir(d)))
        for op, fn in ops:
            n, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < 0.5:
                fn()
                n += 1
            us = (time.perf_counter() - t0) / n * 1e6
            best[op, tree] = min(best.get((op, tree), us), us)
for (op, tree), us in best.items():
    print("MICRO", op, tree, "%.2f" % us)
'
# shellcheck disable=SC2016
INNER='
ctl=$1 sock=$2 tmp=$3 bmnt=$4 rounds=$5 micro=$6
"$ctl" --socket "$sock" attach $$ >&2 || { echo "FAIL attach"; exit 1; }
mkdir -p "$tmp/ksys"
mount -t sysfs sysfs "$tmp/ksys" || { echo "FAIL sysfs"; exit 1; }
echo "CHECK $(stat -c %d /sys/devices/system/cpu) $(stat -c %d "$bmnt/sys/devices/system/cpu")" \
	"$(cat /sys/devices/system/cpu/online) $(cat "$bmnt/sys/devices/system/cpu/online")"
python3 -c "$micro" "$rounds" pconn /sys/devices/system/cpu shared "$bmnt/sys/devices/system/cpu" \
	sysfs "$tmp/ksys/devices/system/cpu"
umount "$tmp/ksys"'
out=$(CT_TIMEOUT=300 ct_run "$BMNT" bench bash -c "$INNER" inner "$CTL" "$SOCK" "$T_TMP" "$BMNT" \
	"$ROUNDS" "$MICRO") || die "the measurement failed: $out"
check_eq "nothing failed inside" "$(grep -c '^FAIL' <<<"$out")" 0
check=$(awk '$1 == "CHECK"' <<<"$out")
check_eq "the container's cpu directory is its own connection's, not the shared mount's ($check)" \
	"$(awk '{ print $2 != $3 }' <<<"$check")" 1
check_eq "... showing its cpuset, renumbered, as the shared mount does" \
	"$(awk '{ print $4 == $5 }' <<<"$check")" 1
check_eq "every operation was timed on all three" "$(grep -c '^MICRO' <<<"$out")" 12

echo
echo "/sys/devices/system/cpu by one reader in a container (cpuset $CPUS), us per operation," \
	"best of $ROUNDS x 0.5 s, $(nproc) CPUs, $(uname -r):"
awk '$1 == "MICRO" { v[$2, $3] = $4; if (!($2 in seen)) { seen[$2] = 1; ops[++n] = $2 } }
	END {
		printf "%-14s %8s %8s %8s %12s %12s\n", "operation", "pconn", "shared", "sysfs",
			"pconn/sysfs", "shared/pconn"
		for (i = 1; i <= n; i++) {
			o = ops[i]
			printf "%-14s %8s %8s %8s %12.2f %12.1f\n", o, v[o, "pconn"], v[o, "shared"],
				v[o, "sysfs"], v[o, "pconn"] / v[o, "sysfs"], v[o, "shared"] / v[o, "pconn"]
		}
	}' <<<"$out"
