#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Inside the VM: restarts of the real burrowfs.service that a container does
# not notice. What tests/integration/test-restart-systemd.sh plays with a fake
# service manager, here with systemd as PID 1: a container reads through the
# unit's mount from four threads while
#   - "systemctl restart" stops the whole unit (daemon and keeper) and starts it;
#   - the main process is SIGKILLed and Restart=on-failure brings it back;
#   - "systemctl restart" once more;
# each new daemon takes the connection from the unit's fd store, and not one
# read fails or sees another value. A second container reads through its own
# per-container connection (burrowfs-ctl attach), which the fd store carries
# too: the new daemon takes it over, and none of its reads fails either.
source "$(dirname "$0")/../../lib/lib.sh"
source "$(dirname "$0")/../../integration/restart-lib.sh"
source "$(dirname "$0")/../../integration/pconn-lib.sh"
t_init
[ -n "${BURROW_VM_GUEST:-}" ] || skip "runs inside the VM suite's guest"
[ -n "$PYTHON" ] || skip "no python3"
HELPER=$T_DIR/test-restart-helper.py
UNIT=burrowfs.service
MNT=${BURROWFS_MOUNT:-/var/lib/burrowfs}
CT_TIMEOUT=300
READ_SECS=280
CTL=${BURROWFS_CTL:-/usr/libexec/burrow/burrowfs-ctl}
[ -x "$CTL" ] || die "burrowfs-ctl is not installed at $CTL"

[ "$(systemctl is-active "$UNIT")" == active ] || die "$UNIT is not active"
LIMIT=$((300 * 1024 * 1024))
cg_new r1
cg_set r1 mem "$LIMIT" || die "cannot set a memory limit"
WANT=$((LIMIT / 1024))

main_pid() {
	systemctl show -P MainPID "$UNIT"
}

# took_over SINCE: the lines of the unit's journal since SINCE that say where
# a new daemon took the connection from.
took_over() {
	journalctl -q -o cat -u "$UNIT" --since "$1" | grep "Took over"
}

STOP=$T_TMP/stop
RLOG=$T_TMP/reader.log
: >"$RLOG"
ct_run "$MNT" r1 "$PYTHON" "$HELPER" reader "$STOP" "$RLOG" "$WANT" \
	/proc/cpuinfo /proc/stat /proc/uptime /proc/diskstats /sys/devices/system/cpu/online \
	>"$T_TMP/ct.out" 2>&1 &
CT=$!
defer "touch '$STOP'"

RL_LOG=$RLOG RL_PID=$CT
rl_wait_ticks 0 || die "the container never read: $(cat "$T_TMP/ct.out")"
restarts0=$(systemctl show -P NRestarts "$UNIT")

# The per-container one: its own cgroup and limit, its own connection.
cg_new p1
cg_set p1 mem $((176 << 20)) || die "cannot set a memory limit"
pc_start p1
out=$(timeout 60 "$CTL" attach "$PC_PID" 2>&1)
PC=yes
# Debian 12's kernel (6.1) refuses open_tree(OPEN_TREE_CLONE) of a detached
# mount: burrowfs finds that out at its start, says so, and refuses every
# attach with that reason, making no connection it could not hand out.
if grep -q "this kernel cannot clone a detached mount" <<<"$out"; then
	note "per-container connections do not work on this kernel ($(uname -r): $out): not tested here"
	check_num "no connection was made for the refused attach" \
		"$("$CTL" stats | awk '$1 == "connections_made" { print $2 }')" == 0
	PC=no
else
	check_cmd "burrowfs-ctl attaches a container's own connection ($out)" grep -q "files placed" <<<"$out"
	check_eq "its /proc/meminfo is a mount of its own connection" \
		"$(awk '$5 == "/proc/meminfo" { split($0, a, " - "); split(a[2], b, " "); t = b[1] } END { print t }' \
			"/proc/$PC_PID/mountinfo")" fuse.burrowfs
	# The same STOP as the shared mount's reader: both end together.
	reader_in pc "$PC_PID" $((176 << 10))
	PC_READER=${READERS[0]#*:}
	wait_ticks "$T_TMP/pc.log" "$PC_READER" 0 ||
		die "the per-container reader never read: $(cat "$T_TMP/pc.out")"
fi
pc_stat_ctl() {
	timeout 30 "$CTL" stats | awk -v k="$1" '$1 == k { print $2 }'
}

for what in restart crash restart; do
	since=$(date '+%Y-%m-%d %H:%M:%S')
	sleep 1
	t0=$(date +%s%N)
	old=$(main_pid)
	if [ "$what" == restart ]; then
		check_cmd "$what: systemctl restart" timeout 60 systemctl restart "$UNIT"
	else
		kill -KILL "$old"
		for ((i = 0; i < 200; i++)); do
			pid=$(main_pid)
			[ "$pid" != 0 ] && [ "$pid" != "$old" ] &&
				[ "$(systemctl is-active "$UNIT")" == active ] && break
			sleep 0.1
		done
	fi
	check_eq "$what: $UNIT is active" "$(systemctl is-active "$UNIT")" active
	# A manual start resets NRestarts: only right after the crash does it tell.
	[ "$what" != crash ] || check_num "crash: systemd restarted it by itself (NRestarts)" \
		"$(systemctl show -P NRestarts "$UNIT")" == $((restarts0 + 1))
	check_num "$what: a new main pid" "$(main_pid)" "!=" "$old"
	took=$(took_over "$since")
	check_cmd "$what: the new burrowfs took the connection from the fd store ($took)" \
		grep -q "from systemd's fd store" <<<"$took"
	check_cmd "$what: the container reads on" rl_wait_ticks "$(date +%s%N)"
	bad=$(awk -v t="$t0" '($1 == "ERR" || $1 == "WRONG") && $2 >= t' "$RLOG" | head -5)
	check_eq "$what: no read failed or saw another value" "$bad" ""
	gap=$(awk -v t="$((t0 - 100000000))" '$1 == "SLOW" && $2 >= t && $3 > m { m = $3 }
		END { printf "%.1f", m + 0 }' "$RLOG")
	note "$what: longest read across it: $gap ms"
	[ "$PC" == yes ] || continue
	check_cmd "$what: the per-container reader reads on" \
		wait_ticks "$T_TMP/pc.log" "$PC_READER" "$(date +%s%N)"
	bad=$(awk -v t="$t0" '($1 == "ERR" || $1 == "WRONG") && $2 >= t' "$T_TMP/pc.log" | head -5)
	check_eq "$what: no read through the per-container connection failed or was wrong" "$bad" ""
	check_num "$what: the new daemon took the connection over" \
		"$(pc_stat_ctl connections_adopted)" == 1
	check_num "$what: ... and serves it (connections_live)" "$(pc_stat_ctl connections_live)" == 1
	note "$what: longest read through the per-container connection: $(gap "$T_TMP/pc.log" "$t0" "$(date +%s%N)") ms"
done
if [ "$PC" == yes ]; then
	touch "$STOP"
	wait "$PC_READER"
	check_num "the per-container reader ended cleanly" $? == 0
	check_eq "not one read through the per-container connection failed" \
		"$(grep -E '^(ERR|WRONG)' "$T_TMP/pc.log" | head -3)" ""
	check_num "the per-container reader read many times" \
		"$(awk '$1 == "COUNT" { print $2 }' "$T_TMP/pc.log")" ">" 100
fi

touch "$STOP"
wait "$CT"
check_num "the container's reader ended cleanly" $? == 0
check_cmd "the reader finished" grep -q "^DONE" "$RLOG"
check_eq "not one read failed across the restarts" "$(grep -E '^(ERR|WRONG)' "$RLOG" | head -3)" ""
for kind in meminfo held files sysfs; do
	check_num "reader thread $kind read many times" \
		"$(awk -v k="$kind" '$1 == "COUNT" && $2 == k { print $3 }' "$RLOG")" ">" 10
done
check_num "one fuse mount on $MNT" "$(awk -v m="$MNT" '$5 == m' /proc/self/mountinfo | wc -l)" == 1
check_eq "no unit failed" "$(systemctl --failed --no-legend --plain --no-pager | awk '{ print $1 }')" ""
