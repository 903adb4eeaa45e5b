#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-cgwalk.sh [BUILD_DIR]: one reader, four cgroup trees. A process in
# a pid namespace of its own, in a test cgroup with BENCH_CHILDREN (default
# 10) children of 2 grandchildren each, walks its cgroups through
#   pconn      the container's own burrowfs connection for its cgroup tree
#              (issue 14: entries and attributes cached by the kernel for
#              --cache-ms), asked for on the control socket and placed in
#              the container's mount namespace by pconn-attach
#   burrowfs   build/fs/burrowfs, its cgroup/ tree (the shared mount)
#   lxcfs      Debian's lxcfs 5 (lxcfs -f -p PIDFILE MNT), its cgroup/ tree
#   cgroupfs   the kernel's own hierarchies, the same cgroups
# with `find -type f` and then `cat` of every file: the same cgroups (the
# test's subtree in each v1 hierarchy) through each tree. Prints files, time, time
# per file, and the ratios per file: burrowfs/lxcfs, burrowfs/cgroupfs and
# pconn/cgroupfs. Best of BENCH_ROUNDS (default 3). Then single operations,
# timed alone, with pconn/cgroupfs (the issue's target for a deep-path stat:
# at most 2) and burrowfs/pconn.
# Needs root and cgroup v1 hierarchies
# (lxcfs 5 has no tree for v2); about 30 seconds.
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=bench-lib.sh
source "$(dirname "$0")/bench-lib.sh"

BUILD_DIR=${1:-${BUILD_DIR:-$T_DIR/../../build}}
BURROWFS=$BUILD_DIR/fs/burrowfs
PCONN_ATTACH=$BUILD_DIR/tests/integration/pconn-attach
ROUNDS=${BENCH_ROUNDS:-3}
CHILDREN=${BENCH_CHILDREN:-10}

t_init
command -v lxcfs >/dev/null || skip "lxcfs is not installed (apt-get install lxcfs)"
[ "${#CG_V1[@]}" -gt 0 ] || skip "no cgroup v1 hierarchy: lxcfs 5 shows none"
[ -x "$PCONN_ATTACH" ] || die "pconn-attach not built at $PCONN_ATTACH"

# ---- daemons -------------------------------------------------------------------
SOCK=$T_TMP/control.sock
bfs_start --control-socket "$SOCK"
BMNT=$BFS_MNT
# Where each container places its own tree, in its own mount namespace.
PCG=$T_TMP/pcg
for h in "$BMNT"/cgroup/*; do mkdir -p "$PCG/${h##*/}"; done
LMNT=$T_TMP/lxcfs
lxcfs_start "$LMNT"

# ---- the cgroups -----------------------------------------------------------------
cg_new walk
for ((c = 0; c < CHILDREN; c++)); do
	cg_new "walk/c$c/g0"
	cg_new "walk/c$c/g1"
done
# The same cgroups in each tree: the test's subtree in every v1 hierarchy
# the test cgroup is in (both FUSE trees name a hierarchy as its mount does).
mapfile -t hiers < <(printf '%s\n' "${CG_V1[@]}" | sort -u)
kdirs=() bdirs=() ldirs=() pdirs=()
for h in "${hiers[@]}"; do
	kdirs+=("$h/$CG_BASE/walk")
	bdirs+=("$BMNT/cgroup/${h##*/}/$CG_BASE/walk")
	ldirs+=("$LMNT/cgroup/${h##*/}/$CG_BASE/walk")
	pdirs+=("$PCG/${h##*/}/$CG_BASE/walk")
done
# The reader's own connection, placed in its mount namespace before anything runs.
ATTACH='"$1" attach-cg "$2" $$ "$3" >&2 || { echo "FAIL attach"; exit 1; }; shift 3; exec "$@"'


# ---- the walks, all by one reader in the test cgroup -------------------------------
# shellcheck disable=SC2016
INNER='
rounds=$1 n=$2; shift 2
walk() {
	local t0 n
	t0=$(date +%s%N)
	n=$(find "$@" -type f 2>/dev/null | wc -l)
	find "$@" -type f -print0 2>/dev/null | xargs -0 cat >/dev/null 2>&1
	echo "$n $((($(date +%s%N) - t0) / 1000))"
}
for r in $(seq "$rounds"); do
	echo "RESULT burrowfs $(walk "${@:1:n}")"
	echo "RESULT lxcfs $(walk "${@:n+1:n}")"
	echo "RESULT cgroupfs $(walk "${@:2*n+1:n}")"
	echo "RESULT pconn $(walk "${@:3*n+1:n}")"
done'
out=$(CT_TIMEOUT=600 ct_run "$BMNT" walk bash -c "$ATTACH" attach "$PCONN_ATTACH" "$SOCK" "$PCG" \
	bash -c "$INNER" inner "$ROUNDS" "${#hiers[@]}" \
	"${bdirs[@]}" "${ldirs[@]}" "${kdirs[@]}" "${pdirs[@]}") || die "the walk failed"

# Single operations on one cgroup's files, the trees taking turns: what a path walk adds
# (stat and open of the whole path) and what it does not (open relative to
# a directory already held, as systemd does, and a listing).
# shellcheck disable=SC2016
MICRO='
import os, sys, time
rounds = int(sys.argv[1])
pairs = list(zip(sys.argv[2::2], sys.argv[3::2]))
name = "memory.limit_in_bytes" if os.path.exists(pairs[0][1] + "/memory.limit_in_bytes") else "notify_on_release"
def orc(path, **kw):
    fd = os.open(path, os.O_RDONLY, **kw)
    os.read(fd, 65536)
    os.close(fd)
best = {}
for r in range(rounds):
    for tree, d in pairs:
        f = d + "/" + name
        dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
        ops = (("stat-path", lambda: os.stat(f)), ("open-read-close-path", lambda: orc(f)),
               ("open-read-close-at", lambda: orc(name, dir_fd=dfd)),
               ("cgroup.procs-at", lambda: orc("cgroup.procs", dir_fd=dfd)),
               ("listdir", lambda: os.listdir(dfd)))
        for op, fn in ops:
            n, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < 0.5:
                fn()
                n += 1
            us = (time.perf_counter() - t0) / n * 1e6
            best[op, tree] = min(best.get((op, tree), us), us)
        os.close(dfd)
for (op, tree), us in best.items():
    print("MICRO", op, tree, "%.1f" % us)
'
hier=${CG_V1[memory]:-${hiers[0]}}
sub=${hier##*/}/$CG_BASE/walk/c0/g0
micro=$(CT_TIMEOUT=300 ct_run "$BMNT" walk/c0/g0 bash -c "$ATTACH" attach "$PCONN_ATTACH" "$SOCK" "$PCG" \
	python3 -c "$MICRO" "$ROUNDS" burrowfs "$BMNT/cgroup/$sub" lxcfs "$LMNT/cgroup/$sub" \
	cgroupfs "$hier/$CG_BASE/walk/c0/g0" pconn "$PCG/$sub") ||
	die "the single operations failed: $micro"
echo "$out" | grep -v '^RESULT' | sed 's/^/# /'

echo
echo "cgroup tree walk by one reader: find -type f, then cat of each file;" \
	"best of $ROUNDS, $CHILDREN x 2 grandchildren, $(nproc) CPUs, $(uname -r)"
awk '$1 == "RESULT" && $3 > 0 {
		if (!($2 in t) || $4 < t[$2]) { t[$2] = $4; n[$2] = $3 }
	}
	function per(k) { return t[k] / n[k] }
	END {
		printf "%-9s %7s %10s %9s\n", "tree", "files", "ms", "us/file"
		for (k in t)
			printf "%-9s %7d %10.1f %9.1f\n", k, n[k], t[k] / 1000, per(k)
		if (("burrowfs" in t) && ("lxcfs" in t))
			printf "per file burrowfs/lxcfs: %.2f\n", per("burrowfs") / per("lxcfs")
		if (("burrowfs" in t) && ("cgroupfs" in t))
			printf "per file burrowfs/cgroupfs: %.2f\n", per("burrowfs") / per("cgroupfs")
		if (("pconn" in t) && ("cgroupfs" in t))
			printf "per file pconn/cgroupfs: %.2f\n", per("pconn") / per("cgroupfs")
	}' <<<"$out"
echo
echo "single operations on ${hier##*/}/.../walk/c0/g0 by its own reader," \
	"us each, best of $ROUNDS x 0.5 s:"
awk '$1 == "MICRO" { v[$2, $3] = $4; if (!($2 in seen)) { seen[$2] = 1; ops[++n] = $2 } }
	END {
		printf "%-22s %9s %9s %9s %9s %10s %10s %10s\n", "operation", "pconn", "burrowfs",
			"lxcfs", "cgroupfs", "bfs/lxcfs", "pconn/cgfs", "bfs/pconn"
		for (i = 1; i <= n; i++) {
			o = ops[i]
			printf "%-22s %9s %9s %9s %9s %10.2f %10.2f %10.1f\n", o, v[o, "pconn"],
				v[o, "burrowfs"], v[o, "lxcfs"], v[o, "cgroupfs"],
				v[o, "burrowfs"] / v[o, "lxcfs"], v[o, "pconn"] / v[o, "cgroupfs"],
				v[o, "burrowfs"] / v[o, "pconn"]
		}
	}' <<<"$micro"
check_eq "every single operation was timed on all four" "$(grep -c '^MICRO' <<<"$micro")" 20

# The three walks must have covered the same cgroups.
files() { awk -v k="$1" '$2 == k { print $3; exit }' <<<"$out"; }
check_num "cgroupfs walked files" "$(files cgroupfs)" ">" 0
check_eq "burrowfs showed the reader as many files as cgroupfs has" "$(files burrowfs)" \
	"$(files cgroupfs)"
check_eq "lxcfs showed the reader as many files as cgroupfs has" "$(files lxcfs)" \
	"$(files cgroupfs)"
check_eq "its own connection showed the reader as many files as cgroupfs has" "$(files pconn)" \
	"$(files cgroupfs)"
