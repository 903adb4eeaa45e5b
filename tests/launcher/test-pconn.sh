#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Per-container burrowfs connections, the launcher's default (issue 14): a
# booted guest's /proc files come from its own burrowfs connection, not the
# shared mount. The values are the container's; the kernel caches them (the
# daemon's request counters barely move over many reads); a new memory limit
# shows within --cache-ms plus one TTL; the connection ends with the
# container. An ordinary user gets one too. A daemon without a control
# socket, or none known for burrowfs-path, means one warning and the shared
# binds; burrowfs-mount=shared means the shared binds without a warning.

. "$(dirname "$0")/lib.sh"

CTL=${BURROWFS_CTL:-$L_DIR/../../build/hooks/burrowfs-ctl}
[ -x "$CTL" ] || die "burrowfs-ctl not built at $CTL"
CACHE_MS=500

l_init
l_rootfs
SOCK=$T_TMP/control.sock
bfs_start --cache-ms $CACHE_MS --control-socket "$SOCK"
l_root_home
B=$BURROW
CT=pc$$
defer "$B destroy --force $CT >/dev/null 2>&1"

stat_of() { "$CTL" --socket "$SOCK" stats | awk -v k="$1" '$1 == k { print $2 }'; }
in_ct() { "$B" attach "$CT" -- "$@"; }
shared_dev=$(stat -c %d "$BFS_MNT/proc/meminfo")

made0=$(stat_of connections_made)
live0=$(stat_of connections_live)
check_num "STATS answers (connections_made)" "${made0:-x}" ">=" 0

check_cmd "create with the default burrowfs-mount" "$B" create "$CT" --from-dir "$ROOTFS" \
	-c memory=256M -c cpus=0 -c burrowfs=yes -c burrowfs-path="$BFS_MNT" \
	-c burrowfs-control="$SOCK" -c seccomp-notify=none
"$B" start --wait "$CT" 2>"$T_TMP/start.err"
status=$? # before the message's $(...) resets it
check_eq "start --wait ($(head -c 300 "$T_TMP/start.err"))" "$status" 0
check_eq "no fallback warning" "$(grep -c 'burrowfs-mount' "$T_TMP/start.err")" 0
state=$(in_ct systemctl is-system-running --wait)
check_cmd "is-system-running: $state" grep -Eqx 'running|degraded' <<<"$state"
[ "$state" = running ] || note "failed: $(in_ct systemctl list-units --failed --no-legend --plain)"
check_eq "one connection made" "$(stat_of connections_made)" $((made0 + 1))
check_eq "burrow info says so" "$("$B" info "$CT" | awk '$1 == "Burrowfs:" { print $2 }')" \
	per-container
check_eq "one connection live" "$(stat_of connections_live)" $((live0 + 1))

# The guest's own connection: a FUSE burrowfs mount, another superblock
# than the shared mount's, for its /proc files and its cpu directory.
check_eq "findmnt /proc/meminfo: fstype" "$(in_ct findmnt -no FSTYPE /proc/meminfo | tail -1)" \
	fuse.burrowfs
check_eq "one mount on /proc/meminfo" "$(in_ct findmnt -no TARGET /proc/meminfo | wc -l)" 1
dev=$(in_ct stat -c %d /proc/meminfo)
check_num "/proc/meminfo is not on the shared mount (dev $dev vs $shared_dev)" "$dev" "!=" \
	"$shared_dev"
for f in stat uptime cpuinfo loadavg; do
	check_eq "/proc/$f on the same connection" "$(in_ct stat -c %d /proc/$f)" "$dev"
done
check_eq "/sys/devices/system/cpu on the same connection" \
	"$(in_ct stat -c %d /sys/devices/system/cpu/online)" "$dev"
check_eq "one mount on /sys/devices/system/cpu" \
	"$(in_ct findmnt -no TARGET /sys/devices/system/cpu | wc -l)" 1

# The values: the container's limits, as the tools show them.
check_eq "free -b total" "$(in_ct free -b | awk '/^Mem:/ { print $2 }')" 268435456
check_eq "MemTotal" "$(meminfo_kb "$(in_ct cat /proc/meminfo)" MemTotal)" 262144
check_eq "nproc" "$(in_ct nproc)" 1
check_eq "nproc --all" "$(in_ct nproc --all)" 1
check_eq "/sys/devices/system/cpu/online, cpuN entries" \
	"$(in_ct cat /sys/devices/system/cpu/online) $(in_ct ls /sys/devices/system/cpu | grep -c '^cpu[0-9]*$')" \
	"0 1"
check_eq "lscpu: CPU(s)" "$(in_ct lscpu | awk -F: '/^CPU\(s\):/ { gsub(/ /, "", $2); print $2 }')" 1
check_eq "processors in /proc/cpuinfo" "$(in_ct grep -c ^processor /proc/cpuinfo)" 1
check_eq "cpu lines in /proc/stat" "$(in_ct grep -c '^cpu[0-9]' /proc/stat)" 1
up=$(in_ct cat /proc/uptime | awk '{ print int($1) }')
check_num "uptime (s) is the guest's" "${up:-x}" "<" 120
check_cmd "uptime(1) shows the guest's (up 0 or 1 min)" grep -Eq 'up +[01] min' <<<"$(in_ct uptime)"

# Caching: 500 reads in one go reach the daemon a handful of times, not 500.
r0=$(stat_of requests_read)
in_ct sh -c 'i=0; while [ $i -lt 500 ]; do read -r l </proc/meminfo; i=$((i + 1)); done'
r1=$(stat_of requests_read)
note "500 reads of /proc/meminfo: $((r1 - r0)) READ requests reached the daemon"
check_num "the kernel answered most reads (READ requests)" $((r1 - r0)) "<" 50

# A new limit shows within --cache-ms (render) plus one TTL (attributes):
# the guest samples MemTotal every 50 ms against the host's clock.
memdir=$(find /sys/fs/cgroup/memory/burrow -maxdepth 1 -name "$CT" | head -1)
[ -n "$memdir" ] || die "no memory cgroup for $CT"
in_ct sh -c 'i=0; while [ $i -lt 100 ]; do echo "$(date +%s%N) $(awk "/^MemTotal/ { print \$2 }" /proc/meminfo)"; sleep 0.05; i=$((i + 1)); done' \
	>"$T_TMP/samples" &
sampler=$!
sleep 1
t0=$(date +%s%N)
echo $((128 << 20)) >"$memdir/memory.limit_in_bytes" || die "cannot lower the limit"
wait "$sampler"
seen=$(awk -v t0="$t0" '$1 >= t0 && $2 == 131072 { print int(($1 - t0) / 1000000); exit }' "$T_TMP/samples")
note "128M seen after ${seen:-never} ms (cache-ms $CACHE_MS)"
check_num "the new limit shows within 2 x cache-ms (+300 ms of sampling)" "${seen:-99999}" "<=" \
	$((2 * CACHE_MS + 300))
check_eq "free -b after the change" "$(in_ct free -b | awk '/^Mem:/ { print $2 }')" 134217728

# Asked again for the same container (burrowfs-ctl as an admin would): nothing new.
init=$("$B" info "$CT" | awk '$1 == "PID:" { print $2 }')
out=$("$CTL" --socket "$SOCK" attach "$init" 2>&1)
check_eq "burrowfs-ctl attach again ($out)" "$?" 0
check_eq "the same connection (made)" "$(stat_of connections_made)" $((made0 + 1))
check_eq "still one mount on /proc/meminfo" "$(in_ct findmnt -no TARGET /proc/meminfo | wc -l)" 1

check_cmd "stop" "$B" stop "$CT"
for ((i = 0; i < 50; i++)); do
	[ "$(stat_of connections_live)" = "$live0" ] && break
	sleep 0.2
done
check_eq "the connection ended with the container" "$(stat_of connections_live)" "$live0"
check_cmd "destroy" "$B" destroy "$CT"

# burrow info names the other kinds too: burrowfs-mount=shared, and a guest
# without burrowfs. Their init is sleep(1): no boot needed to ask, and
# SIGKILL ends it.
for kind in shared none; do
	if [ "$kind" = shared ]; then set -- -c burrowfs=yes -c burrowfs-mount=shared; else set -- -c burrowfs=no; fi
	check_cmd "create ($kind)" "$B" create "$CT-$kind" --from-dir "$ROOTFS" -c burrowfs-path="$BFS_MNT" \
		-c burrowfs-control="$SOCK" -c init=/bin/sleep -c command=600 -c seccomp-notify=none \
		-c network=none "$@"
	defer "$B destroy --force $CT-$kind >/dev/null 2>&1"
	check_cmd "start ($kind)" "$B" start "$CT-$kind"
	check_eq "burrow info says $kind" \
		"$("$B" info "$CT-$kind" | awk '$1 == "Burrowfs:" { print $2 }')" "$kind"
	check_cmd "stop --kill ($kind)" "$B" stop --kill "$CT-$kind"
	check_cmd "destroy ($kind)" "$B" destroy "$CT-$kind"
done

# run_shared WHAT ERRFILE CONFIG...: a run that must get the shared mount's
# files, with the container's values, and no new connection.
run_shared() {
	local what=$1 errf=$2 made out
	shift 2
	made=$(stat_of connections_made)
	out=$("$B" run --rootfs "$ROOTFS" -c memory=256M -c burrowfs=yes -c burrowfs-path="$BFS_MNT" \
		-c seccomp-notify=none "$@" -- \
		sh -c 'stat -c %d /proc/meminfo; free -b | awk "/^Mem:/ { print \$2 }"' 2>"$errf")
	status=$? # before the message's $(...) resets it
	check_eq "$what: run ($(head -c 300 "$errf"))" "$status" 0
	check_eq "$what: the shared mount's files" "$(head -1 <<<"$out")" "$shared_dev"
	check_eq "$what: the container's values" "$(tail -1 <<<"$out")" 268435456
	check_eq "$what: no connection made" "$(stat_of connections_made)" "$made"
}

# No control socket: one warning naming it, and the shared binds.
run_shared "no control socket" "$T_TMP/run.err" -c burrowfs-control="$T_TMP/none.sock"
check_eq "no control socket: one warning" \
	"$(grep -c "warning: burrowfs-mount=per-container: .*$T_TMP/none.sock" "$T_TMP/run.err")" 1
# None known: burrowfs-path is not the default mount, and burrowfs-control is
# unset; the default socket (another daemon's, if any) is not asked.
run_shared "no control socket known" "$T_TMP/run2.err"
check_eq "no control socket known: one warning naming the burrowfs" \
	"$(grep -c "warning: burrowfs-mount=per-container: no control socket is known for the burrowfs at $BFS_MNT" "$T_TMP/run2.err")" 1
# Asked for: no warning.
run_shared "burrowfs-mount=shared" "$T_TMP/run3.err" -c burrowfs-mount=shared \
	-c burrowfs-control="$SOCK"
check_eq "burrowfs-mount=shared: no warning" "$(grep -c 'warning' "$T_TMP/run3.err")" 0

# An ordinary user asks for their own container (the daemon checks that the
# user created its user namespace).
l_pam_cgfs
U=burrowpc$$
l_user "$U"
l_subids "$U" 400000
l_login "$U"
made1=$(stat_of connections_made)
out=$(as_argv "$U" "$B" run --rootfs "$ROOTFS" -c memory=256M -c burrowfs=yes \
	-c burrowfs-path="$BFS_MNT" -c burrowfs-control="$SOCK" \
	-c seccomp-notify=none -c network=none -- \
	sh -c 'stat -c %d /proc/meminfo; grep ^MemTotal /proc/meminfo' 2>"$T_TMP/user.err")
status=$? # before the message's $(...) resets it
check_eq "as $U: run ($(head -c 300 "$T_TMP/user.err"))" "$status" 0
check_eq "as $U: no fallback warning" "$(grep -c 'burrowfs-mount' "$T_TMP/user.err")" 0
check_num "as $U: its own connection (dev)" "$(head -1 <<<"$out")" "!=" "$shared_dev"
check_eq "as $U: MemTotal" "$(meminfo_kb "$(tail -1 <<<"$out")" MemTotal)" 262144
check_eq "as $U: one connection made" "$(stat_of connections_made)" $((made1 + 1))

# Another's container: refused by the daemon, whose line burrowfs-ctl shows as is.
unshare --pid --fork --kill-child sleep 120 &
ushare=$!
for ((i = 0; i < 50; i++)); do
	other=$(pgrep -P "$ushare" -x sleep) && break
	sleep 0.05
done
[ -n "$other" ] || die "root's test container did not start"
defer "kill -KILL $other 2>/dev/null"
refused0=$(stat_of connections_refused)
out=$(as_argv "$U" "$CTL" --socket "$SOCK" attach "$other" 2>&1)
check_eq "as $U: attach of root's container fails (exit 1)" "$?" 1
note "burrowfs-ctl: $out"
check_eq "... with one line" "$(grep -c . <<<"$out")" 1
check_eq "... counted as refused" "$(stat_of connections_refused)" $((refused0 + 1))
