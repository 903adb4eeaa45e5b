#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The hooks' input handling against a real burrowfs: good and hostile rootfs
# trees, malformed OCI state, a missing burrowfs, the opt-out annotation, a
# second run, and LXC mode. Each "container" is a process in a private copy of
# the host's mount namespace; after every case nothing may be bound from
# burrowfs in the host's namespace, and in the container's only what is
# expected, only inside its rootfs.

. "$(dirname "$0")/lib.sh"

hooks_init
bfs_start
# Every run below finds burrowfs here unless the case says otherwise.
export BURROWFS_DIR=$BFS_MNT

ENTRIES="proc/cpuinfo proc/meminfo proc/stat proc/uptime proc/loadavg proc/diskstats
proc/swaps proc/slabinfo proc/vmstat proc/pressure/cpu proc/pressure/io proc/pressure/memory
sys/devices/system/cpu"

# run_hook NAME STDIN ARGS...: run the OCI hook; sets RC and ERR (its stderr).
run_hook() {
	local name=$1 input=$2
	shift 2
	printf '%s' "$input" | timeout 20 "$HOOK_OCI" "$@" 2>"$T_TMP/$name.err"
	RC=$?
	ERR=$(cat "$T_TMP/$name.err")
	[ -z "$ERR" ] || sed "s/^/# $name: /" "$T_TMP/$name.err"
}

check_no_host_leak() {
	check_eq "$1: nothing bound in the host's mount namespace" "$(host_leaks | tr '\n' ' ')" ""
}

# A bundle whose rootfs gets a real procfs and sysfs inside the sandbox.
make_real_bundle() {
	local b=$1
	mkdir -p "$b/rootfs/proc" "$b/rootfs/sys" "$b/rootfs/etc"
	printf '{"ociVersion":"1.0.2","root":{"path":"rootfs"}}\n' >"$b/config.json"
	nsenter -t "$SB" -m sh -c "mount -t proc proc '$b/rootfs/proc' &&
		mount -t sysfs sysfs '$b/rootfs/sys'" || die "cannot mount proc/sys in the sandbox"
}

# The files a correct hook binds: present in burrowfs and in the rootfs.
expected_binds() {
	local rootfs=$1 e
	for e in $ENTRIES; do
		if [ -e "$BFS_MNT/$e" ] && nsenter -t "$SB" -m test -e "$rootfs/$e"; then
			echo "$rootfs/$e"
		fi
	done | sort
}

# ---- a well-formed container, as createRuntime/prestart see it ------------------

sandbox_new
B=$T_TMP/good
make_real_bundle "$B"
want=$(expected_binds "$B/rootfs")
check_cmd "burrowfs serves proc/meminfo and the CPU directory" \
	test -f "$BFS_MNT/proc/meminfo" -a -d "$BFS_MNT/sys/devices/system/cpu"

run_hook good "$(oci_state "$SB" "$B")"
check_eq "good rootfs: exit status" "$RC" 0
got=$(sandbox_mounts "$SB")
check_eq "good rootfs: bound exactly the files both sides have" "$got" "$want"
check_cmd "good rootfs: proc/meminfo and the cpu directory among them" \
	grep -qx -e "$B/rootfs/proc/meminfo" <<<"$got"
check_cmd "good rootfs: sys/devices/system/cpu bound" \
	grep -qx -e "$B/rootfs/sys/devices/system/cpu" <<<"$got"
inside=$(nsenter -t "$SB" -m cat "$B/rootfs/proc/meminfo")
check_eq "good rootfs: its proc/meminfo is burrowfs's" \
	"$(meminfo_kb "$inside" MemTotal)" "$(meminfo_kb "$(cat "$BFS_MNT/proc/meminfo")" MemTotal)"
check_no_host_leak "good rootfs"

run_hook twice "$(oci_state "$SB" "$B")"
check_eq "second run: exit status" "$RC" 0
check_eq "second run: binds nothing more" "$(sandbox_mounts "$SB")" "$want"
check_no_host_leak "second run"

# ---- a hostile rootfs -------------------------------------------------------------

sandbox_new
B=$T_TMP/hostile
R=$B/rootfs
mkdir -p "$R/proc" "$R/decoy/devices/system/cpu" "$R/etc"
printf '{"ociVersion":"1.0.2","root":{"path":"rootfs"}}\n' >"$B/config.json"
echo "root:x:0:0:decoy:/root:/bin/sh" >"$R/etc/passwd"
ln -s /etc/passwd "$R/proc/meminfo"
ln -s ../../../../../../../../../../../etc/passwd "$R/proc/cpuinfo"
ln -s ../../../../../../../../../../../proc/pressure "$R/proc/pressure"
ln -s /decoy "$R/sys"
touch "$R/proc/stat"
mkfifo "$R/proc/loadavg"
mkdir "$R/proc/swaps"
passwd_before=$(nsenter -t "$SB" -m sha256sum /etc/passwd)

run_hook hostile "$(oci_state "$SB" "$B")"
check_eq "hostile rootfs: exit status (the container still starts)" "$RC" 0
check_eq "hostile rootfs: only the regular file and the in-root directory are bound" \
	"$(sandbox_mounts "$SB" | tr '\n' ' ')" "$R/decoy/devices/system/cpu $R/proc/stat "
check_cmd "hostile rootfs: the symlinked proc/meminfo is reported" \
	grep -q 'proc/meminfo.*symlink' <<<"$ERR"
check_eq "hostile rootfs: the host's /etc/passwd in the container's namespace is untouched" \
	"$(nsenter -t "$SB" -m sha256sum /etc/passwd)" "$passwd_before"
check_eq "hostile rootfs: the decoy passwd is untouched" \
	"$(cat "$R/etc/passwd")" "root:x:0:0:decoy:/root:/bin/sh"
check_no_host_leak "hostile rootfs"

# ---- malformed state: exit 1 with a message, nothing bound --------------------------

sandbox_new
B=$T_TMP/bad
make_real_bundle "$B"
bad_case() {
	local name=$1 input=$2 pattern=$3
	run_hook "$name" "$input"
	check_eq "$name: exit status" "$RC" 1
	check_cmd "$name: message says why" grep -q -- "$pattern" <<<"$ERR"
	check_eq "$name: nothing bound in the container" "$(sandbox_mounts "$SB")" ""
	check_no_host_leak "$name"
}
bad_case "truncated JSON" '{"ociVersion":"1.0.2","pid":' "not valid JSON"
bad_case "empty state" '' "OCI state on stdin is empty"
bad_case "array state" '[1,2]' "not a JSON object"
bad_case "bundle not a string" "{\"pid\":$SB,\"bundle\":5}" '"bundle" is not a string'
bad_case "relative bundle" "{\"pid\":$SB,\"bundle\":\"good\"}" "not an absolute path"
bad_case "pid not a number" "{\"pid\":\"$SB\",\"bundle\":\"$B\"}" '"pid" is not a process id'
bad_case "no such pid" "$(oci_state 999999999 "$B")" "cannot open /proc/999999999/ns/mnt"
bad_case "no config.json" "$(oci_state "$SB" "$T_TMP/nowhere")" "cannot open $T_TMP/nowhere/config.json"
mkdir -p "$T_TMP/badconf"
echo '{"root": {"path": 7}}' >"$T_TMP/badconf/config.json"
bad_case "root.path not a string" "$(oci_state "$SB" "$T_TMP/badconf")" "has no root.path"
echo '{"root": ' >"$T_TMP/badconf/config.json"
bad_case "config.json truncated" "$(oci_state "$SB" "$T_TMP/badconf")" "config.json is not valid JSON"

# ---- burrowfs not mounted: exit 0, a message, nothing bound -------------------------

mkdir -p "$T_TMP/empty"
for how in "--burrowfs $T_TMP/nonexistent" "--burrowfs $T_TMP/empty" "env"; do
	if [ "$how" = env ]; then
		printf '%s' "$(oci_state "$SB" "$B")" |
			BURROWFS_DIR=$T_TMP/empty timeout 20 "$HOOK_OCI" 2>"$T_TMP/nobfs.err"
		RC=$?
	else
		# shellcheck disable=SC2086
		printf '%s' "$(oci_state "$SB" "$B")" |
			timeout 20 "$HOOK_OCI" $how 2>"$T_TMP/nobfs.err"
		RC=$?
	fi
	ERR=$(cat "$T_TMP/nobfs.err")
	check_eq "no burrowfs ($how): exit status" "$RC" 0
	check_cmd "no burrowfs ($how): says so" grep -q "burrowfs is not mounted at $T_TMP" <<<"$ERR"
	check_eq "no burrowfs ($how): nothing bound" "$(sandbox_mounts "$SB")" ""
	check_no_host_leak "no burrowfs ($how)"
done

# ---- opt-out annotation ------------------------------------------------------------

run_hook optout "$(oci_state "$SB" "$B" '{"io.burrow.disable":"true"}')" --burrowfs "$BFS_MNT"
check_eq "opt-out in state: exit status" "$RC" 0
check_cmd "opt-out in state: says so" grep -q "disabled by annotation io.burrow.disable" <<<"$ERR"
check_eq "opt-out in state: nothing bound" "$(sandbox_mounts "$SB")" ""

mkdir -p "$T_TMP/optconf"
printf '{"root":{"path":"%s"},"annotations":{"io.burrow.disable":"yes"}}\n' "$B/rootfs" \
	>"$T_TMP/optconf/config.json"
run_hook optconf "$(oci_state "$SB" "$T_TMP/optconf")"
check_eq "opt-out in config.json (absolute root.path): exit status" "$RC" 0
check_cmd "opt-out in config.json: says so" grep -q "in config.json" <<<"$ERR"
check_eq "opt-out in config.json: nothing bound" "$(sandbox_mounts "$SB")" ""
check_no_host_leak "opt-out"

run_hook optfalse "$(oci_state "$SB" "$B" '{"io.burrow.disable":"false"}')" -b "$BFS_MNT"
check_eq "annotation false: exit status" "$RC" 0
check_eq "annotation false: binds as usual" "$(sandbox_mounts "$SB")" "$(expected_binds "$B/rootfs")"
check_no_host_leak "annotation false"

# ---- createContainer: already in the container's mount namespace -------------------

B=$T_TMP/inside
mkdir -p "$B/rootfs/proc" "$B/rootfs/sys"
printf '{"root":{"path":"rootfs"}}\n' >"$B/config.json"
for pid in 0 1; do
	out=$(oci_state "$pid" "$B" | BURROWFS_DIR=$BFS_MNT unshare -m --propagation private sh -c '
		mount -t proc proc "$2/rootfs/proc" && mount -t sysfs sysfs "$2/rootfs/sys" || exit 99
		"$1"; rc=$?
		cat /proc/self/mountinfo >"$3"
		exit $rc' sh "$HOOK_OCI" "$B" "$T_TMP/inside-$pid.mountinfo" 2>&1)
	RC=$?
	[ -z "$out" ] || note "inside pid $pid: $out"
	check_eq "createContainer (pid $pid): exit status" "$RC" 0
	got=$(mounts_from_bfs "$T_TMP/inside-$pid.mountinfo")
	check_cmd "createContainer (pid $pid): proc/meminfo bound in the rootfs" \
		grep -qx "$B/rootfs/proc/meminfo" <<<"$got"
	check_eq "createContainer (pid $pid): nothing bound outside the rootfs" \
		"$(grep -v "^$B/rootfs/" <<<"$got")" ""
	check_no_host_leak "createContainer (pid $pid)"
done

# ---- LXC mode ----------------------------------------------------------------------

B=$T_TMP/lxc
mkdir -p "$B/rootfs/proc" "$B/rootfs/sys"
lxc_case() {
	local name=$1 want_rc=$2
	shift 2
	out=$(env -u LXC_ROOTFS_MOUNT -u LXC_HOOK_TYPE "$@" unshare -m --propagation private sh -c '
		mount -t proc proc "$2/rootfs/proc" && mount -t sysfs sysfs "$2/rootfs/sys" || exit 99
		"$1" --burrowfs "$4" c1 lxc mount; rc=$?
		cat /proc/self/mountinfo >"$3"
		exit $rc' sh "$HOOK_LXC" "$B" "$T_TMP/lxc.mountinfo" "$BFS_MNT" 2>&1)
	RC=$?
	[ -z "$out" ] || note "$name: $out"
	check_eq "$name: exit status" "$RC" "$want_rc"
	check_no_host_leak "$name"
}
lxc_case "LXC mount hook" 0 LXC_HOOK_TYPE=mount LXC_NAME=c1 LXC_ROOTFS_MOUNT="$B/rootfs"
got=$(mounts_from_bfs "$T_TMP/lxc.mountinfo")
check_cmd "LXC mount hook: proc/meminfo bound" grep -qx "$B/rootfs/proc/meminfo" <<<"$got"
check_cmd "LXC mount hook: sys/devices/system/cpu bound" \
	grep -qx "$B/rootfs/sys/devices/system/cpu" <<<"$got"
check_eq "LXC mount hook: nothing outside the rootfs" "$(grep -v "^$B/rootfs/" <<<"$got")" ""

lxc_case "LXC without LXC_ROOTFS_MOUNT" 1 LXC_HOOK_TYPE=mount
lxc_case "LXC pre-start (host namespace) refused" 1 LXC_HOOK_TYPE=pre-start \
	LXC_ROOTFS_MOUNT="$B/rootfs"
check_eq "LXC pre-start: nothing bound" "$(mounts_from_bfs "$T_TMP/lxc.mountinfo")" ""

# ---- command line ------------------------------------------------------------------

check_cmd "--help exits 0" "$HOOK_OCI" --help
check_cmd "--version names the hook" sh -c "'$HOOK_LXC' --version | grep -q burrow-lxc-hook"
"$HOOK_OCI" --no-such-option </dev/null 2>/dev/null
check_eq "unknown option: exit status" "$?" 1
check_no_host_leak "all cases"
