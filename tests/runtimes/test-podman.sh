#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Debian's podman, rootful, with burrow's hooks.d entry as meson configured it
# (only the hook's path and --burrowfs changed to the build's): a Debian 12
# image imported from the cached rootfs, `podman run --memory 256m
# --cpuset-cpus 0`. Inside, free -b, nproc, /proc/cpuinfo,
# /sys/devices/system/cpu/online, /proc/uptime and uptime(1) show the limits
# that podman wrote into the container's cgroup and the age of the
# container's init; with --annotation io.burrow.disable=true they show the
# host's. Nothing is left mounted on the host.

. "$(dirname "$0")/lib.sh"

hooks_init
pm_need
need_rootfs
bfs_start
pm_init "$T_TMP/podman"
pm_hooksd "$BFS_MNT"
pm_image localhost/burrow-test:bookworm
leaks_before=$(host_leaks)

LIMIT=268435456

# A container that lives while the test looks at it from both sides.
ID=$(pm run -d --network none --cgroup-parent "$PM_CG" "${PM_ULIMITS[@]}" \
	--memory 256m --cpuset-cpus 0 localhost/burrow-test:bookworm sleep 600 2>"$T_TMP/run.err")
status=$? # before the message's $(...) resets it
check_eq "podman run -d exit status ($(tail -c 300 "$T_TMP/run.err"))" "$status" 0
ID=$(tail -n1 <<<"$ID")
PID=$(pm inspect --format '{{.State.Pid}}' "$ID")
check_num "the container's init has a host pid" "${PID:-x}" ">" 1

# Ground truth: what podman wrote into the cgroup it made for the container.
mem=$(pm_cg_file "$ID" memory memory.limit_in_bytes || pm_cg_file "$ID" memory memory.max)
cpus=$(pm_cg_file "$ID" cpuset cpuset.cpus || pm_cg_file "$ID" cpuset cpuset.cpus.effective)
check_eq "podman wrote the memory limit into the container's cgroup" "$mem" "$LIMIT"
check_eq "podman wrote cpuset 0 into the container's cgroup" "$cpus" 0
check_cmd "the container's init is in that cgroup" \
	grep -q "memory:$PM_CG/libpod-$ID\$" "/proc/$PID/cgroup"

# Old enough that an uptime counted from the host's boot, or from 0, shows.
sleep 2
OUT=$(pm exec "$ID" sh -c "$RT_INSIDE" 2>&1)
check_eq "podman exec exit status" "$?" 0
rt_check_limited "limited" "$OUT" "$mem" 1 "$PID"

pm rm -f -t 0 "$ID" >/dev/null 2>&1
check_eq "the container is gone" "$(pm ps -a -q)" ""

# The opt-out: the same limits, the host's files.
OUT=$(pm run --rm --network none --cgroup-parent "$PM_CG" "${PM_ULIMITS[@]}" \
	--annotation io.burrow.disable=true --memory 256m --cpuset-cpus 0 \
	localhost/burrow-test:bookworm sh -c "$RT_INSIDE" 2>&1)
check_eq "opt-out: podman run exit status" "$?" 0
rt_check_host "opt-out" "$OUT"
# nproc counts the affinity mask the kernel's cpuset sets: 1 either way.
check_eq "opt-out: nproc (sched_getaffinity, the kernel's cpuset)" "$(section "$OUT" nproc)" 1

check_eq "nothing left mounted on the host" "$(host_leaks)" "$leaks_before"
