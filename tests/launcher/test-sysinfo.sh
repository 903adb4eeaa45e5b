#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# sysinfo(2) in a burrow container limited to 300 MiB: burrowfs's seccomp
# agent answers it from the container's own figures, the ones its
# /proc/meminfo and /proc/uptime show (issue 13). busybox free and uptime,
# glibc's get_phys_pages(), perl's raw syscall and an i386 caller all see
# the container; with seccomp-notify=none, or no agent, the host as before.

. "$(dirname "$0")/lib.sh"
. "$L_DIR/sysinfo-lib.sh"

si_init

# ---- busybox, as an Alpine guest's free and uptime ---------------------------

out=$(si_run -- /mnt/busybox free 2>&1)
check_eq "busybox free runs" "$?" 0
note "$(head -2 <<<"$out")"
check_eq "busybox free: total is the limit (kB)" \
	"$(awk '$1 == "Mem:" { print $2 }' <<<"$out")" $((SI_LIMIT / 1024))

out=$(si_run -- /mnt/busybox uptime 2>&1)
note "busybox uptime: $out"
check_cmd "busybox uptime: up 0 min (a new container)" grep -Eq 'up +0 min' <<<"$out"

# ---- field by field against the container's /proc ---------------------------

si_run -- /bin/sh -c '/mnt/check show; echo ---; cat /proc/meminfo; echo ---;
	n=0; for t in /proc/[0-9]*/task/[0-9]*; do n=$((n + 1)); done; echo "threads $n"' \
	>"$T_TMP/show.out" 2>&1
check_eq "show and /proc/meminfo inside" "$?" 0
F=$T_TMP/show.out
kb() { awk -v k="$1:" '$1 == k { print $2 * 1024; exit }' "$F"; }
# Within 4 MiB: the container's own shell runs between sysinfo and the cat.
near() {
	local what=$1 a=$2 b=$3 tol=$4 d
	d=$((a - b))
	d=${d#-}
	if [ -n "$a" ] && [ -n "$b" ] && [ "$d" -le "$tol" ]; then
		t_ok "$what ($a vs $b)"
	else
		t_not_ok "$what: $a vs $b (tolerance $tol)"
	fi
}
check_eq "sysinfo totalram is the limit" "$(si_field "$F" totalram)" $SI_LIMIT
check_eq "sysinfo totalram = MemTotal" "$(si_field "$F" totalram)" "$(kb MemTotal)"
near "sysinfo freeram ~ MemFree" "$(si_field "$F" freeram)" "$(kb MemFree)" $((4 << 20))
near "sysinfo sharedram ~ Shmem" "$(si_field "$F" sharedram)" "$(kb Shmem)" $((4 << 20))
check_eq "sysinfo bufferram = Buffers" "$(si_field "$F" bufferram)" "$(kb Buffers)"
check_eq "sysinfo totalswap = SwapTotal" "$(si_field "$F" totalswap)" "$(kb SwapTotal)"
near "sysinfo freeswap ~ SwapFree" "$(si_field "$F" freeswap)" "$(kb SwapFree)" $((4 << 20))
check_eq "sysinfo mem_unit" "$(si_field "$F" mem_unit)" 1
up=$(si_field "$F" uptime)
pup=$(awk '$1 == "proc_uptime" { split($2, a, "."); print a[1] + (a[2] > 0) }' "$F")
near "sysinfo uptime ~ /proc/uptime (s)" "$up" "$pup" 1
check_num "sysinfo uptime under a minute" "$up" "<" 60
# Without -l, loads are the host's, as /proc/loadavg shows them (0.01 = 655/65536).
pload=$(awk '$1 == "proc_loadavg" { printf "%d", $2 * 65536 }' "$F")
near "sysinfo loads[0] ~ /proc/loadavg" "$(si_field "$F" load1)" "$pload" 1311
near "sysinfo procs ~ the container's threads" "$(si_field "$F" procs)" \
	"$(si_field "$F" threads)" 2
check_eq "glibc get_phys_pages() * page size is the limit" "$(si_field "$F" phys_pages_bytes)" \
	$SI_LIMIT

# perl's syscall(): a real interpreter's raw sysinfo (totalram at offset 32, mem_unit at 104).
out=$(si_run -- perl -e '$b = "\0" x 112; syscall(99, $b) == 0 or die "$!";
	my ($t, $u) = (unpack("Q", substr($b, 32, 8)), unpack("L", substr($b, 104, 4)));
	print $t * $u, "\n"' 2>&1)
check_eq "perl syscall(sysinfo) totalram" "$out" $SI_LIMIT

if [ -n "$SI_I386" ]; then
	si_run -- /mnt/check32 >"$T_TMP/i386.out" 2>&1
	check_eq "i386 caller: no error" "$(si_field "$T_TMP/i386.out" error)" 0
	check_eq "i386 caller: totalram in its 32-bit struct" \
		"$(si_field "$T_TMP/i386.out" totalram)" $SI_LIMIT
	check_eq "i386 caller: mem_unit" "$(si_field "$T_TMP/i386.out" mem_unit)" 1
else
	note "SKIP i386 caller: gcc -m32 cannot link ($(head -1 "$T_TMP/cc32.log"))"
fi

# ---- with -l, loads are the container's own, as its /proc/loadavg ------------

SI_SOCK_HOSTLOAD=$SI_SOCK
BFS_MNT_HOSTLOAD=$BFS_MNT
SI_SOCK=$T_TMP/seccomp-l.sock
bfs_start -l --seccomp-socket "$SI_SOCK"
# A busy loop for a while, so the container's own average leaves 0.00; the
# first call makes the sampler sample this container, as a read of loadavg does.
si_run -- /bin/sh -c '/mnt/check show >/dev/null; timeout 11 sh -c "while :; do :; done";
	/mnt/check show' \
	>"$T_TMP/load.out" 2>&1
note "with -l: $(grep -E '^(load1|proc_loadavg)' "$T_TMP/load.out" | tr '\n' ' ')"
pload=$(awk '$1 == "proc_loadavg" { printf "%d", $2 * 65536 }' "$T_TMP/load.out")
near "-l: sysinfo loads[0] ~ the container's /proc/loadavg" \
	"$(si_field "$T_TMP/load.out" load1)" "$pload" 1311
check_num "-l: the container's load average left 0.00" "$(si_field "$T_TMP/load.out" load1)" ">" 1311
SI_SOCK=$SI_SOCK_HOSTLOAD
BFS_MNT=$BFS_MNT_HOSTLOAD

# ---- attach: the command's own filter and listener --------------------------

CT=si-attach-$$
"$BURROW" create "$CT" --from-tar "$ROOTFS_TAR" -c memory=300M -c burrowfs=yes \
	-c burrowfs-path="$BFS_MNT" -c seccomp-agent="$SI_SOCK" -c bind="$SI_BIN:/mnt:ro" \
	>"$T_TMP/create.log" 2>&1 || die "create: $(cat "$T_TMP/create.log")"
defer "'$BURROW' destroy -f '$CT' >/dev/null 2>&1"
"$BURROW" start "$CT" >"$T_TMP/start.log" 2>&1 || die "start: $(cat "$T_TMP/start.log")"
defer "'$BURROW' stop '$CT' >/dev/null 2>&1"
l_is_running "$BURROW" attach "$CT" -- >/dev/null
out=$(timeout 60 "$BURROW" attach "$CT" -- /mnt/busybox free </dev/null 2>&1)
check_eq "attach: busybox free total is the limit (kB)" \
	"$(awk '$1 == "Mem:" { print $2 }' <<<"$out")" $((SI_LIMIT / 1024))

# ---- the controls: the same checks see the host without the agent ------------

out=$(si_run -c seccomp-notify=none -- /mnt/busybox free 2>&1)
check_eq "seccomp-notify=none: busybox free shows the host" \
	"$(awk '$1 == "Mem:" { printf "%.0f\n", $2 * 1024 }' <<<"$out")" "$SI_HOST_RAM"
out=$(si_run -c seccomp-agent="$T_TMP/absent.sock" -- /mnt/busybox free 2>&1)
check_eq "no agent at the path: the container starts, sysinfo shows the host" \
	"$(awk '$1 == "Mem:" { printf "%.0f\n", $2 * 1024 }' <<<"$out")" "$SI_HOST_RAM"
check_cmd "no agent at the path: the launcher says so" grep -q "seccomp agent is not at" <<<"$out"
