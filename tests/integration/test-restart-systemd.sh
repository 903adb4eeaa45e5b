#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Restarts under systemd, without systemd: test-restart-helper.py plays the
# service manager of share/burrowfs.service (Type=notify, the fd store,
# KillMode=control-group, which kills the keeper along with the daemon).
# burrowfs must put its connection, journal and mount copy into the fd store
# and take them back from LISTEN_FDS. A container reads throughout:
#   - "systemctl restart": SIGTERM to the whole unit, start with the store;
#   - a crash: SIGKILL of the main process, the rest of the unit SIGTERMed,
#     start again (Restart=on-failure);
# not one read fails, and the mount never leaves the mountpoint; then
# "systemctl stop" (the unit's ExecStop=, burrowfs --stop) ends it all: the
# mount goes, the store is flushed, and the container's files fail at once
# with ENOTCONN.
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/restart-lib.sh"
t_init
[ -n "$PYTHON" ] || skip "no python3"
HELPER=$T_DIR/test-restart-helper.py
CT_TIMEOUT=120

LIMIT=$((300 * 1024 * 1024))
cg_new r1
cg_set r1 mem "$LIMIT" || die "cannot set a memory limit"
WANT=$((LIMIT / 1024))
cg_new unit
PROCS=$(cg_ctrl_dir pids unit || cg_ctrl_dir memory unit)/cgroup.procs
[ -e "$PROCS" ] || die "no cgroup.procs for the unit at $PROCS"

MNT=$T_TMP/mnt
mkdir "$MNT"
CTL=$T_TMP/ctl
STATUS=$T_TMP/status
mkfifo "$CTL"
: >"$STATUS"
"$PYTHON" "$HELPER" systemd "$PROCS" "$MNT" "$BURROWFS" "$CTL" "$STATUS" >"$T_TMP/systemd.out" 2>&1 &
SYSTEMD=$!
defer "kill $SYSTEMD 2>/dev/null; timeout 10 '$BURROWFS' --stop '$MNT' >/dev/null 2>&1; rmdir '$MNT' 2>/dev/null"

# wait_status REGEX: a line of the fake systemd's status matches.
wait_status() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -Eq "$1" "$STATUS" && return 0
		kill -0 "$SYSTEMD" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# last_store: the names in the fd store now.
last_store() {
	awk '$1 == "STORE" { s = $2 } END { print s }' "$STATUS"
}

wait_status "^READY" || die "burrowfs did not get ready under the fake systemd: $(cat "$T_TMP/systemd.out" "$STATUS")"
check_cmd "burrowfs sent READY=1" grep -q "^READY" "$STATUS"
for ((i = 0; i < 50; i++)); do
	[ "$(last_store)" == "fuse,journal,tree" ] && break
	sleep 0.1
done
check_eq "the fd store holds the connection, the journal and the mount copy" \
	"$(last_store)" "fuse,journal,tree"

STOP=$T_TMP/stop
RLOG=$T_TMP/reader.log
: >"$RLOG"
ct_run "$MNT" r1 "$PYTHON" "$HELPER" reader "$STOP" "$RLOG" "$WANT" \
	/proc/cpuinfo /proc/stat /proc/uptime /sys/devices/system/cpu/online >"$T_TMP/ct.out" 2>&1 &
CT=$!
defer "touch '$STOP'"

RL_LOG=$RLOG RL_PID=$CT
rl_wait_ticks 0 || die "the container never read: $(cat "$T_TMP/ct.out")"

# mount_id: the id of the mount on MNT; the same one while it never left.
mount_id() {
	awk -v m="$MNT" '$5 == m { print $1 }' /proc/self/mountinfo | tail -n1
}

for cmd in restart crash restart; do
	t0=$(date +%s%N)
	mid=$(mount_id)
	n=$(grep -c "^DID" "$STATUS")
	echo "$cmd" >"$CTL"
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c "^DID" "$STATUS")" -gt "$n" ] && break
		sleep 0.1
	done
	check_cmd "systemd $cmd: done" test "$(grep -c "^DID" "$STATUS")" -gt "$n"
	check_cmd "systemd $cmd: the new burrowfs took the connection from the fd store" \
		test "$(grep -c "^READY" "$STATUS")" -gt 1
	check_eq "systemd $cmd: the fd store still holds all three" "$(last_store)" \
		"fuse,journal,tree"
	check_eq "systemd $cmd: the mount never left $MNT (mount id $mid)" "$(mount_id)" "$mid"
	check_cmd "systemd $cmd: the container reads on" rl_wait_ticks "$(date +%s%N)"
	bad=$(awk -v t="$t0" '($1 == "ERR" || $1 == "WRONG") && $2 >= t' "$RLOG")
	check_eq "systemd $cmd: no read failed" "$bad" ""
	gap=$(awk -v t="$((t0 - 100000000))" '$1 == "SLOW" && $2 >= t && $3 > m { m = $3 }
		END { printf "%.1f", m + 0 }' "$RLOG")
	note "systemd $cmd: longest read across it: $gap ms"
done

touch "$STOP"
wait "$CT"
check_num "the container's reader ended cleanly" $? == 0
check_eq "not one read failed across the restarts" "$(grep -E '^(ERR|WRONG)' "$RLOG" | head -3)" ""
check_cmd "the reader finished" grep -q "^DONE" "$RLOG"
check_num "every new burrowfs took the connection from the fd store" \
	"$(grep -c "Took over .* from systemd's fd store" "$T_TMP/systemd.out")" == 3

# ---- systemctl stop: the end ------------------------------------------------------------
BIND=$T_TMP/bind
touch "$BIND"
mount --bind "$MNT/proc/meminfo" "$BIND"
defer "umount -l '$BIND' 2>/dev/null"
check_cmd "before the stop a bind mount reads" grep -q "^MemTotal:" "$BIND"
echo stop >"$CTL"
check_cmd "systemd stop: done" wait_status "^STOPPED"
check_cmd "systemd stop: nothing is left in the unit" test -z "$(cat "$PROCS")"
check_eq "systemd stop: $MNT is unmounted" "$(mount_id)" ""
out=$(timeout 5 head -c 64 "$BIND" 2>&1)
check_cmd "systemd stop: the bind mount fails at once with a clean error ($out)" \
	grep -Eq "not connected|connection abort" <<<"$out"
wait "$SYSTEMD"
check_num "the fake systemd ended cleanly" $? == 0
