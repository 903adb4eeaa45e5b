#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# share/kubernetes/burrowfs-daemonset.yaml without a cluster: its image made
# by share/kubernetes/mkimage.sh from the build, its init container and its
# burrowfs container run by podman as a node's runtime would run them
# (k8s-podman.py: privileged, the host's pid namespace, the same hostPath
# mounts and propagation, the same env and command), with the node's paths in
# the test's directory and its node cgroup below the test's own. Then:
#
# - the init container installed the hook and a hooks.d entry naming it;
# - the burrowfs container's mount reached the host (Bidirectional), its
#   keeper left the pod's cgroup for the node cgroup, and the container opted
#   itself out of the hook;
# - a workload container started by podman with the installed hooks.d entry
#   sees its limits (free, nproc, cpuinfo, uptime);
# - under the workload's reader (restart-lib), a rolling update (a new pod
#   while the old one serves, maxSurge), then the pod stopped first and the
#   next one started after (a gap: a delete, a drain, maxUnavailable), then a
#   rolling update again: not one read fails nor shows a wrong value, the
#   keeper held on in the node cgroup, each new pod took the connection over;
#   in the gap, a container's hook waits and it then gets its files, and a
#   pod whose burrowfs fails ends with its status at once;
# - the pod's burrowfs serves the seccomp agent's socket the manifest names,
#   across all three.

. "$(dirname "$0")/lib.sh"
# shellcheck source=../integration/restart-lib.sh
. "$RT_DIR/../integration/restart-lib.sh"

hooks_init
pm_need
SYSNO=$(rl_sysno) || skip "no clock_gettime syscall number for $(uname -m)"
SRC=${SOURCE_ROOT:-$RT_DIR/../..}
MANIFEST=$SRC/share/kubernetes/burrowfs-daemonset.yaml
need_rootfs
pm_init "$T_TMP/podman"

NODE=$T_TMP/node
# The manifest's Bidirectional hostPath, and burrowfs's mountpoint below it.
VOL=$NODE/var/lib/burrowfs-node
MNT=$VOL/mnt
NODE_CG=/$CG_BASE/node
DS_IMAGE=localhost/burrowfs-node:test
# A name of the test's own in the node's (the host's) /run/burrowfs.
AGENT=/run/burrowfs/test-k8s-daemonset-$$.sock
mkdir -p "$VOL"
# kubelet requires the host side of a Bidirectional mount to be shared.
mount --bind "$VOL" "$VOL" && mount --make-shared "$VOL" || die "cannot make $VOL a shared mount"
defer "umount -l '$VOL' 2>/dev/null"
# At exit, before the bind goes: the keeper's connection and mount, for good.
defer "timeout 10 '$BURROWFS' --stop '$MNT' >/dev/null 2>&1; rm -f '$AGENT'"
defer "timeout 60 $(printf '%q ' "${PM[@]}") rm -a -f -t 0 >/dev/null 2>&1"

# ds_opts CONTAINER [--env K=V]...: DS_OPTS and DS_CMD, as the node would
# run CONTAINER.
ds_opts() {
	local all=() i
	mapfile -d '' all < <("$PYTHON" "$RT_DIR/k8s-podman.py" "$MANIFEST" "$@" \
		--map "/var/lib/burrowfs-node=$VOL" --map "/opt/burrow=$NODE/opt/burrow" \
		--map "/usr/share/containers/oci/hooks.d=$PM_DIR/hooks.d" \
		--env "BURROWFS_NODE_CGROUP=$NODE_CG" --env "BURROWFS_SECCOMP_SOCKET=$AGENT") ||
		die "k8s-podman.py cannot read $MANIFEST"
	for ((i = 0; i < ${#all[@]}; i++)); do
		[ "${all[i]}" = -- ] && break
	done
	DS_OPTS=("${all[@]:0:i}")
	DS_CMD=("${all[@]:i+1}")
}

"$SRC/share/kubernetes/mkimage.sh" "$BURROWFS" "$HOOK_OCI" 2>"$T_TMP/mkimage.err" |
	pm import - "$DS_IMAGE" >"$T_TMP/import-ds.log" 2>&1
# (Each status taken before the message's $(...) would reset $?.)
rc="${PIPESTATUS[*]}"
check_eq "mkimage.sh | podman import ($(cat "$T_TMP/mkimage.err"))" "$rc" "0 0"
pm_image localhost/burrow-test:bookworm

ds_opts install-hook
pm run --rm --network none --cgroup-parent "$PM_CG" "${PM_ULIMITS[@]}" "${DS_OPTS[@]}" \
	"$DS_IMAGE" "${DS_CMD[@]}" >"$T_TMP/init.log" 2>&1
rc=$?
check_eq "the init container exits with 0 ($(tail -c 300 "$T_TMP/init.log"))" "$rc" 0
entry=$PM_DIR/hooks.d/burrow.json
hook_path=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["hook"]["path"])' \
	"$entry" 2>&1)
check_eq "the installed hooks.d entry names the installed hook" \
	"$hook_path" "$NODE/opt/burrow/bin/burrow-oci-hook"
check_cmd "the installed hook runs on the node (with its own libraries)" \
	bash -c "'$hook_path' --version | grep -q burrow-oci-hook"
check_cmd "the entry gives the hook the mount (--burrowfs $MNT)" \
	"$PYTHON" -c 'import json, sys; h = json.load(open(sys.argv[1]))
assert h["hook"]["args"][1:] == ["--burrowfs", sys.argv[2]], h
assert h["stages"] == ["createContainer"] and h["when"] == {"always": True}, h' "$entry" "$MNT"

# fs_at PATH: the type of the topmost mount at PATH, from mountinfo (a stat
# of PATH would wait for a daemon while the keeper holds the mount there).
fs_at() {
	awk -v m="$1" '$5 == m { for (i = 7; i < NF; i++) if ($i == "-") { t = $(i + 1); break } }
		END { print t }' /proc/self/mountinfo
}
fuse_at() {
	[[ $(fs_at "$1") == fuse* ]]
}

# ds_start: the burrowfs container; waits until its mount serves on the host.
# Sets DS_PID (its burrowfs, by host pid).
DS_N=0
ds_start() {
	local i
	DS_N=$((DS_N + 1))
	ds_opts burrowfs
	pm run -d --name "burrowfs-ds-$DS_N" --network none --cgroup-parent "$PM_CG" \
		"${PM_ULIMITS[@]}" "${DS_OPTS[@]}" "$DS_IMAGE" "${DS_CMD[@]}" >/dev/null 2>"$T_TMP/ds.err" ||
		die "the burrowfs container did not start: $(cat "$T_TMP/ds.err")"
	DS_SH=$(pm inspect --format '{{.State.Pid}}' "burrowfs-ds-$DS_N")
	for ((i = 0; i < 100; i++)); do
		DS_PID=$(pgrep -P "$DS_SH" -x burrowfs)
		fuse_at "$MNT" && timeout 2 test -e "$MNT/proc/meminfo" && [ -n "$DS_PID" ] && return 0
		sleep 0.1
	done
	die "the burrowfs container does not serve $MNT: $(pm logs "burrowfs-ds-$DS_N" 2>&1 | tail -5)"
}

# ds_logs: what the current burrowfs container logged.
ds_logs() {
	pm logs "burrowfs-ds-$DS_N" 2>&1
}

ds_start
check_cmd "the mount made in the pod reached the node (Bidirectional)" fuse_at "$MNT"
check_eq "below the hostPath volume, which stays the node's own directory (no FUSE)" \
	"$(fs_at "$VOL")" "$(findmnt -n -o FSTYPE -T "$T_TMP")"
check_cmd "burrowfs stays in the pod's cgroup (the runtime's signals reach it)" \
	grep -q "memory:$PM_CG/libpod-" "/proc/$DS_PID/cgroup"
check_eq "the burrowfs container opted out of the hook: nothing bound over its /proc/meminfo" \
	"$(awk '$5 == "/proc/meminfo"' "/proc/$DS_PID/mountinfo")" ""

LIMIT=268435456
WANT=$((LIMIT / 1024))
STOP=/run/burrow-restart-stop
WL=workload-$$
rl_fresh() {
	timeout 30 "${PM[@]}" exec "$WL" awk '/^MemTotal:/ { print $2 }' /proc/meminfo
}
rl_stop_reader() {
	timeout 30 "${PM[@]}" exec "$WL" touch "$STOP"
}
RL_LOG=$T_TMP/reader.log
: >"$RL_LOG"
# shellcheck disable=SC2086
timeout -k 5 600 "${PM[@]}" run --name "$WL" --network none --cgroup-parent "$PM_CG" \
	"${PM_ULIMITS[@]}" --memory 256m --cpuset-cpus 0 localhost/burrow-test:bookworm \
	perl -e "$RL_READER" "$SYSNO" "$WANT" "$STOP" $RL_FILES \
	</dev/null >"$RL_LOG" 2>"$T_TMP/workload.err" &
RL_PID=$!
defer "kill $RL_PID 2>/dev/null"
rl_wait_ticks 0 || die "the workload's reader never read: $(cat "$T_TMP/workload.err")"
WL_PID=$(pm inspect --format '{{.State.Pid}}' "$WL")
sleep 2
OUT=$(pm exec "$WL" sh -c "$RT_INSIDE" 2>&1)
check_eq "podman exec in the workload: exit status" "$?" 0
rt_check_limited "workload" "$OUT" "$LIMIT" 1 "$WL_PID"

keeper() {
	pgrep -f "^burrowfs-keeper --keeper $MNT " | head -n1
}
KEEPER=$(keeper)
check_cmd "the keeper left the pod's cgroup for the node cgroup $NODE_CG" \
	grep -q "memory:$NODE_CG\$" "/proc/${KEEPER:-0}/cgroup"

# ds_surge: a rolling update as the manifest asks for it (maxSurge 1,
# maxUnavailable 0): the new pod starts while the old one serves, its burrowfs
# takes over (an upgrade, from the same keeper), the old one exits 0 and goes.
# (Not a stop first and a start after: podman's statfs of the hostPath in the
# gap ends the connection; see the README.)
ds_surge() {
	local t0 old=$DS_N old_pid=$DS_PID
	t0=$(date +%s%N)
	ds_start
	check_cmd "surge: the new pod's burrowfs took the connection over" \
		grep -q "Took over" <<<"$(ds_logs)"
	check_eq "surge: the old pod exits with 0 (handed over; it logged: $(pm logs \
		"burrowfs-ds-$old" 2>&1 | tail -3 | tr '\n' ' '))" \
		"$(timeout 20 "${PM[@]}" wait "burrowfs-ds-$old")" 0
	check_cmd "surge: the old pod's burrowfs is gone" bash -c "! kill -0 $old_pid 2>/dev/null"
	pm rm -f "burrowfs-ds-$old" >/dev/null
	check_cmd "surge: the node's mount stays" fuse_at "$MNT"
	check_eq "surge: the same keeper holds on" "$(keeper)" "$KEEPER"
	check_cmd "surge: the new pod's burrowfs serves the seccomp agent's socket" agent_serves
	rl_phase_check "rolling update (surge)" "$t0" "$WANT"
}

# wait_for SECS CMD...: CMD succeeds within SECS seconds.
wait_for() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		"${@:2}" >/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# ds_gap: the pod stopped first and the next one started after (a delete, a
# drain, maxUnavailable): a gap with no burrowfs, in which podman stops the
# old container (signalling every process of its cgroup, hostPID), and starts
# the next one: it stats and statfs()es the hostPath source, the directory
# above the mount (were it the mount, that would wait for the burrowfs it is
# about to start). The keeper holds on; the new pod's burrowfs takes the
# connection from it; the workload's reads wait across the gap, and so does
# the hook of a container created in it, which then gets its files.
ds_gap() {
	local t0 old=$DS_N old_pid=$DS_PID gap_pid rc
	t0=$(date +%s%N)
	check_eq "gap: the pod stops with 0 (it logged: $(ds_logs | tail -3 | tr '\n' ' '))" \
		"$(timeout 60 "${PM[@]}" stop -t 30 "burrowfs-ds-$old" >/dev/null 2>&1 &&
			timeout 20 "${PM[@]}" wait "burrowfs-ds-$old")" 0
	check_cmd "gap: the old pod's burrowfs is gone" bash -c "! kill -0 $old_pid 2>/dev/null"
	pm rm -f "burrowfs-ds-$old" >/dev/null
	check_eq "gap: no burrowfs serves $MNT" \
		"$(pgrep -f "^/usr/sbin/burrowfs .*$MNT\$")" ""
	sleep 1
	check_eq "gap: the keeper holds on with no burrowfs" "$(keeper)" "$KEEPER"
	check_cmd "gap: the node's mount stays, held" fuse_at "$MNT"
	# A pod whose burrowfs fails (here: a bad option) ends, with burrowfs's
	# status, rather than look at the held mount until the keeper gives up.
	ds_opts burrowfs --env BURROWFS_RESTART_TIMEOUT=never
	timeout -k 5 60 "${PM[@]}" run --rm --network none --cgroup-parent "$PM_CG" "${PM_ULIMITS[@]}" \
		"${DS_OPTS[@]}" "$DS_IMAGE" "${DS_CMD[@]}" >"$T_TMP/bad.log" 2>&1
	rc=$?
	check_eq "gap: a pod whose burrowfs fails ends with its status ($(tail -c 200 "$T_TMP/bad.log"))" \
		"$rc" 1
	check_eq "gap: ... and the keeper still holds on" "$(keeper)" "$KEEPER"
	timeout -k 5 120 "${PM[@]}" run --rm --network none --cgroup-parent "$PM_CG" \
		"${PM_ULIMITS[@]}" --memory 192m localhost/burrow-test:bookworm \
		awk '/^MemTotal:/ { print $2 }' /proc/meminfo </dev/null >"$T_TMP/gap.out" 2>"$T_TMP/gap.err" &
	gap_pid=$!
	# Its hook (the installed one, run by ld.so) waits in the kernel.
	check_cmd "gap: the hook of a container created in the gap waits for burrowfs" \
		wait_for 20 pgrep -f "^$NODE/opt/burrow/lib/ld.so .*/libexec/burrow-oci-hook"
	ds_start
	check_cmd "gap: the new pod's burrowfs took the connection over" \
		grep -q "Took over" <<<"$(ds_logs)"
	check_eq "gap: the same keeper holds on" "$(keeper)" "$KEEPER"
	check_cmd "gap: the new pod's burrowfs serves the seccomp agent's socket" agent_serves
	rl_phase_check "stop, then start (gap)" "$t0" "$WANT"
	wait "$gap_pid"
	rc=$?
	check_eq "gap: a container created in the gap exits with 0 ($(tail -c 300 "$T_TMP/gap.err"))" \
		"$rc" 0
	check_eq "gap: ... and reads its own MemTotal (192 MiB)" "$(cat "$T_TMP/gap.out")" 196608
}

# agent_serves: something listens on the agent's socket (a connection that
# sends nothing is closed by the agent).
agent_serves() {
	"$PYTHON" -c 'import socket, sys
socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$AGENT"
}

check_cmd "the pod's burrowfs serves the seccomp agent's socket $AGENT" agent_serves
sleep 1
ds_surge
ds_gap
ds_surge
rl_finish
