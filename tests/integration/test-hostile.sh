#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Hostile and odd readers against one daemon, which must survive all of it
# and still answer correctly at the end:
#   readers killed mid-read; zombies, and a reader whose thread-group leader
#   is a zombie; the init of a namespace dying under its readers; an init
#   pid (and pid namespace inode) reused by another container; a cgroup
#   removed while its container reads; 2000 pid namespaces reading once each
#   (the cache stays bounded, and so does the daemon's RSS); reads at
#   absurd offsets and sizes; every kind of write.
# Odd cgroup file contents are the unit suite's (test-hostile.c): a real
# cgroupfs can't be made to hold them.
source "$(dirname "$0")/../lib/lib.sh"
t_init
[ -n "$PYTHON" ] || skip "no python3"
H=$T_DIR/hostile.py
N_MANY=${HOSTILE_CONTAINERS:-2000}

# A small cache, so 2000 containers go through it many times over.
bfs_start --max-containers 128
MNT=$BFS_MNT
HOST_KB=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
A_KB=$((96 * 1024))
B_KB=$((160 * 1024))
cg_new a
cg_set a mem $((A_KB * 1024)) || die "cannot set a memory limit"
cg_new b
cg_set b mem $((B_KB * 1024)) || die "cannot set a memory limit"

procs() {
	cg_procs_dirs "$1" | sed 's|$|/cgroup.procs|'
}
mapfile -t PA < <(procs a)
mapfile -t PB < <(procs b)

# hostile CMD ARGS...: the helper, bounded.
hostile() {
	timeout -k 5 "${HOSTILE_TIMEOUT:-120}" "$PYTHON" "$H" "$@"
}

rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$BFS_PID/status"
}

# The daemon is alive and right: the host sees the host, a container its limit.
still_sane() {
	local what=$1 got
	check_cmd "$what: burrowfs is running" kill -0 "$BFS_PID"
	# shellcheck disable=SC2016
	got=$(timeout 10 awk '$1 == "MemTotal:" { print $2 }' "$MNT/proc/meminfo")
	check_eq "$what: the host reads the host's MemTotal" "$got" "$HOST_KB"
	got=$(hostile many "$MNT" 1 1 "${PA[@]}")
	check_eq "$what: a new container reads its own limit" "$got" "memtotal $A_KB 1"
}

# ---- readers that exit mid-read ----------------------------------------------
out=$(hostile readers-exit "$MNT" 5)
check_num "readers killed at random points of open/read/close" \
	"$(awk '$1 == "killed" { print $2 }' <<<"$out")" ">" 100
still_sane "after readers killed mid-read"

# ---- zombies ------------------------------------------------------------------
out=$(hostile zombies "$MNT" 3 "${PA[@]}")
note "$(tr '\n' ' ' <<<"$out")"
check_num "zombie leader: its thread's reads all succeed" \
	"$(awk '$1 == "read" && $2 == "ok" { print $3 }' <<<"$out")" ">" 10
check_eq "zombie leader: no read failed" "$(awk '$1 == "read" && $2 != "ok"' <<<"$out")" ""
check_num "the container held its zombies while it read" \
	"$(awk '$1 == "zombies" { print $2 }' <<<"$out")" ">=" 21
check_eq "the zombie container exited normally" "$(awk '$1 == "exit" { print $2 }' <<<"$out")" 0
still_sane "after zombies"

# ---- the init dies under its readers ------------------------------------------
out=$(hostile init-dies "$MNT" 10 "${PA[@]}")
note "$(tr '\n' ' ' <<<"$out")"
check_eq "every round's init died as told" \
	"$(awk '$1 == "result" && $2 ~ /^init_exit/ { print $2, $3 }' <<<"$out")" "init_exit_9 10"
check_eq "no reader hung after its init died" "$(awk '$2 == "hung"' <<<"$out")" ""
check_num "readers read their limit before the init died" \
	"$(awk -v k="$A_KB" '$1 == "result" && $2 == k { print $3 }' <<<"$out")" ">=" 10
# A reader caught between its init's death and its own gets an error, never
# another container's or the host's figure.
check_eq "no reader saw a figure other than its limit" \
	"$(awk -v k="$A_KB" '$1 == "result" && $2 ~ /^[0-9]+$/ && $2 != k' <<<"$out")" ""
still_sane "after inits died under their readers"

# ---- pid reuse ------------------------------------------------------------------
out=$(hostile pid-reuse "$MNT" 12 "${PA[@]}" -- "${PB[@]}")
check_num "12 rounds of pid reuse ran" "$(grep -c '^round' <<<"$out")" == 12
check_eq "container A always read A's limit" \
	"$(awk -v k="$A_KB" '$1 == "round" && $4 != k' <<<"$out")" ""
check_eq "container B, on A's old pid, always read B's limit" \
	"$(awk -v k="$B_KB" '$1 == "round" && $6 != k' <<<"$out")" ""
reused_pid=$(awk '$1 == "round" && $8 == 1' <<<"$out" | wc -l)
reused_ns=$(awk '$1 == "round" && $10 == 1' <<<"$out" | wc -l)
note "rounds where B got A's init pid: $reused_pid, A's pid namespace inode: $reused_ns"
check_num "B's init took A's dead init's pid in some rounds" "$reused_pid" ">" 0
still_sane "after pid reuse"

# ---- a cgroup removed between resolution and render ------------------------------
# The container moves from x to y and x is removed while it reads in a loop,
# then it moves to a new x1 and back, x1 is removed, and so on. Each read shows
# x's limit, y's, or an error, never the host's or a parent's figure; once
# the moves stop and the daemon has noticed (it reloads a container's cgroup
# paths every second, and renders live 100 ms), y's.
cg_new x
cg_set x mem $((64 << 20)) || die "cannot set a memory limit"
cg_new y
cg_set y mem $((128 << 20)) || die "cannot set a memory limit"
# shellcheck disable=SC2016
ct_run "$MNT" x bash -c 'flag=$1 since=""
	while :; do
		v=$(awk "\$1 == \"MemTotal:\" { print \$2 }" /proc/meminfo 2>/dev/null) || v=ERR
		now=${EPOCHREALTIME/./}
		if [ -z "$since" ] && [ -e "$flag" ]; then since=$now; fi
		if [ -z "$since" ]; then
			echo "moving ${v:-ERR}"
		else
			echo "$(((now - since) / 1000)) ${v:-ERR}"
			[ $((now - since)) -lt 3000000 ] || break
		fi
	done' mv "$T_TMP/moved" >"$T_TMP/move.out" 2>&1 &
ct=$!
sleep 1
# Until none is left: the container forks all the time, and a child forked
# while its parent moves may land in the old cgroup.
move_all() {
	local from=$1 to=$2 d p i left
	for ((i = 0; i < 100; i++)); do
		left=0
		while IFS= read -r d; do
			while read -r p; do
				echo "$p" >"$d/$to/cgroup.procs" 2>/dev/null
				left=1
			done < <(cg_own_pids "$d/$from")
		done < <(cg_roots | sed "s|\$|/$CG_BASE|")
		[ $left -eq 1 ] || return 0
	done
}
rm_cg() {
	local d
	while IFS= read -r d; do
		rmdir "$d/$CG_BASE/$1" 2>/dev/null
	done < <(cg_roots)
}
move_all x y
rm_cg x
check_cmd "cgroup x is gone while its container reads" test ! -d "$(cg_procs_dirs x | head -n1)"
# A new cgroup each time, limited before anyone moves in: a cgroup the
# daemon still has on file (it reloads paths every second) is either gone or
# holds x's limit, never a fresh cgroup's "no limit yet".
for ((i = 0; i < 10; i++)); do
	cg_new "x$i"
	cg_set "x$i" mem $((64 << 20))
	move_all y "x$i"
	sleep 0.1
	move_all "x$i" y
	rm_cg "x$i"
	sleep 0.2
done
touch "$T_TMP/moved"
wait "$ct"
check_num "the moved container finished (no read hung)" $? == 0
n=$(wc -l <"$T_TMP/move.out")
check_num "the moved container read many times" "$n" ">" 50
check_eq "every read: x's limit, y's limit or an error" \
	"$(awk '$2 != 65536 && $2 != 131072 && $2 != "ERR"' "$T_TMP/move.out" | head -n3)" ""
check_num "reads after the moves stopped" "$(awk '$1 != "moving"' "$T_TMP/move.out" | wc -l)" \
	">" 10
check_eq "1.2 s after the moves stopped, every read shows y's limit" \
	"$(awk '$1 != "moving" && $1 >= 1200 { print $2 }' "$T_TMP/move.out" | sort -u |
		tr '\n' ' ')" "131072 "
note "reads: $n, errors: $(grep -c ERR "$T_TMP/move.out")"
still_sane "after a cgroup was removed under its readers"

# ---- thousands of containers -----------------------------------------------------
# The daemon holds at most --max-containers (128) of them; after the first few
# hundred its RSS must stop growing. Sanitizer builds keep freed memory in
# quarantine and valgrind has its own overhead: their bound is looser.
out=$(HOSTILE_TIMEOUT=300 hostile many "$MNT" 400 4 "${PA[@]}")
check_eq "400 containers each read their own limit" "$out" "memtotal $A_KB 400"
rss1=$(rss_kb)
out=$(HOSTILE_TIMEOUT=600 hostile many "$MNT" $((N_MANY - 400)) 4 "${PA[@]}")
check_eq "$((N_MANY - 400)) more containers each read their own limit" "$out" \
	"memtotal $A_KB $((N_MANY - 400))"
rss2=$(rss_kb)
bound=$((16 * 1024))
if [ -n "${BURROWFS_WRAPPER:-}" ] || grep -q -a -e __asan_init -e __ubsan_handle "$BURROWFS"; then
	bound=$((192 * 1024))
fi
note "RSS after 400 containers: $rss1 kB, after $N_MANY: $rss2 kB"
check_num "RSS grew less than $bound kB over $((N_MANY - 400)) more containers" \
	$((rss2 - rss1)) "<" "$bound"
# Each cached container holds a pidfd of its init: the open fds show the bound.
fds=$(find "/proc/$BFS_PID/fd" -mindepth 1 | wc -l)
check_num "open fds after $N_MANY containers stay within the cache's 128" "$fds" "<" 192
still_sane "after $N_MANY containers"

# ---- absurd offsets and sizes, writes ------------------------------------------
CPU0_FILE=sys/devices/system/cpu/cpu0/topology/core_id
[ -e "$MNT/$CPU0_FILE" ] || CPU0_FILE=sys/devices/system/cpu/online
WRITABLE_ON_HOST=sys/devices/system/cpu/cpu0/hotplug/target
[ -e "$MNT/$WRITABLE_ON_HOST" ] || WRITABLE_ON_HOST=$CPU0_FILE
FILES="proc/meminfo proc/cpuinfo proc/stat proc/uptime proc/diskstats proc/swaps
	sys/devices/system/cpu/online $CPU0_FILE"
# The container gets no memory limit here: with async direct I/O the kernel
# pins (and charges to the reader) much of a 1 GiB read buffer at once, which
# a small limit turns into the reader's OOM, not a daemon failure.
cg_new big
for who in host container; do
	if [ "$who" == host ]; then
		run() { hostile "$@"; }
	else
		run() { ct_run "$MNT" big "$PYTHON" "$H" "$@"; }
	fi
	# shellcheck disable=SC2086
	out=$(run absurd "$MNT" $FILES)
	check_num "$who: every absurd read was checked" "$(grep -c '^absurd' <<<"$out")" == 64
	check_eq "$who: absurd offsets and sizes read nothing past the end, no errors" \
		"$(awk '$1 == "absurd" && $4 != "ok"' <<<"$out")" ""
	# shellcheck disable=SC2086
	out=$(run writes "$MNT" $FILES "$WRITABLE_ON_HOST")
	check_num "$who: every write was tried" "$(grep -c '^write' <<<"$out")" == 85
	check_eq "$who: every write is refused with EACCES" \
		"$(grep '^write' <<<"$out" | grep -v ' ok$')" ""
done

still_sane "at the end"
check_eq "burrowfs logged no sanitizer report" \
	"$(grep -a -c -e 'ERROR: AddressSanitizer' -e 'runtime error:' "$BFS_LOG")" 0
