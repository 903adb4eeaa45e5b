#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# runc with linux.seccomp.listenerPath pointing at burrowfs's seccomp agent
# (the README's config.json snippet): runc sends the state and the listener,
# and sysinfo(2) in the container answers with its 300 MiB limit, as its
# /proc/meminfo (bound by the OCI hook) does: busybox free agrees with free.
# Without the listener, the same container sees the host.

. "$(dirname "$0")/lib.sh"
L_DIR=$(cd "$HOOKS_DIR/../launcher" && pwd)
# shellcheck source=../launcher/sysinfo-lib.sh
. "$L_DIR/sysinfo-lib.sh"

hooks_init
RUNC=$(command -v runc) || skip "runc is not installed (apt-get install runc)"
need_rootfs
si_build
si_bfs

RUNC_ROOT=$T_TMP/runc-state
mkdir -p "$RUNC_ROOT"
BUNDLE=$T_TMP/bundle
rootfs_overlay "$BUNDLE/rootfs" "$T_TMP"
defer cg_remove_every_hierarchy

# write_config LISTENER: config.json with the hook, the guest programs at
# /mnt/si, and with LISTENER=yes the README's seccomp section.
write_config() {
	rm -f "$BUNDLE/config.json"
	(cd "$BUNDLE" && "$RUNC" spec) || die "runc spec failed"
	LISTENER=$1 HOOK=$HOOK_OCI BFS=$BFS_MNT LIMIT=$SI_LIMIT SOCK=$SI_SOCK BIN=$SI_BIN \
		CGPATH="/$CG_BASE/runc-si-$1" "$PYTHON" - "$BUNDLE/config.json" <<-'EOF' ||
		import json, os, sys
		p = sys.argv[1]
		c = json.load(open(p))
		c["process"]["terminal"] = False
		c["process"]["args"] = ["/bin/sh", "-c",
		    "/mnt/si/check show; echo @@; cat /proc/meminfo; echo @@; /mnt/si/busybox free"]
		c["root"] = {"path": "rootfs", "readonly": False}
		c["mounts"].append({"destination": "/mnt/si", "type": "bind",
		    "source": os.environ["BIN"], "options": ["rbind", "ro"]})
		lin = c["linux"]
		lin["cgroupsPath"] = os.environ["CGPATH"]
		lin.setdefault("resources", {})
		lin["resources"]["memory"] = {"limit": int(os.environ["LIMIT"])}
		c["hooks"] = {"createRuntime": [{
		    "path": os.environ["HOOK"],
		    "args": ["burrow-oci-hook", "--burrowfs", os.environ["BFS"]],
		    "timeout": 20}]}
		if os.environ["LISTENER"] == "yes":
		    lin["seccomp"] = {
		        "defaultAction": "SCMP_ACT_ALLOW",
		        "listenerPath": os.environ["SOCK"],
		        "listenerMetadata": "burrow",
		        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		        "syscalls": [{"names": ["sysinfo"], "action": "SCMP_ACT_NOTIFY"}]}
		json.dump(c, open(p, "w"), indent=1)
	EOF
		die "cannot write config.json"
}

# run_ct LISTENER: sets OUT and RC.
run_ct() {
	local id="burrow-si-$$-$1"
	write_config "$1"
	defer "'$RUNC' --root '$RUNC_ROOT' delete -f '$id' >/dev/null 2>&1"
	OUT=$(timeout -k 5 120 "$RUNC" --root "$RUNC_ROOT" run --bundle "$BUNDLE" "$id" \
		</dev/null 2>"$T_TMP/runc-$1.err")
	RC=$?
	sed "s/^/# runc: /" "$T_TMP/runc-$1.err"
	"$RUNC" --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1
}

run_ct yes
check_eq "listenerPath: runc exit status" "$RC" 0
printf '%s\n' "$OUT" >"$T_TMP/out"
check_eq "listenerPath: sysinfo totalram is the limit" "$(si_field "$T_TMP/out" totalram)" $SI_LIMIT
check_eq "listenerPath: sysinfo totalram = MemTotal" "$(si_field "$T_TMP/out" totalram)" \
	"$(awk '$1 == "MemTotal:" { printf "%.0f\n", $2 * 1024 }' "$T_TMP/out")"
check_eq "listenerPath: glibc get_phys_pages() is the limit" \
	"$(si_field "$T_TMP/out" phys_pages_bytes)" $SI_LIMIT
check_eq "listenerPath: busybox free total (kB)" \
	"$(awk '$1 == "Mem:" { print $2 }' "$T_TMP/out")" $((SI_LIMIT / 1024))

run_ct no
check_eq "no listener: runc exit status" "$RC" 0
printf '%s\n' "$OUT" >"$T_TMP/out"
check_eq "no listener: sysinfo totalram is the host's" "$(si_field "$T_TMP/out" totalram)" \
	"$SI_HOST_RAM"
