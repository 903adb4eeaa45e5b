#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A privileged LXC 5 container (no lxc.idmap: its root is the host's) with
# the LXC hook's defaults: its /proc files come from its own burrowfs
# connection (issue 14), which the hook asks for as the real root inside the
# container's namespaces. The values are the container's; the kernel caches
# them (the daemon's READ counter does not move over reads within one TTL);
# a new memory limit shows within --cache-ms plus one TTL; the connection
# ends when the container stops. No systemd boot here (test-lxc.sh boots an
# unprivileged one): init is sleep(1), which keeps the run short.

. "$(dirname "$0")/lib.sh"

hooks_init
command -v lxc-start >/dev/null || die "LXC is not installed (apt-get install lxc)"
CTL=${BURROWFS_CTL:-$HOOKS_DIR/../../build/hooks/burrowfs-ctl}
[ -x "$CTL" ] || die "burrowfs-ctl not built at $CTL"
need_rootfs
CACHE_MS=1000
SOCK=$T_TMP/control.sock
bfs_start --cache-ms $CACHE_MS --control-socket "$SOCK"

LIMIT=268435456
NAME=burrow-priv-$$
LXCPATH=$T_TMP/lxc
CT=$LXCPATH/$NAME
ATTACH=(lxc-attach -P "$LXCPATH" -n "$NAME" --clear-env
	-v PATH=/usr/sbin:/usr/bin:/sbin:/bin --)
mkdir -p "$CT"
shared_dev=$(bfs_dev)
stat_of() { "$CTL" --socket "$SOCK" stats | awk -v k="$1" '$1 == k { print $2 }'; }

rootfs_overlay "$CT/rootfs" "$T_TMP/scratch"
leaks_before=$(host_leaks)
# LXC keeps a mount hook's stderr out of its log at INFO: the hook's lines go to a file.
HOOKLOG=$T_TMP/hook.log
printf '#!/bin/sh\nexec "%s" "$@" 2>>"%s"\n' "$HOOK_LXC" "$HOOKLOG" >"$T_TMP/hook-wrap"
chmod 755 "$T_TMP/hook-wrap"
cat >"$CT/config" <<EOF
lxc.uts.name = $NAME
lxc.rootfs.path = dir:$CT/rootfs
lxc.net.0.type = empty
lxc.apparmor.profile = unconfined
lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
lxc.tty.max = 0
lxc.pty.max = 4
lxc.init.cmd = /bin/sleep 600
lxc.cgroup.dir.monitor = $CG_BASE/lxc-monitor
lxc.cgroup.dir.container = $CG_BASE/lxc-payload
lxc.cgroup.memory.limit_in_bytes = $LIMIT
lxc.cgroup.cpuset.cpus = 0
lxc.cgroup2.memory.max = $LIMIT
lxc.cgroup2.cpuset.cpus = 0
lxc.hook.mount = $T_TMP/hook-wrap --burrowfs $BFS_MNT --control-socket $SOCK --verbose
EOF
if [ -n "${CG_V1[memory]:-}" ]; then
	sed -i '/^lxc.cgroup2\./d' "$CT/config"
else
	sed -i '/^lxc.cgroup\./d' "$CT/config"
fi

defer cg_remove_every_hierarchy
defer "lxc-stop -P '$LXCPATH' -n '$NAME' -k >/dev/null 2>&1"
defer "show_log_on_failure"
show_log_on_failure() {
	[ "$T_FAIL" -eq 0 ] && return 0
	note "---- lxc log (last 40 lines)"
	tail -n 40 "$T_TMP/lxc.log" 2>/dev/null | sed 's/^/# /'
}

made0=$(stat_of connections_made)
live0=$(stat_of connections_live)
check_num "STATS answers (connections_made)" "${made0:-x}" ">=" 0
lxc-start -P "$LXCPATH" -n "$NAME" -d -l INFO -o "$T_TMP/lxc.log" || die "lxc-start failed"
lxc-wait -P "$LXCPATH" -n "$NAME" -s RUNNING -t 30 || die "container did not reach RUNNING"
init=$(lxc-info -P "$LXCPATH" -n "$NAME" -pH)
check_num "init's pid" "${init:-x}" ">" 1

check_eq "privileged: uid_map inside is the host's" \
	"$("${ATTACH[@]}" cat /proc/self/uid_map | awk '{ print $1, $2, $3 }')" "0 0 4294967295"
sed 's/^/# hook: /' "$HOOKLOG"
check_eq "the hook took the container's own files" \
	"$(grep -c "files come from the container's own connection" "$HOOKLOG")" 1
check_eq "no fallback" "$(grep -c 'binding from the shared mount' "$HOOKLOG")" 0
check_eq "one connection made" "$(stat_of connections_made)" $((made0 + 1))
check_eq "one connection live" "$(stat_of connections_live)" $((live0 + 1))

inside_mi=$("${ATTACH[@]}" cat /proc/self/mountinfo)
top=$(awk '$5 == "/proc/meminfo" { print $3, $(NF - 2) }' <<<"$inside_mi" | tail -n1)
check_cmd "/proc/meminfo is a burrowfs mount ($top)" grep -q ' fuse.burrowfs$' <<<"$top"
dev=$("${ATTACH[@]}" stat -c %d /proc/meminfo)
check_num "/proc/meminfo is not the shared mount's (dev $dev)" "${dev:-x}" "!=" \
	"$(stat -c %d "$BFS_MNT/proc/meminfo")"
for f in stat uptime cpuinfo loadavg; do
	check_eq "/proc/$f on the same connection" "$("${ATTACH[@]}" stat -c %d /proc/$f)" "$dev"
done
check_eq "/sys/devices/system/cpu on the same connection as /proc/meminfo" \
	"$(awk '$5 == "/sys/devices/system/cpu" { print $3 }' <<<"$inside_mi" | tail -n1)" \
	"$(awk '$5 == "/proc/meminfo" { print $3 }' <<<"$inside_mi" | tail -n1)"
cpu_dev=$(awk '$5 == "/sys/devices/system/cpu" { print $3 }' <<<"$inside_mi" | tail -n1)
check_cmd "... not the shared mount's ($cpu_dev, shared $shared_dev)" test "${cpu_dev:-x}" != "$shared_dev"
check_eq "no lxcfs mount inside" "$(grep -c lxcfs <<<"$inside_mi")" 0

check_eq "MemTotal is the limit" \
	"$(meminfo_kb "$("${ATTACH[@]}" cat /proc/meminfo)" MemTotal)" $((LIMIT / 1024))
check_eq "free -b total" "$("${ATTACH[@]}" free -b | awk '$1 == "Mem:" { print $2 }')" "$LIMIT"
check_eq "nproc" "$("${ATTACH[@]}" nproc)" 1
check_eq "processors in /proc/cpuinfo" "$("${ATTACH[@]}" grep -c '^processor' /proc/cpuinfo)" 1
up=$("${ATTACH[@]}" cat /proc/uptime | awk '{ print int($1) }')
check_num "uptime (s) is the container's" "${up:-x}" "<" 60

# Caching: one read warms the kernel's copy; the 200 reads after it, well
# within one TTL (cache-ms), never reach the daemon (a TTL boundary on the
# way may cost one READ).
r0=$(stat_of requests_read)
t0=$(date +%s%N)
"${ATTACH[@]}" sh -c 'read -r l </proc/meminfo; echo @@ warm; i=0
	while [ $i -lt 200 ]; do read -r l </proc/meminfo; i=$((i + 1)); done' >/dev/null
t1=$(date +%s%N)
r1=$(stat_of requests_read)
note "1 + 200 reads of /proc/meminfo in $(((t1 - t0) / 1000000)) ms: $((r1 - r0)) READ requests"
check_num "the kernel answered the reads after the first (READ requests)" $((r1 - r0)) "<=" 2

# A new limit shows within --cache-ms (render) plus one TTL (attributes):
# the container samples MemTotal every 50 ms against the host's clock.
memdir=${CG_V1[memory]:-$CG_V2}$(awk -F: '$2 == "memory" || ($1 == 0 && $2 == "") { print $3 }' \
	"/proc/$init/cgroup" | head -1)
if [ -e "$memdir/memory.limit_in_bytes" ]; then mfile=memory.limit_in_bytes; else mfile=memory.max; fi
check_eq "init's memory cgroup has the limit ($memdir)" "$(cat "$memdir/$mfile")" "$LIMIT"
"${ATTACH[@]}" sh -c 'i=0; while [ $i -lt 80 ]; do echo "$(date +%s%N) $(awk "/^MemTotal/ { print \$2 }" /proc/meminfo)"; sleep 0.05; i=$((i + 1)); done' \
	>"$T_TMP/samples" &
sampler=$!
sleep 0.5
t0=$(date +%s%N)
echo $((128 << 20)) >"$memdir/$mfile" || die "cannot lower the limit"
wait "$sampler"
seen=$(awk -v t0="$t0" '$1 >= t0 && $2 == 131072 { print int(($1 - t0) / 1000000); exit }' \
	"$T_TMP/samples")
note "128M seen after ${seen:-never} ms (cache-ms $CACHE_MS)"
check_num "the new limit shows within 2 x cache-ms (+300 ms of sampling)" "${seen:-99999}" "<=" \
	$((2 * CACHE_MS + 300))
check_eq "free -b after the change" "$("${ATTACH[@]}" free -b | awk '$1 == "Mem:" { print $2 }')" \
	134217728

lxc-stop -P "$LXCPATH" -n "$NAME" -k >/dev/null 2>&1
check_eq "container stopped" "$(lxc-info -P "$LXCPATH" -n "$NAME" -sH 2>/dev/null)" STOPPED
for ((i = 0; i < 50; i++)); do
	[ "$(stat_of connections_live)" = "$live0" ] && break
	sleep 0.2
done
check_eq "the connection ended with the container" "$(stat_of connections_live)" "$live0"
check_eq "nothing left mounted on the host" "$(host_leaks)" "$leaks_before"
