#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# runc with the OCI hook's per-container default (issue 14), in prestart
# (the container's host pid names it) and createContainer (the hook runs
# inside it, and names it by its own pid; given --per-container, which stays
# accepted): the guest's /proc files come from its own burrowfs connection,
# with the container's values, cached by the kernel (the daemon's READ
# counter barely moves over many reads). Without a control socket, or with
# none known for the burrowfs given: one line, and the shared mount's files.
# --shared: the shared mount's files, and no connection. Nothing is left
# mounted on the host, and each connection ends with its container.

. "$(dirname "$0")/lib.sh"

hooks_init
RUNC=$(command -v runc) || die "runc is not installed (apt-get install runc)"
CTL=${BURROWFS_CTL:-$HOOKS_DIR/../../build/hooks/burrowfs-ctl}
[ -x "$CTL" ] || die "burrowfs-ctl not built at $CTL"
need_rootfs
SOCK=$T_TMP/control.sock
bfs_start --control-socket "$SOCK"

LIMIT=268435456
RUNC_ROOT=$T_TMP/runc-state
mkdir -p "$RUNC_ROOT"
BUNDLE=$T_TMP/bundle
mkdir -p "$BUNDLE/rootfs" "$T_TMP/upper" "$T_TMP/work"
mount -t overlay overlay \
	-o "lowerdir=$ROOTFS_SRC,upperdir=$T_TMP/upper,workdir=$T_TMP/work" "$BUNDLE/rootfs" ||
	die "cannot mount an overlay of $ROOTFS_SRC"
defer "umount -l '$BUNDLE/rootfs'"
defer cg_remove_every_hierarchy
leaks_before=$(host_leaks)
shared_dev=$(stat -c %d "$BFS_MNT/proc/meminfo")

# runc shows a hook's stderr only when it fails: the hook's lines go to a log.
HOOKLOG=$T_TMP/hook.log
printf '#!/bin/sh\nexec "%s" "$@" 2>>"%s"\n' "$HOOK_OCI" "$HOOKLOG" >"$T_TMP/hook-wrap"
chmod 755 "$T_TMP/hook-wrap"

stat_of() { "$CTL" --socket "$SOCK" stats | awk -v k="$1" '$1 == k { print $2 }'; }

# The guest shows its files, then reads meminfo 500 times: the daemon's READ
# counter, before and after the run, must move far less.
INSIDE='
echo "@@ meminfo"; cat /proc/meminfo
echo "@@ nproc"; nproc
echo "@@ cpus"; grep -c ^processor /proc/cpuinfo
echo "@@ dev"; stat -c %d /proc/meminfo
echo "@@ fstype"; stat -f -c %T /proc/meminfo
echo "@@ cpudev"; stat -c %d /sys/devices/system/cpu
echo "@@ online"; cat /sys/devices/system/cpu/online
echo "@@ cpudirs"; ls /sys/devices/system/cpu | grep -c "^cpu[0-9][0-9]*$"
echo "@@ end"
i=0; while [ $i -lt 500 ]; do read -r l </proc/meminfo; i=$((i + 1)); done'

# write_config STAGE HOOK_ARGS...
write_config() {
	local stage=$1
	shift
	rm -f "$BUNDLE/config.json"
	(cd "$BUNDLE" && "$RUNC" spec) || die "runc spec failed"
	STAGE=$stage HOOK=$T_TMP/hook-wrap BFS=$BFS_MNT SCRIPT=$INSIDE LIMIT=$LIMIT \
		CGPATH="/$CG_BASE/runc-pc-$stage" "$PYTHON" - "$BUNDLE/config.json" "$@" <<-'EOF' ||
		import json, os, sys
		p = sys.argv[1]
		c = json.load(open(p))
		c["process"]["terminal"] = False
		c["process"]["args"] = ["/bin/sh", "-c", os.environ["SCRIPT"]]
		c["root"] = {"path": "rootfs", "readonly": False}
		lin = c["linux"]
		lin["cgroupsPath"] = os.environ["CGPATH"]
		lin.setdefault("resources", {})
		lin["resources"]["memory"] = {"limit": int(os.environ["LIMIT"])}
		lin["resources"]["cpu"] = {"cpus": "0", "mems": "0"}
		c["hooks"] = {os.environ["STAGE"]: [{
		    "path": os.environ["HOOK"],
		    "args": ["burrow-oci-hook", "--burrowfs", os.environ["BFS"], "--verbose"] +
		            sys.argv[2:],
		    "timeout": 20}]}
		json.dump(c, open(p, "w"), indent=1)
	EOF
		die "cannot write config.json"
}

# run_ct STAGE HOOK_ARGS...: sets OUT and RC; ERR is the hook's stderr.
run_ct() {
	local id="burrow-pc-$$-$1"
	write_config "$@"
	: >"$HOOKLOG"
	defer "'$RUNC' --root '$RUNC_ROOT' delete -f '$id' >/dev/null 2>&1"
	OUT=$(timeout -k 5 120 "$RUNC" --root "$RUNC_ROOT" run --bundle "$BUNDLE" "$id" \
		</dev/null 2>"$T_TMP/runc-$1.err")
	RC=$?
	ERR=$(cat "$HOOKLOG")
	sed "s/^/# runc $1: /" "$T_TMP/runc-$1.err"
	sed "s/^/# hook $1: /" "$HOOKLOG"
	"$RUNC" --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1
}

for stage in prestart createContainer; do
	made0=$(stat_of connections_made)
	live0=$(stat_of connections_live)
	r0=$(stat_of requests_read)
	if [ "$stage" = prestart ]; then
		run_ct "$stage" --control-socket "$SOCK"
	else
		run_ct "$stage" --per-container --control-socket "$SOCK"
	fi
	r1=$(stat_of requests_read)
	check_eq "$stage: runc exit status" "$RC" 0
	check_eq "$stage: the hook took the container's own files" \
		"$(grep -c "files come from the container's own connection" <<<"$ERR")" 1
	check_eq "$stage: no fallback" "$(grep -c 'binding from the shared mount' <<<"$ERR")" 0
	check_eq "$stage: MemTotal is the limit" \
		"$(meminfo_kb "$(section "$OUT" meminfo)" MemTotal)" $((LIMIT / 1024))
	check_eq "$stage: nproc" "$(section "$OUT" nproc)" 1
	check_eq "$stage: processors in /proc/cpuinfo" "$(section "$OUT" cpus)" 1
	check_cmd "$stage: /proc/meminfo is FUSE" grep -q fuse <<<"$(section "$OUT" fstype)"
	check_num "$stage: /proc/meminfo is not the shared mount's" "$(section "$OUT" dev)" "!=" \
		"$shared_dev"
	check_eq "$stage: /sys/devices/system/cpu on the same connection" \
		"$(section "$OUT" cpudev)" "$(section "$OUT" dev)"
	check_eq "$stage: its online and cpuN entries (cpus 0)" \
		"$(section "$OUT" online) $(section "$OUT" cpudirs)" "0 1"
	check_eq "$stage: one connection made" "$(stat_of connections_made)" $((made0 + 1))
	note "$stage: 501 reads of meminfo, $((r1 - r0)) READ requests"
	check_num "$stage: the kernel answered most reads" $((r1 - r0)) "<" 50
	for ((i = 0; i < 50; i++)); do
		[ "$(stat_of connections_live)" = "$live0" ] && break
		sleep 0.2
	done
	check_eq "$stage: the connection ended with the container" \
		"$(stat_of connections_live)" "$live0"
	check_eq "$stage: nothing left mounted on the host" "$(host_leaks)" "$leaks_before"
done

run_ct prestart --control-socket "$T_TMP/none.sock"
check_eq "no control socket: runc exit status" "$RC" 0
check_eq "no control socket: one line naming it" \
	"$(grep -c "per-container: .*$T_TMP/none.sock.*binding from the shared mount" <<<"$ERR")" 1
check_eq "no control socket: the shared mount's files" "$(section "$OUT" dev)" "$shared_dev"
check_eq "no control socket: MemTotal is the limit" \
	"$(meminfo_kb "$(section "$OUT" meminfo)" MemTotal)" $((LIMIT / 1024))
check_eq "nothing left mounted on the host" "$(host_leaks)" "$leaks_before"

# None known: a burrowfs elsewhere than the default mount, and no
# --control-socket. The default socket (another daemon's, if any) is not asked.
run_ct prestart
check_eq "no control socket known: runc exit status" "$RC" 0
check_eq "no control socket known: one line naming the burrowfs" \
	"$(grep -c "no control socket is known for the burrowfs at $BFS_MNT.*binding from the shared mount" <<<"$ERR")" 1
check_eq "no control socket known: the shared mount's files" "$(section "$OUT" dev)" "$shared_dev"
check_eq "no control socket known: MemTotal is the limit" \
	"$(meminfo_kb "$(section "$OUT" meminfo)" MemTotal)" $((LIMIT / 1024))

# --shared: the shared mount's files, no line, no connection.
made0=$(stat_of connections_made)
run_ct prestart --shared --control-socket "$SOCK"
check_eq "--shared: runc exit status" "$RC" 0
check_eq "--shared: no per-container line" "$(grep -c 'per-container' <<<"$ERR")" 0
check_eq "--shared: the shared mount's files" "$(section "$OUT" dev)" "$shared_dev"
check_eq "--shared: MemTotal is the limit" \
	"$(meminfo_kb "$(section "$OUT" meminfo)" MemTotal)" $((LIMIT / 1024))
check_eq "--shared: no connection made" "$(stat_of connections_made)" "$made0"
check_eq "nothing left mounted on the host (--shared)" "$(host_leaks)" "$leaks_before"
