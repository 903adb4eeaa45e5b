#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# runc containers that start while burrowfs restarts (issue 17): with the OCI
# hook at createRuntime, a container limited to 300 MiB started in the gap of
# a SIGTERM-and-start, of a kill -9-and-start, and during an upgrade
# takeover (the next burrowfs 1 s later) must read MemTotal = the limit: the
# keeper holds the mount and the hook waits for the next daemon. Once plain,
# once with --require. After --stop, the plain hook lets the container start
# with the host's files; --require and the io.burrow.require annotation stop
# it, and runc's error names the mountpoint.

. "$(dirname "$0")/lib.sh"
# shellcheck source=../integration/restart-lib.sh
. "$HOOKS_DIR/../integration/restart-lib.sh"

hooks_init
RUNC=$(command -v runc) || skip "runc is not installed (apt-get install runc)"
need_rootfs
bfs_start
MNT=$BFS_MNT

LIMIT=$((300 * 1024 * 1024))
WANT=$((LIMIT / 1024))
HOST=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
RUNC_ROOT=$T_TMP/runc-state
mkdir -p "$RUNC_ROOT"
defer cg_remove_every_hierarchy

# bundle NAME HOOK_ARGS ANNOTATIONS_JSON: a bundle of its own (runc may run
# two at once), an overlay of the cached rootfs, the hook at createRuntime.
bundle() {
	local b=$T_TMP/$1
	rootfs_overlay "$b/rootfs" "$b"
	(cd "$b" && "$RUNC" spec) || die "runc spec failed"
	HOOK=$HOOK_OCI ARGS=$2 ANN=$3 LIMIT=$LIMIT CGPATH="/$CG_BASE/$1" \
		"$PYTHON" - "$b/config.json" <<-'PY' || die "cannot write config.json"
		import json, os, sys
		p = sys.argv[1]
		c = json.load(open(p))
		c["process"]["terminal"] = False
		c["process"]["args"] = ["awk", "/^MemTotal:/ { print $2 }", "/proc/meminfo"]
		c["root"] = {"path": "rootfs", "readonly": False}
		c["annotations"] = json.loads(os.environ["ANN"])
		lin = c["linux"]
		lin["cgroupsPath"] = os.environ["CGPATH"]
		lin.setdefault("resources", {})
		lin["resources"]["memory"] = {"limit": int(os.environ["LIMIT"])}
		c["hooks"] = {"createRuntime": [{
		    "path": os.environ["HOOK"],
		    "args": ["burrow-oci-hook"] + os.environ["ARGS"].split(),
		    "timeout": 60}]}
		json.dump(c, open(p, "w"), indent=1)
	PY
}

# run_ct BUNDLE OUT: runc run; OUT gets what the guest printed, OUT.err runc's
# errors. The container's id comes from OUT: two may run at once.
run_ct() {
	local id
	id="burrow-gap-$$-$(basename "$2" .out)"
	timeout -k 5 120 "$RUNC" --root "$RUNC_ROOT" run --bundle "$T_TMP/$1" "$id" \
		</dev/null >"$2" 2>"$2.err"
	local rc=$?
	"$RUNC" --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1
	return "$rc"
}

bundle plain "--burrowfs $MNT" '{}'
bundle req "--burrowfs $MNT --require" '{}'
bundle ann "--burrowfs $MNT" '{"io.burrow.require": "true"}'

rl_gap_start() {
	run_ct req "$T_TMP/gap-req.out" &
	RL_GAP_PID2=$!
	run_ct plain "$T_TMP/gap-plain.out" &
	RL_GAP_PID=$!
}

run_ct plain "$T_TMP/first.out"
check_eq "before any restart: MemTotal in the guest is the limit" "$(cat "$T_TMP/first.out")" "$WANT"
rl_gap_kinds "$MNT" "$WANT" "$HOST" "hook: runc run" "$T_TMP/gap-plain.out" \
	"hook --require: runc run" "$T_TMP/gap-req.out"

# ---- burrowfs stopped for good -----------------------------------------------------------
timeout 10 "$BURROWFS" --stop "$MNT"
check_eq "--stop exits with 0" "$?" 0
run_ct plain "$T_TMP/absent.out"
check_eq "no burrowfs, hook: the container starts" "$?" 0
check_eq "no burrowfs, hook: the guest sees the host's MemTotal" "$(cat "$T_TMP/absent.out")" "$HOST"
for b in req ann; do
	run_ct "$b" "$T_TMP/absent-$b.out"
	check_num "no burrowfs, hook required ($b): runc run fails" "$?" "!=" 0
	check_eq "no burrowfs, hook required ($b): the guest command never ran" \
		"$(cat "$T_TMP/absent-$b.out")" ""
	check_cmd "no burrowfs, hook required ($b): the error names the mountpoint ($(grep -o 'burrowfs is required[^"]*' "$T_TMP/absent-$b.out.err" | head -1))" \
		grep -q "burrowfs is required (--require) but is not mounted at $MNT" \
		"$T_TMP/absent-$b.out.err"
done
