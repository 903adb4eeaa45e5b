#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# burrowfs restarts under a runc container that got its files from the OCI
# hook (createRuntime): a Debian 12 rootfs limited to 256 MiB runs a reader of
# /proc/meminfo (also through a handle held open throughout), the other /proc
# files and /sys/devices/system/cpu/online in a loop. burrowfs is restarted by
# SIGTERM and a new start, by kill -9 and a new start, and by an upgrade
# takeover; after each, not one read failed, MemTotal stayed the limit, and a
# new process (runc exec) reads the limit.

. "$(dirname "$0")/lib.sh"
# shellcheck source=../integration/restart-lib.sh
. "$HOOKS_DIR/../integration/restart-lib.sh"

hooks_init
RUNC=$(command -v runc) || skip "runc is not installed (apt-get install runc)"
SYSNO=$(rl_sysno) || skip "no clock_gettime syscall number for $(uname -m)"
need_rootfs
RL_BFS_OPTS=(--control-socket "$T_TMP/control.sock")
bfs_start "${RL_BFS_OPTS[@]}"
MNT=$BFS_MNT

LIMIT=268435456
WANT=$((LIMIT / 1024))
STOP=/run/burrow-restart-stop
RUNC_ROOT=$T_TMP/runc-state
ID=burrow-restart-$$
mkdir -p "$RUNC_ROOT"

BUNDLE=$T_TMP/bundle
rootfs_overlay "$BUNDLE/rootfs" "$T_TMP"
defer cg_remove_every_hierarchy

(cd "$BUNDLE" && "$RUNC" spec) || die "runc spec failed"
# shellcheck disable=SC2086
HOOK=$HOOK_OCI BFS=$MNT LIMIT=$LIMIT CGPATH="/$CG_BASE/runc-restart" SCRIPT=$RL_READER \
	"$PYTHON" - "$BUNDLE/config.json" "$SYSNO" "$WANT" "$STOP" $RL_FILES <<-'EOF' ||
	import json, os, sys
	p = sys.argv[1]
	c = json.load(open(p))
	c["process"]["terminal"] = False
	c["process"]["args"] = ["perl", "-e", os.environ["SCRIPT"]] + sys.argv[2:]
	c["root"] = {"path": "rootfs", "readonly": False}
	c["hostname"] = "burrow-restart"
	lin = c["linux"]
	lin["cgroupsPath"] = os.environ["CGPATH"]
	lin.setdefault("resources", {})
	lin["resources"]["memory"] = {"limit": int(os.environ["LIMIT"])}
	c["hooks"] = {"createRuntime": [{
	    "path": os.environ["HOOK"],
	    "args": ["burrow-oci-hook", "--burrowfs", os.environ["BFS"], "--control-socket", os.environ["BFS"] + "/../control.sock"],
	    "timeout": 20}]}
	json.dump(c, open(p, "w"), indent=1)
EOF
	die "cannot write config.json"

rl_fresh() {
	timeout 30 "$RUNC" --root "$RUNC_ROOT" exec "$ID" awk '/^MemTotal:/ { print $2 }' /proc/meminfo
}
rl_stop_reader() {
	timeout 30 "$RUNC" --root "$RUNC_ROOT" exec "$ID" touch "$STOP"
}

RL_LOG=$T_TMP/reader.log
: >"$RL_LOG"
timeout -k 5 600 "$RUNC" --root "$RUNC_ROOT" run --bundle "$BUNDLE" "$ID" \
	</dev/null >"$RL_LOG" 2>"$T_TMP/runc.err" &
RL_PID=$!
defer "'$RUNC' --root '$RUNC_ROOT' delete -f '$ID' >/dev/null 2>&1; kill $RL_PID 2>/dev/null"
rl_wait_ticks 0 || die "the container's reader never read: $(cat "$T_TMP/runc.err")"
check_cmd "the hook bound burrowfs's meminfo in the container" \
	bash -c "'$RUNC' --root '$RUNC_ROOT' exec '$ID' stat -f -c %T /proc/meminfo | grep -q fuse"
check_eq "before any restart: a new process reads MemTotal = the limit" "$(rl_fresh)" "$WANT"
check_num "its own connection" "$("$RUNC" --root "$RUNC_ROOT" exec "$ID" stat -c %d /proc/meminfo)" "!=" "$(stat -c %d "$MNT/proc/meminfo")"
sleep 1

rl_restarts "$MNT" "$WANT"
rl_finish
sed 's/^/# runc: /' "$T_TMP/runc.err"
