#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-cgtree.sh [BUILD_DIR]: the cgroup tree walk. Inside a booted Debian 12
# guest with cgroup=burrowfs, `find /sys/fs/cgroup -type f | xargs cat`
# (every file of the guest's cgroups, through burrowfs); on the host, the
# same walk over the same cgroups on the real cgroupfs. Prints files, time
# and time per file of each, and the ratio per file (burrowfs / cgroupfs).
# Best of BENCH_ROUNDS (default 3) rounds. Needs root and the cached rootfs.
L_DIR=$(cd "$(dirname "$0")/../launcher" && pwd)
BUILD_DIR=${1:-${BUILD_DIR:-$(dirname "$0")/../../build}}
BURROW=${BURROW:-$BUILD_DIR/launcher/burrow}
BURROWFS=${BURROWFS:-$BUILD_DIR/fs/burrowfs}
source "$L_DIR/lib.sh"
ROUNDS=${BENCH_ROUNDS:-3}

l_init
l_rootfs
bfs_start
l_subids root 100000
export BURROW_HOME=$T_TMP/home
CT=bcg$$
defer "$BURROW destroy --force $CT >/dev/null 2>&1"
"$BURROW" create "$CT" --from-dir "$ROOTFS" -c burrowfs=yes -c burrowfs-path="$BFS_MNT" \
	-c cgroup=burrowfs >/dev/null || die "create"
"$BURROW" start --wait "$CT" || die "start"
timeout 60 "$BURROW" attach "$CT" -- systemctl is-system-running --wait >/dev/null

# WALK: prints "FILES SECONDS" for the walk of the directories given.
walk='t0=$(date +%s%N); n=$(find "$@" -type f | wc -l);
	find "$@" -type f -print0 | xargs -0 cat >/dev/null 2>&1;
	echo "$n $(( ($(date +%s%N) - t0) / 1000 ))"'
# The guest's own cgroups on the host: one directory per hierarchy.
mapfile -t host_dirs < <("$BURROW" info "$CT" | grep -o '/sys/fs/cgroup/[^ ]*' | sort -u)

best() {
	sort -n -k2 | head -n1
}
guest=$(for ((i = 0; i < ROUNDS; i++)); do
	timeout 120 "$BURROW" attach "$CT" -- sh -c "$walk" walk /sys/fs/cgroup
done | best)
host=$(for ((i = 0; i < ROUNDS; i++)); do
	sh -c "$walk" walk "${host_dirs[@]}"
done | best)
read -r gn gus <<<"$guest"
read -r hn hus <<<"$host"
[ "${gn:-0}" -gt 0 ] && [ "${hn:-0}" -gt 0 ] || die "empty walk: guest '$guest' host '$host'"
awk -v gn="$gn" -v gus="$gus" -v hn="$hn" -v hus="$hus" 'BEGIN {
	printf "# tree walk, guest through burrowfs: %d files in %.1f ms (%.1f us/file)\n", gn, gus / 1000, gus / gn
	printf "# tree walk, host on cgroupfs:       %d files in %.1f ms (%.1f us/file)\n", hn, hus / 1000, hus / hn
	printf "# ratio per file burrowfs/cgroupfs: %.2f\n", (gus / gn) / (hus / hn)
}'
t_ok "tree walk measured"
