#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# systemd-nspawn (Debian's systemd-container) with the arguments that
# `burrowfs --print-binds MOUNTPOINT` prints, on a host where systemd is not
# PID 1: --register=no (no machined to register with) and --keep-unit (no
# systemd to make a scope), so nspawn stays in the cgroup it was started in
# and puts its container there too, with a cgroup namespace of its own. The
# test starts it in a cgroup of its own limited to 256 MiB and cpu 0; inside,
# free -b, nproc, /proc/cpuinfo, /sys/devices/system/cpu/online and
# /proc/uptime show those limits and the age of the container's PID 1 (read
# by a process entering its namespaces and cgroups, as an exec would).
# Without the arguments, the same container sees the host's.

. "$(dirname "$0")/lib.sh"

hooks_init
NSPAWN=$(command -v systemd-nspawn) ||
	die "systemd-nspawn is not installed (apt-get install systemd-container)"
need_rootfs
bfs_start
MACHINE=burrow-test-$$
rt_global_dirs /run/systemd/nspawn
# nspawn cannot remove its propagation directory where /run is no tmpfs
# ("Attempted to remove disk file system ..., and we can't allow that").
defer "rm -rf --one-file-system '/run/systemd/nspawn/propagate/$MACHINE'"

LIMIT=268435456
# nspawn makes payload/ and supervisor/ below its cgroup in the name=systemd
# hierarchy only, which cg_new's clean-up does not cover.
defer cg_remove_every_hierarchy
cg_new nspawn
cg_set nspawn mem "$LIMIT" || die "cannot limit the memory of the test's cgroup"
cg_set nspawn cpus 0 || die "cannot limit the cpuset of the test's cgroup"

ROOT=$T_TMP/root
rootfs_overlay "$ROOT" "$T_TMP"
leaks_before=$(host_leaks)

mapfile -t BINDS < <("$BURROWFS" --print-binds "$BFS_MNT")
check_eq "--print-binds: first the mount at its own path" "${BINDS[0]:-}" "--bind-ro=$BFS_MNT"
for f in proc/meminfo proc/cpuinfo proc/uptime sys/devices/system/cpu; do
	check_cmd "--print-binds: binds $f" \
		grep -qxF -- "--bind-ro=$BFS_MNT/$f:/$f" <(printf '%s\n' "${BINDS[@]}")
done
check_cmd "--print-binds refuses a directory burrowfs does not serve" \
	bash -c "! '$BURROWFS' --print-binds '$T_TMP' >/dev/null 2>&1"

# nspawn_start ARGS...: a container (sleep as its PID 1) from nspawn started
# in the test's cgroup. Sets NS_PID (nspawn's) and NS_INIT (the container's
# PID 1, by its host pid).
nspawn_start() {
	local i p dirs
	dirs=$(cg_procs_dirs nspawn | tr '\n' ' ')
	# shellcheck disable=SC2016
	timeout -k 5 120 bash -c 'for d in $1; do echo $$ >"$d/cgroup.procs" || exit 125; done
		shift; exec "$@"' nspawn "$dirs" \
		"$NSPAWN" -q -D "$ROOT" -M "$MACHINE" --register=no --keep-unit "$@" sleep 600 \
		</dev/null >"$T_TMP/nspawn.out" 2>"$T_TMP/nspawn.err" &
	NS_PID=$!
	defer "kill $NS_PID 2>/dev/null"
	NS_INIT=""
	for ((i = 0; i < 200; i++)); do
		[ -z "$NS_INIT" ] || break
		sleep 0.05
		for p in $(cg_own_pids "$(cg_ctrl_dir memory nspawn)"); do
			# Pid 1 in a pid namespace below ours: NSpid lists it twice or more.
			if awk '$1 == "NSpid:" && NF > 2 && $NF == 1 { f = 1 } END { exit !f }' \
				"/proc/$p/status" 2>/dev/null; then
				NS_INIT=$p
				break
			fi
		done
	done
	[ -n "$NS_INIT" ] || die "nspawn started no container: $(cat "$T_TMP/nspawn.err")"
}

# nspawn_exec: RT_INSIDE in the container (its namespaces, its cgroups), as
# a runtime's exec would run it.
nspawn_exec() {
	local dirs
	dirs=$(cg_procs_dirs nspawn | tr '\n' ' ')
	# shellcheck disable=SC2016
	timeout -k 5 30 bash -c 'for d in $1; do echo $$ >"$d/cgroup.procs" || exit 125; done
		exec nsenter -t "$2" -a -r -w sh -c "$3"' nsexec "$dirs" "$NS_INIT" \
		"echo '@@ cgroup'; cat /proc/self/cgroup; $RT_INSIDE"
}

# nspawn_stop: the container ends with its PID 1; nspawn exits.
nspawn_stop() {
	kill -KILL "$NS_INIT"
	wait "$NS_PID"
	NS_RC=$?
	sed 's/^/# nspawn: /' "$T_TMP/nspawn.err"
}

nspawn_start "${BINDS[@]}"
check_cmd "the container's host cgroup is the one nspawn started in (no payload cgroup below)" \
	grep -q "memory:/$CG_BASE/nspawn\$" "/proc/$NS_INIT/cgroup"
# Old enough that an uptime counted from the host's boot, or from 0, shows.
sleep 2
OUT=$(nspawn_exec)
check_eq "nsenter into the container: exit status" "$?" 0
rt_check_limited "nspawn" "$OUT" "$LIMIT" 1 "$NS_INIT"
check_eq "inside, its cgroup namespace makes that cgroup /" \
	"$(section "$OUT" cgroup | grep ':memory:')" "4:memory:/"
nspawn_stop
check_cmd "systemd-nspawn saw its container's PID 1 killed ($NS_RC)" \
	grep -q "terminated by signal KILL" "$T_TMP/nspawn.err"

nspawn_start
OUT=$(nspawn_exec)
check_eq "without the binds: nsenter exit status" "$?" 0
rt_check_host "without the binds" "$OUT"
nspawn_stop
check_eq "nothing left mounted on the host" "$(host_leaks)" "$leaks_before"
