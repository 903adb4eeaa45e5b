#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Debian's podman, rootless, with burrow's hooks.d entry: an ordinary user
# with subordinate ids, logged in through pam_cgfs. On cgroup v1 rootless
# podman makes no cgroup and ignores --memory and --cpuset-cpus ("not
# supported ... on cgroups V1 rootless systems"): a container stays in the
# cgroup podman was started from. The user limits a child of the cgroup
# pam_cgfs gave the login (memory, cpuset), starts podman from it, and the
# container's free -b, nproc, /proc/cpuinfo and uptime show those limits,
# read back from the cgroup files the user wrote. With
# --annotation io.burrow.disable=true they show the host's.

. "$(dirname "$0")/lib.sh"
# shellcheck source=../lib/users.sh
. "$RT_DIR/../lib/users.sh"

hooks_init
pm_need
need_rootfs
command -v newuidmap >/dev/null || die "newuidmap is not installed (apt-get install uidmap)"
[ -e /lib/x86_64-linux-gnu/security/pam_cgfs.so ] || [ -e /usr/lib/x86_64-linux-gnu/security/pam_cgfs.so ] ||
	die "pam_cgfs is not installed (apt-get install libpam-cgfs)"
# Rootless podman limits a container itself where cgroup v2 holds memory.
[ -n "${CG_V1[memory]:-}" ] && [ -n "${CG_V1[cpuset]:-}" ] ||
	skip "memory or cpuset not on cgroup v1: rootless podman sets its limits itself"
mem_root=${CG_V1[memory]}
cpuset_root=${CG_V1[cpuset]}

bfs_start

# The user, its subordinate ids and a pam_cgfs login that holds its cgroups;
# all of it (podman's pause process too) goes at exit.
U=burrowpr$$
l_user "$U"
l_subids "$U" 400000
l_pam_cgfs
l_login "$U"
ucg=$(awk -F: '$2 == "memory" { print $3 }' "/proc/$L_LOGIN_PID/cgroup")
check_cmd "pam_cgfs gave the login a memory cgroup of the user's ($ucg)" \
	test "$(stat -c %U "$mem_root$ucg" 2>/dev/null)" = "$U"

# as_user CMD: CMD as the user, inside its login's cgroups, with its own runtime dir.
as_user() {
	as "$U" "export XDG_RUNTIME_DIR=~/run; $1"
}

# The user limits a child of its login's cgroup and moves itself there.
LIMIT=201326592
lim="$ucg/lim"
PMU="podman --root ~/pm/root --runroot ~/run/pm --tmpdir ~/pm/tmp --cgroup-manager cgroupfs \
--events-backend file --storage-driver vfs --hooks-dir ~/pm/hooks.d --runtime $PM_RUNC"
as_user "mkdir -p ~/run ~/pm/hooks.d && chmod 700 ~/run &&
	mkdir '$mem_root$lim' '$cpuset_root$lim' &&
	cat '$cpuset_root$ucg/cpuset.mems' > '$cpuset_root$lim/cpuset.mems' &&
	echo 0 > '$cpuset_root$lim/cpuset.cpus' &&
	echo $LIMIT > '$mem_root$lim/memory.limit_in_bytes'" 2>"$T_TMP/lim.err"
status=$? # before the message's $(...) resets it
check_eq "the user limits a child of its cgroup ($(tail -c 200 "$T_TMP/lim.err"))" "$status" 0
check_eq "memory.limit_in_bytes the user wrote" "$(cat "$mem_root$lim/memory.limit_in_bytes")" "$LIMIT"
check_eq "cpuset.cpus the user wrote" "$(cat "$cpuset_root$lim/cpuset.cpus")" 0

PM_DIR=$T_TMP/pmhooks
mkdir -p "$PM_DIR/hooks.d"
pm_hooksd "$BFS_MNT"
install -o "$U" -m 644 "$PM_DIR/hooks.d/burrow.json" "/home/$U/pm/hooks.d/burrow.json"
tar --numeric-owner -C "$ROOTFS_SRC" "${PM_EXCLUDES[@]}" -c . >"$T_TMP/image.tar" || die "tar"
chmod 644 "$T_TMP/image.tar"
as_user "$PMU import $T_TMP/image.tar localhost/burrow-test:bookworm" >"$T_TMP/import.log" 2>&1
status=$? # before the message's $(...) resets it
check_eq "rootless podman import ($(tail -c 200 "$T_TMP/import.log"))" "$status" 0
defer "as_user '$PMU rm -a -f -t 0; $PMU rmi -a -f' >/dev/null 2>&1"

# in_lim CMD: CMD as the user from the limited cgroup.
in_lim() {
	as_user "for h in '$mem_root' '$cpuset_root'; do echo \$\$ > \"\$h$lim/cgroup.procs\"; done; $1"
}

ID=$(in_lim "$PMU run -d --network none ${PM_ULIMITS[*]} localhost/burrow-test:bookworm sleep 600" 2>"$T_TMP/run.err")
status=$? # before the message's $(...) resets it
check_eq "rootless podman run -d ($(tail -c 300 "$T_TMP/run.err"))" "$status" 0
ID=$(tail -n1 <<<"$ID")
PID=$(as_user "$PMU inspect --format '{{.State.Pid}}' $ID")
check_num "the container's init has a host pid" "${PID:-x}" ">" 1
# runc makes the container a cgroup of its own where the user may: below lim.
ccg=$(awk -F: '$2 == "memory" { print $3 }' "/proc/${PID:-0}/cgroup")
check_cmd "the container's init is in (or below) the user's limited cgroup ($ccg)" \
	test "$ccg" = "$lim" -o "${ccg#"$lim"/}" != "$ccg"
sleep 2
OUT=$(as_user "$PMU exec $ID sh -c '$RT_INSIDE'" 2>&1)
check_eq "podman exec exit status" "$?" 0
rt_check_limited "rootless" "$OUT" "$LIMIT" 1 "$PID"
as_user "$PMU rm -f -t 0 $ID" >/dev/null 2>&1

OUT=$(in_lim "$PMU run --rm --network none ${PM_ULIMITS[*]} --annotation io.burrow.disable=true \
	localhost/burrow-test:bookworm sh -c '$RT_INSIDE'" 2>&1)
check_eq "opt-out: rootless podman run exit status" "$?" 0
rt_check_host "rootless opt-out" "$OUT"
