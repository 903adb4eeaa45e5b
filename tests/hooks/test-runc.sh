#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# runc runs a Debian 12 rootfs with a 256 MiB memory limit and one CPU, the
# burrow OCI hook in each stage it can serve (createRuntime, prestart,
# createContainer). Inside, /proc/meminfo, /proc/cpuinfo, nproc and
# /sys/devices/system/cpu/online must show the limits; without the hook they
# show the host. Nothing may be left mounted on the host.

. "$(dirname "$0")/lib.sh"

hooks_init
RUNC=$(command -v runc) || skip "runc is not installed (apt-get install runc)"
need_rootfs
bfs_start

LIMIT=268435456
RUNC_ROOT=$T_TMP/runc-state
mkdir -p "$RUNC_ROOT"

BUNDLE=$T_TMP/bundle
rootfs_overlay "$BUNDLE/rootfs" "$T_TMP"
defer cg_remove_every_hierarchy
leaks_before=$(host_leaks)

INSIDE='
echo "@@ meminfo"; cat /proc/meminfo
echo "@@ cpuinfo"; cat /proc/cpuinfo
echo "@@ nproc"; nproc
echo "@@ online"; cat /sys/devices/system/cpu/online
echo "@@ fstype"; stat -f -c %T /proc/meminfo
echo "@@ end"'

# write_config STAGE: the bundle's config.json, with the hook in STAGE ("none":
# no hook).
write_config() {
	local stage=$1
	rm -f "$BUNDLE/config.json"
	(cd "$BUNDLE" && "$RUNC" spec) || die "runc spec failed"
	STAGE=$stage HOOK=$HOOK_OCI BFS=$BFS_MNT SCRIPT=$INSIDE LIMIT=$LIMIT \
		CGPATH="/$CG_BASE/runc-$stage" "$PYTHON" - "$BUNDLE/config.json" <<-'EOF' ||
		import json, os, sys
		p = sys.argv[1]
		c = json.load(open(p))
		c["process"]["terminal"] = False
		c["process"]["args"] = ["/bin/sh", "-c", os.environ["SCRIPT"]]
		c["root"] = {"path": "rootfs", "readonly": False}
		c["hostname"] = "burrow-hooks"
		lin = c["linux"]
		lin["cgroupsPath"] = os.environ["CGPATH"]
		lin.setdefault("resources", {})
		lin["resources"]["memory"] = {"limit": int(os.environ["LIMIT"])}
		lin["resources"]["cpu"] = {"cpus": "0", "mems": "0"}
		stage = os.environ["STAGE"]
		if stage != "none":
		    c["hooks"] = {stage: [{
		        "path": os.environ["HOOK"],
		        "args": ["burrow-oci-hook", "--burrowfs", os.environ["BFS"], "--verbose"],
		        "timeout": 20}]}
		json.dump(c, open(p, "w"), indent=1)
	EOF
		die "cannot write config.json"
}

# run_ct STAGE: run the container; sets OUT and RC.
run_ct() {
	local stage=$1 id="burrow-hooks-$$-$1"
	write_config "$stage"
	defer "'$RUNC' --root '$RUNC_ROOT' delete -f '$id' >/dev/null 2>&1"
	OUT=$(timeout -k 5 120 "$RUNC" --root "$RUNC_ROOT" run --bundle "$BUNDLE" "$id" \
		</dev/null 2>"$T_TMP/runc-$stage.err")
	RC=$?
	sed "s/^/# runc $stage: /" "$T_TMP/runc-$stage.err"
	"$RUNC" --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1
}

host_total=$(meminfo_kb "$(cat /proc/meminfo)" MemTotal)

run_ct none
check_eq "no hook: runc exit status" "$RC" 0
check_eq "no hook: MemTotal is the host's" \
	"$(meminfo_kb "$(section "$OUT" meminfo)" MemTotal)" "$host_total"
check_eq "no hook: cpuinfo shows the host's CPUs" \
	"$(section "$OUT" cpuinfo | grep -c '^processor')" "$(host_cpus)"

for stage in createRuntime prestart createContainer; do
	run_ct "$stage"
	check_eq "$stage: runc exit status" "$RC" 0
	check_eq "$stage: /proc/meminfo MemTotal is the limit" \
		"$(meminfo_kb "$(section "$OUT" meminfo)" MemTotal)" $((LIMIT / 1024))
	free_kb=$(meminfo_kb "$(section "$OUT" meminfo)" MemFree)
	check_num "$stage: MemFree within the limit" "${free_kb:-x}" "<=" $((LIMIT / 1024))
	check_eq "$stage: /proc/cpuinfo has one processor" \
		"$(section "$OUT" cpuinfo | grep -c '^processor')" 1
	check_eq "$stage: nproc" "$(section "$OUT" nproc)" 1
	check_eq "$stage: /sys/devices/system/cpu/online" "$(section "$OUT" online)" 0
	check_cmd "$stage: /proc/meminfo is served by FUSE" \
		grep -q fuse <<<"$(section "$OUT" fstype)"
	check_eq "$stage: nothing left mounted on the host" "$(host_leaks)" "$leaks_before"
done
