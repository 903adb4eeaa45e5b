# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Shared helpers of the integration, launcher, hooks and bench tests (and the
# VM guest's): a real burrowfs mount, cgroups of the test's own, and
# "containers": a reader in those cgroups, in a new pid namespace and a
# private mount namespace with the burrowfs files bound over /proc and
# /sys/devices/system/cpu, as a runtime would bind them.
#
# Every test sources this file first. Assertions print "ok N - ..." or
# "not ok N - ..." with the values compared; the exit trap undoes everything
# the test set up (mounts, cgroups, loop devices, processes), on success and
# on failure, then exits non-zero if any assertion failed.

set -uo pipefail

# T_LIB: this library's folder; T_DIR: the integration tests' (their helpers live there).
T_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T_DIR=$(cd "$T_LIB/../integration" && pwd)
T_NAME=$(basename "$0" .sh)
T_PASS=0
T_FAIL=0
T_CLEANUPS=()
T_TMP=""
T_BFS_N=0
T_BFS_STOPPED=""

BURROWFS=${BURROWFS:-$T_DIR/../../build/fs/burrowfs}
# What bfs_stop runs --stop with, even where a test points BURROWFS at a
# wrapper (test-install runs it under setpriv).
T_BURROWFS=$BURROWFS
# pyenv shims start slowly and may not exist inside the test's environment.
PYTHON=$(command -v /usr/bin/python3 || command -v python3 || true)
# Bound every wait on the mount, so a hung daemon fails a test instead of
# wedging it.
CT_TIMEOUT=${CT_TIMEOUT:-30}
# A factor for bounds that assume a fork and exec cost milliseconds: the VM
# suite runs these tests under emulation, where one costs about 0.15 s.
T_SLOW=${T_SLOW:-1}
CG_BASE=burrow-test-$$

# ---- assertions -------------------------------------------------------------

t_ok() {
	T_PASS=$((T_PASS + 1))
	echo "ok $((T_PASS + T_FAIL)) - $*"
}

t_not_ok() {
	T_FAIL=$((T_FAIL + 1))
	echo "not ok $((T_PASS + T_FAIL)) - $*"
}

# check_eq DESC GOT WANT: string equality.
check_eq() {
	local got=${2//$'\n'/\\n} want=${3//$'\n'/\\n}
	if [ "$2" == "$3" ]; then
		t_ok "$1: '$got' == '$want'"
	else
		t_not_ok "$1: got '$got', want '$want'"
	fi
}

# check_num DESC A OP B: numeric comparison (integers or decimals), OP one of
# == != < <= > >=. A value that is not a number fails.
check_num() {
	local desc=$1 a=$2 op=$3 b=$4
	if awk -v a="$a" -v b="$b" -v op="$op" 'BEGIN {
		if (a !~ /^-?[0-9]+(\.[0-9]+)?$/ || b !~ /^-?[0-9]+(\.[0-9]+)?$/) exit 2
		a += 0; b += 0
		if (op == "==") r = (a == b); else if (op == "!=") r = (a != b)
		else if (op == "<") r = (a < b); else if (op == "<=") r = (a <= b)
		else if (op == ">") r = (a > b); else if (op == ">=") r = (a >= b)
		else exit 2
		exit !r }'; then
		t_ok "$desc: $a $op $b"
	else
		t_not_ok "$desc: got '$a', want $op '$b'"
	fi
}

# check_cmd DESC CMD...: CMD succeeds.
check_cmd() {
	local desc=$1
	shift
	if "$@"; then
		t_ok "$desc"
	else
		t_not_ok "$desc (failed: $*)"
	fi
}

# Stop the test on a setup failure; the exit trap still cleans up.
die() {
	t_not_ok "$*"
	exit 1
}

note() {
	echo "# $*"
}

# ---- cleanup ----------------------------------------------------------------

# defer CMD: run CMD (eval'd) at exit, last deferred first.
defer() {
	T_CLEANUPS+=("$*")
}

t_on_exit() {
	local rc=$? i
	set +e
	trap - EXIT
	for ((i = ${#T_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${T_CLEANUPS[i]}"
	done
	if [ "$rc" -eq 77 ]; then
		exit 77
	fi
	echo "# $T_NAME: $T_PASS passed, $T_FAIL failed"
	if [ "$T_FAIL" -gt 0 ] || [ "$rc" -ne 0 ]; then
		exit 1
	fi
	if [ "$T_PASS" -eq 0 ]; then
		echo "# no assertion ran"
		exit 1
	fi
	exit 0
}

# ---- setup ------------------------------------------------------------------

skip() {
	echo "1..0 # SKIP $*"
	exit 77
}

t_init() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -c /dev/fuse ] || skip "no /dev/fuse"
	[ -x "$BURROWFS" ] || {
		echo "not ok - burrowfs not built at $BURROWFS"
		exit 1
	}
	trap t_on_exit EXIT
	trap 'exit 143' TERM INT HUP
	T_TMP=$(mktemp -d "/tmp/burrow-$T_NAME.XXXXXX")
	# --one-file-system: never descend into a mount left behind.
	# T_KEEP=1 keeps it (logs, outputs) for a look after a failure.
	defer "[ -n \"\${T_KEEP:-}\" ] || rm -rf --one-file-system '$T_TMP'"
	cg_discover
}

# ---- burrowfs ---------------------------------------------------------------

t_mounted() {
	awk -v m="$1" '$5 == m { found = 1 } END { exit !found }' /proc/self/mountinfo
}

# bfs_start [OPTIONS...]: mount burrowfs on a new temporary mountpoint and wait
# until it serves proc/meminfo. Sets BFS_MNT, BFS_PID and BFS_LOG.
bfs_start() {
	local mnt log pid i wrap
	T_BFS_N=$((T_BFS_N + 1))
	mnt="$T_TMP/mnt$T_BFS_N"
	log="$T_TMP/burrowfs$T_BFS_N.log"
	mkdir "$mnt"
	# BURROWFS_WRAPPER: a command line the daemon runs under (valgrind, see
	# tests/integration/leak-check.sh), split on blanks.
	read -r -a wrap <<<"${BURROWFS_WRAPPER:-}"
	"${wrap[@]}" "$BURROWFS" "$@" "$mnt" >"$log" 2>&1 &
	pid=$!
	defer "bfs_stop $pid '$mnt' '$log'"
	bfs_wait_ready "$pid" "$mnt"
	if ! timeout 2 test -e "$mnt/proc/meminfo"; then
		sed 's/^/# burrowfs: /' "$log"
		die "burrowfs $* did not become ready on $mnt"
	fi
	BFS_MNT=$mnt
	BFS_PID=$pid
	BFS_LOG=$log
}

# bfs_wait_ready PID MNT: wait (up to 10 s) until MNT serves meminfo, or PID
# ended; the caller checks which.
bfs_wait_ready() {
	local pid=$1 mnt=$2 i
	for ((i = 0; i < 100; i++)); do
		if t_mounted "$mnt" && timeout 2 test -e "$mnt/proc/meminfo"; then
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
}

# bfs_start_on MNT BINARY [OPTIONS...]: start BINARY (a burrowfs, perhaps a
# copy of it) on the existing mountpoint MNT, as a restart or an upgrade
# would, and wait until it serves. Sets BFS_PID and BFS_LOG.
bfs_start_on() {
	local mnt=$1 bin=$2 log pid i
	shift 2
	T_BFS_N=$((T_BFS_N + 1))
	log="$T_TMP/burrowfs$T_BFS_N.log"
	"$bin" "$@" "$mnt" >"$log" 2>&1 &
	pid=$!
	defer "bfs_stop $pid '$mnt' '$log'"
	bfs_wait_ready "$pid" "$mnt"
	if ! kill -0 "$pid" 2>/dev/null || ! timeout 2 test -e "$mnt/proc/meminfo"; then
		sed 's/^/# burrowfs: /' "$log"
		die "$bin $* did not become ready on $mnt"
	fi
	BFS_PID=$pid
	BFS_LOG=$log
}

# bfs_forget PID: the test ended (or handed over) this daemon itself; the
# exit trap must not check it.
bfs_forget() {
	T_BFS_STOPPED+=" $1"
}

# bfs_stop PID MNT LOG: SIGTERM must end the daemon with status 0, then
# --stop must take the mount away (SIGTERM leaves it to the keeper for a
# next burrowfs); a sanitizer report or a crash on the way out fails the test.
bfs_stop() {
	local pid=$1 mnt=$2 log=$3 i st
	[[ " $T_BFS_STOPPED " != *" $pid "* ]] || return 0
	T_BFS_STOPPED+=" $pid"
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			t_not_ok "burrowfs (pid $pid) still running 5 s after SIGTERM"
			kill -KILL "$pid"
		fi
	fi
	wait "$pid" 2>/dev/null
	st=$?
	check_eq "burrowfs on $(basename "$mnt") exit status" "$st" 0
	if [ "$st" -ne 0 ] || grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' \
		-e 'ERROR: LeakSanitizer' "$log"; then
		sed 's/^/# burrowfs: /' "$log"
	fi
	if grep -q -e 'runtime error:' "$log"; then
		t_not_ok "burrowfs on $(basename "$mnt") reported undefined behaviour"
	fi
	# SIGTERM leaves the connection and the mount with the keeper for a
	# next burrowfs (--restart-timeout): end them now rather than leave
	# them to time out.
	timeout 10 "$T_BURROWFS" --stop "$mnt" >/dev/null 2>&1
	if t_mounted "$mnt"; then
		t_not_ok "$mnt still mounted after burrowfs --stop"
		umount -l "$mnt" 2>/dev/null || fusermount3 -u -z "$mnt" 2>/dev/null
	fi
	rmdir "$mnt" 2>/dev/null
}

# ---- cgroups ----------------------------------------------------------------

# Find the v1 hierarchies of the controllers we limit and the v2 mount, from
# mountinfo rather than assuming /sys/fs/cgroup/<name>.
cg_discover() {
	declare -gA CG_V1=()
	CG_V2=""
	CG_V2_CTRLS=""
	local line pre post fstype superopts mp root o
	while IFS= read -r line; do
		pre=${line%% - *}
		post=${line#* - }
		fstype=${post%% *}
		superopts=${post##* }
		root=$(awk '{ print $4 }' <<<"$pre")
		mp=$(awk '{ print $5 }' <<<"$pre")
		[ "$root" == / ] || continue
		case $fstype in
		cgroup)
			for o in ${superopts//,/ }; do
				case $o in
				memory | cpu | cpuacct | cpuset | blkio | pids)
					[ -n "${CG_V1[$o]:-}" ] || CG_V1[$o]=$mp
					;;
				*) ;;
				esac
			done
			;;
		cgroup2)
			[ -n "$CG_V2" ] || CG_V2=$mp
			;;
		*) ;;
		esac
	done </proc/self/mountinfo
	if [ -n "$CG_V2" ]; then
		CG_V2_CTRLS=$(cat "$CG_V2/cgroup.controllers")
	fi
	[ "${#CG_V1[@]}" -gt 0 ] || [ -n "$CG_V2" ] || skip "no cgroup hierarchy mounted"
}

cg_v2_has() {
	[[ " $CG_V2_CTRLS " == *" $1 "* ]]
}

# cg_ctrl_dir CTRL REL: the directory of REL (under the test's base cgroup) in
# the hierarchy that holds CTRL (v1 name; blkio maps to v2 io, cpuacct to cpu).
cg_ctrl_dir() {
	local ctrl=$1 rel=$2 v2=$1
	case $ctrl in
	blkio) v2=io ;;
	cpuacct) v2=cpu ;;
	*) ;;
	esac
	if [ -n "${CG_V1[$ctrl]:-}" ]; then
		echo "${CG_V1[$ctrl]}/$CG_BASE/$rel"
	elif [ -n "$CG_V2" ] && cg_v2_has "$v2"; then
		echo "$CG_V2/$CG_BASE/$rel"
	else
		return 1
	fi
}

# The roots of every hierarchy the test's cgroups live in, each once.
cg_roots() {
	{
		# Pure v2 has no v1 hierarchy: printf would print one empty root.
		[ "${#CG_V1[@]}" -eq 0 ] || printf '%s\n' "${CG_V1[@]}"
		[ -z "$CG_V2" ] || echo "$CG_V2"
	} | sort -u
}

# cg_new REL: create REL (may be nested, e.g. "a/b") under the test's base
# cgroup in every hierarchy. The first call arranges removal of the whole base.
cg_new() {
	local rel=$1 root dir part parent
	if [ -z "${CG_CREATED:-}" ]; then
		CG_CREATED=1
		defer cg_destroy_all
	fi
	while IFS= read -r root; do
		dir=$root
		for part in $CG_BASE ${rel//\// }; do
			parent=$dir
			dir=$dir/$part
			[ -d "$dir" ] && continue
			if [ "$root" == "$CG_V2" ]; then
				cg_v2_delegate "$parent"
			fi
			mkdir "$dir" || die "mkdir $dir"
			# A v1 cpuset starts empty and refuses tasks until both are set.
			if [ -e "$dir/cpuset.cpus" ] && [ "$root" != "$CG_V2" ]; then
				cat "$parent/cpuset.cpus" >"$dir/cpuset.cpus"
				cat "$parent/cpuset.mems" >"$dir/cpuset.mems"
			fi
		done
	done < <(cg_roots)
}

# On v2 a child only gets the controllers its parent enables. Enabling them on
# the host's root is left in place: a v2 host that runs containers has them on.
cg_v2_delegate() {
	local parent=$1 c want=""
	for c in cpu cpuset memory io pids; do
		if [[ " $(cat "$parent/cgroup.controllers") " == *" $c "* ]] &&
			[[ " $(cat "$parent/cgroup.subtree_control") " != *" $c "* ]]; then
			want+=" +$c"
		fi
	done
	[ -z "$want" ] || echo "$want" >"$parent/cgroup.subtree_control" 2>/dev/null || true
}

# cg_procs_dirs REL: the directories whose cgroup.procs a container of REL
# joins, one per hierarchy.
cg_procs_dirs() {
	local root
	while IFS= read -r root; do
		echo "$root/$CG_BASE/$1"
	done < <(cg_roots)
}

# cg_set REL SETTING VALUE...: limits, in the v1 or v2 spelling.
#   mem BYTES | swap BYTES (beyond mem; needs mem first) | cpus LIST |
#   cfs QUOTA PERIOD | pids N | wbps MAJ:MIN BYTES_PER_S
# Returns 2 when the kernel lacks the knob (e.g. no swap accounting).
cg_set() {
	local rel=$1 what=$2 d
	shift 2
	case $what in
	mem)
		d=$(cg_ctrl_dir memory "$rel") || return 2
		if [ -e "$d/memory.limit_in_bytes" ]; then
			echo "$1" >"$d/memory.limit_in_bytes"
		else
			echo "$1" >"$d/memory.max"
		fi
		;;
	swap)
		d=$(cg_ctrl_dir memory "$rel") || return 2
		if [ -e "$d/memory.memsw.limit_in_bytes" ]; then
			echo $(($(cat "$d/memory.limit_in_bytes") + $1)) >"$d/memory.memsw.limit_in_bytes"
		elif [ -e "$d/memory.swap.max" ]; then
			echo "$1" >"$d/memory.swap.max"
		else
			return 2
		fi
		;;
	cpus)
		d=$(cg_ctrl_dir cpuset "$rel") || return 2
		echo "$1" >"$d/cpuset.cpus"
		;;
	cfs)
		d=$(cg_ctrl_dir cpu "$rel") || return 2
		if [ -e "$d/cpu.cfs_quota_us" ]; then
			echo "$2" >"$d/cpu.cfs_period_us" && echo "$1" >"$d/cpu.cfs_quota_us"
		else
			echo "$1 $2" >"$d/cpu.max"
		fi
		;;
	pids)
		d=$(cg_ctrl_dir pids "$rel") || return 2
		echo "$1" >"$d/pids.max"
		;;
	wbps)
		d=$(cg_ctrl_dir blkio "$rel") || return 2
		if [ -e "$d/blkio.throttle.write_bps_device" ]; then
			echo "$1 $2" >"$d/blkio.throttle.write_bps_device"
		else
			echo "$1 wbps=$2" >"$d/io.max"
		fi
		;;
	*)
		die "cg_set: unknown setting $what"
		;;
	esac
}

# cg_nr_tasks REL: threads in REL's memory (else first) cgroup.
cg_nr_tasks() {
	local d
	d=$(cg_ctrl_dir memory "$1" || cg_procs_dirs "$1" | head -n1)
	if [ -e "$d/tasks" ]; then
		wc -l <"$d/tasks"
	else
		wc -l <"$d/cgroup.threads"
	fi
}

# cg_own_pids DIR: the pids DIR/cgroup.procs lists that are really ours:
# alive, and in one of this test's cgroups by their own /proc/PID/cgroup.
# Linux 6.18 was seen to list numbers that named other processes (the
# machine's pid 1 among them, moved and nearly killed by an earlier
# version of these tests); a list read from the kernel is never acted on
# unchecked.
cg_own_pids() {
	local p
	while read -r p; do
		[[ "$p" =~ ^[0-9]+$ ]] && [ "$p" -gt 1 ] && [ "$p" != "$$" ] || continue
		grep -q "/$CG_BASE\(/\|\$\)" "/proc/$p/cgroup" 2>/dev/null && echo "$p"
	done <"$1/cgroup.procs" 2>/dev/null
}

# cg_rmdir_patient DIR: end what is left in DIR (all started by this test),
# then remove it. Since Linux 6.18 a killed task leaves its cgroup only after
# its last switch-out, and sanitizer builds on a loaded machine exit slowly:
# rmdir may say EBUSY with cgroup.procs already empty, so keep trying for 15 s.
cg_rmdir_patient() {
	local dir=$1 pids i
	for ((i = 0; i < 150; i++)); do
		pids=$(cg_own_pids "$dir")
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
		rmdir "$dir" 2>/dev/null && return 0
		[ -d "$dir" ] || return 0
		sleep 0.1
	done
	rmdir "$dir" && return 0
	t_not_ok "could not remove cgroup $dir (procs: $(tr '\n' ' ' <"$dir/cgroup.procs" 2>&1)," \
		"events: $(tr '\n' ' ' <"$dir/cgroup.events" 2>&1))"
	return 1
}

# cg_destroy_in ROOT...: remove the test's cgroups below each hierarchy
# ROOT, deepest first.
cg_destroy_in() {
	local root dir
	for root in "$@"; do
		[ -d "$root/$CG_BASE" ] || continue
		while IFS= read -r dir; do
			cg_rmdir_patient "$dir"
		done < <(find "$root/$CG_BASE" -depth -type d)
	done
}

# cg_destroy_all: the same in every hierarchy the test's cgroups live in.
cg_destroy_all() {
	local roots
	mapfile -t roots < <(cg_roots)
	cg_destroy_in "${roots[@]}"
}

# ---- containers -------------------------------------------------------------

# ct_enter REL CMD...: CMD as pid 1 of a new pid namespace with a /proc of
# its own, in the cgroups of REL, in a private mount namespace. Bounded by
# CT_TIMEOUT; --kill-child ends the whole namespace if unshare is killed.
ct_enter() {
	local rel=$1
	shift
	timeout -k 3 "$CT_TIMEOUT" bash -c '
		for d in $1; do echo $$ >"$d/cgroup.procs" || exit 125; done
		shift
		exec unshare --pid --fork --kill-child --mount-proc --propagation private "$@"' \
		ct "$(cg_procs_dirs "$rel" | tr '\n' ' ')" "$@"
}

# ct_sh REL SCRIPT [ARGS...]: bash SCRIPT that way, with no burrowfs file
# bound over /proc (the cgroup tree tests use the mount itself). Variables
# it needs must be exported.
ct_sh() {
	local rel=$1 script=$2
	shift 2
	ct_enter "$rel" /bin/bash -c "$script" ct "$@"
}

# ct_run MNT REL CMD...: CMD that way, with MNT's files bound over /proc and
# /sys/devices/system/cpu.
ct_run() {
	local mnt=$1 rel=$2
	shift 2
	ct_enter "$rel" /bin/bash "$T_LIB/ct-inside.sh" "$mnt" "$@"
}

# ---- parsing ----------------------------------------------------------------

# meminfo_kb TEXT KEY: the value of KEY in kB (or the bare number).
meminfo_kb() {
	awk -v k="$2:" '$1 == k { print $2; found = 1 } END { exit !found }' <<<"$1"
}

# section TEXT NAME: the lines between "@@ NAME" and the next "@@ " marker, for
# containers that print several files in one run.
section() {
	awk -v n="@@ $2" '$0 == n { on = 1; next } /^@@ / { on = 0 } on' <<<"$1"
}

host_cpus() {
	grep -c '^processor' /proc/cpuinfo
}
