#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# root's containers (mapped to root's subordinate ids too), the console, run,
# and the three ways of creating a rootfs.

. "$(dirname "$0")/lib.sh"

l_init
l_rootfs
# A control socket: the guest gets its own burrowfs connection, the default.
bfs_start --control-socket "$T_TMP/control.sock"
l_root_home
B=$BURROW
CT=r$$
defer "$B destroy --force $CT >/dev/null 2>&1"

check_cmd "create from the cached dir" "$B" create "$CT" --from-dir "$ROOTFS" \
	-c memory=256M -c cpus=0 -c pids=200 -c burrowfs=yes -c burrowfs-path="$BFS_MNT" \
	-c burrowfs-control="$T_TMP/control.sock"
check_eq "rootfs shifted" "$(stat -c %u:%g "$BURROW_HOME/$CT/rootfs/etc/shadow")" "100000:100042"
check_cmd "start --wait" "$B" start --wait "$CT"
check_eq "is-system-running" "$("$B" attach "$CT" -- systemctl is-system-running --wait)" running
check_eq "failed units" "$("$B" attach "$CT" -- systemctl list-units --failed --no-legend --plain | wc -l)" 0
check_eq "free -b total" "$("$B" attach "$CT" -- free -b | awk '/^Mem:/ { print $2 }')" 268435456
check_eq "nproc" "$("$B" attach "$CT" -- nproc)" 1
check_num "uptime (s)" "$("$B" attach "$CT" -- cat /proc/uptime | awk '{ print int($1) }')" "<" 120
check_eq "burrowfs: the default, its own connection" \
	"$("$B" info "$CT" | awk '$1 == "Burrowfs:" { print $2 }')" per-container
check_num "/proc/meminfo is not the shared mount's" "$("$B" attach "$CT" -- stat -c %d /proc/meminfo)" \
	"!=" "$(stat -c %d "$BFS_MNT/proc/meminfo")"
check_eq "uid_map" "$("$B" attach "$CT" -- cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')" \
	"0 100000 65536"
check_eq "cgroups under burrow/" "$("$B" info "$CT" | grep -c "=/sys/fs/cgroup/.*/burrow/$CT\$")" \
	"$(find /sys/fs/cgroup/*/burrow -maxdepth 1 -name "$CT" | wc -l)"
check_eq "memory limit applied" "$(cat /sys/fs/cgroup/memory/burrow/"$CT"/memory.limit_in_bytes)" 268435456
check_eq "ls --json state" "$("$B" ls --json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[0]["state"])')" RUNNING

out=$(timeout 30 "$PYTHON" "$L_DIR/console.py" "$B" "$CT" 2>&1)
check_eq "console detaches with Ctrl-a q" "$?" 0
if grep -q "login:" <<<"$out"; then t_ok "console shows the login prompt"; else t_not_ok "console: $out"; fi

# Other root containers may share root's subordinate ids: count the
# processes of this container's pid namespace.
ctns=$(readlink "/proc/$("$B" ls --json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"])')/ns/pid")
t0=$(date +%s.%N)
check_cmd "stop" "$B" stop "$CT"
note "stop: $(echo "$(date +%s.%N) - $t0" | bc) s"
check_eq "no cgroup left" "$(find /sys/fs/cgroup/*/burrow -maxdepth 1 -name "$CT" | wc -l)" 0
check_eq "no process of the container's pid namespace ($ctns)" \
	"$(for p in /proc/[0-9]*; do [ "$(readlink "$p/ns/pid" 2>/dev/null)" != "$ctns" ] || echo "$p"; done | wc -l)" 0
check_eq "no mount left" "$(grep -c "$BURROW_HOME" /proc/self/mountinfo)" 0
check_cmd "destroy" "$B" destroy "$CT"

# run: an ephemeral container; its exit code is burrow's.
check_cmd "run /bin/true" "$B" run --rootfs "$ROOTFS" -- /bin/true
"$B" run --rootfs "$ROOTFS" -- sh -c 'exit 7'
check_eq "run passes the exit code" "$?" 7
"$B" run --rootfs "$ROOTFS" -- /no/such/command 2>/dev/null
check_eq "run of a missing command" "$?" 127
check_eq "run with limits" "$("$B" run --rootfs "$ROOTFS" -c pids=50 -- cat /sys/fs/cgroup/pids/pids.max)" 50
check_eq "run's cgroup removed" "$(find /sys/fs/cgroup/*/burrow -maxdepth 1 -name 'run-*' | wc -l)" 0
# SIGTERM (timeout(1), a service manager) ends run's guest and still removes its cgroups.
"$B" run --rootfs "$ROOTFS" -c pids=50 -- sleep 60 &
rp=$!
for ((i = 0; i < 100; i++)); do
	[ "$(cat "/sys/fs/cgroup/pids/burrow/run-$rp/pids.current" 2>/dev/null || echo 0)" -ge 1 ] && break
	sleep 0.1
done
kill -TERM "$rp"
wait "$rp"
check_eq "SIGTERM ends run's guest (SIGKILL)" "$?" 137
check_eq "SIGTERM: run's cgroups removed" "$(find /sys/fs/cgroup/*/burrow -maxdepth 1 -name "run-$rp" | wc -l)" 0
check_eq "run has its own pid namespace" "$("$B" run --rootfs "$ROOTFS" -- sh -c 'echo $$')" 1

# --from-tar: .tar, .tar.gz and .tar.xz, ownership shifted by the user namespace.
src=$T_TMP/tree
mkdir -p "$src/etc" "$src/home/u"
echo hi >"$src/etc/motd"
chown 1000:1000 "$src/home/u"
install -m 4755 /bin/true "$src/etc/suid"
for ext in tar tar.gz tar.xz; do
	tar --numeric-owner -caf "$T_TMP/tree.$ext" -C "$src" .
	check_cmd "create from .$ext" "$B" create "t-${ext//./}" --from-tar "$T_TMP/tree.$ext"
	d=$BURROW_HOME/t-${ext//./}/rootfs
	check_eq ".$ext: owners shifted" "$(stat -c %u:%g "$d/etc/motd" "$d/home/u" | tr '\n' ' ')" \
		"100000:100000 101000:101000 "
	check_eq ".$ext: setuid kept" "$(stat -c %a "$d/etc/suid")" 4755
	check_cmd "destroy t-${ext//./}" "$B" destroy "t-${ext//./}"
done

# --debootstrap: minbase plus systemd, built as root then shifted.
if [ "${BURROW_TEST_DEBOOTSTRAP:-1}" = 1 ]; then
	"$B" create deb --debootstrap bookworm >"$T_TMP/debootstrap.log" 2>&1
	check_eq "create --debootstrap bookworm" "$?" 0
	check_eq "debootstrapped init" "$(readlink "$BURROW_HOME/deb/rootfs/sbin/init")" /lib/systemd/systemd
	check_eq "debootstrapped rootfs shifted" "$(stat -c %u "$BURROW_HOME/deb/rootfs/usr/bin/ps")" 100000
	check_eq "debootstrap's copy removed" "$(ls "$BURROW_HOME/deb")" "$(printf 'config\nrootfs')"
	check_cmd "destroy deb" "$B" destroy deb
fi
check_eq "nothing left" "$(ls "$BURROW_HOME")" ""
