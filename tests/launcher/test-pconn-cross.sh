#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Two containers on the launcher's defaults (issue 14: each on its own
# burrowfs connection, which the kernel caches) with different memory limits
# and CPUs read /proc/meminfo, /proc/stat and /sys/devices/system/cpu/online
# in lock step: A reads, hands over to B through a FIFO, B reads, hands back, for a
# bounded number of rounds. Neither may ever see the other's MemTotal or CPU
# list: a page, dentry or attribute cached for one connection must not
# answer the other. Then past a daemon's --max-containers, a container
# falls back to the shared mount with one warning, and starts.

. "$(dirname "$0")/lib.sh"

CTL=${BURROWFS_CTL:-$L_DIR/../../build/hooks/burrowfs-ctl}
[ -x "$CTL" ] || die "burrowfs-ctl not built at $CTL"
ROUNDS=1000

l_init
l_rootfs
SOCK=$T_TMP/control.sock
bfs_start --control-socket "$SOCK"
l_root_home
B=$BURROW
[ "$(host_cpus)" -ge 2 ] || die "needs two CPUs for two distinct CPU lists"
stat_of() { "$CTL" --socket "$SOCK" stats | awk -v k="$1" '$1 == k { print $2 }'; }
shared_dev=$(stat -c %d "$BFS_MNT/proc/meminfo")

# The FIFOs the two guests hand over through; the guests' roots are
# subordinate ids, hence the modes.
X=$T_TMP/x
mkdir -m 777 "$X"
mkfifo -m 666 "$X/a" "$X/b"

# guest_script KB ONLINE NCPU FIRST: the loop of one guest, which wants
# MemTotal KB, sys/devices/system/cpu/online ONLINE (burrowfs numbers a
# container's CPUs from 0) and NCPU cpuN lines in /proc/stat. FIRST=1 reads
# first.
guest_script() {
	cat <<EOF
n=0; bad=0
echo "dev \$(stat -c %d /proc/meminfo)"
while [ \$n -lt $ROUNDS ]; do
	[ $4 = 1 ] || read -r _ </mnt/b
	read -r m </proc/meminfo; read -r c </sys/devices/system/cpu/online
	s=\$(grep -c '^cpu[0-9]' /proc/stat)
	set -- \$m
	if [ "\$2" != $1 ] || [ "\$c" != $2 ] || [ "\$s" != $3 ]; then
		bad=\$((bad + 1)); echo "round \$n: MemTotal \$2 kB, CPUs \$c, \$s in /proc/stat"
	fi
	if [ $4 = 1 ]; then echo >/mnt/b; read -r _ </mnt/a; else echo >/mnt/a; fi
	n=\$((n + 1))
done
echo "rounds \$n bad \$bad"
EOF
}

# run_guest NAME MEM CPUS KB ONLINE NCPU FIRST: in the background; output in
# $T_TMP/NAME.out.
run_guest() {
	local name=$1 mem=$2 cpus=$3
	shift 3
	timeout -k 5 120 "$B" run --rootfs "$ROOTFS" -c memory="$mem" -c cpus="$cpus" \
		-c burrowfs=yes -c burrowfs-path="$BFS_MNT" -c burrowfs-control="$SOCK" \
		-c seccomp-notify=none -c network=none -c bind="$X:/mnt" -- \
		sh -c "$(guest_script "$@")" >"$T_TMP/$name.out" 2>"$T_TMP/$name.err"
}

made0=$(stat_of connections_made)
run_guest a 256M 0 262144 0 1 1 &
pa=$!
run_guest b 384M 0-1 393216 0-1 2 0 &
pb=$!
wait "$pa"
ra=$?
wait "$pb"
rb=$?
for g in a b; do
	sed "s/^/# $g: /" "$T_TMP/$g.err"
	grep -v '^dev ' "$T_TMP/$g.out" | head -n 5 | sed "s/^/# $g: /"
done
check_eq "guest a: run ($(head -c 200 "$T_TMP/a.err"))" "$ra" 0
check_eq "guest b: run ($(head -c 200 "$T_TMP/b.err"))" "$rb" 0
check_eq "no fallback warning" "$(cat "$T_TMP/a.err" "$T_TMP/b.err" | grep -c warning)" 0
check_eq "two connections made" "$(stat_of connections_made)" $((made0 + 2))
da=$(awk '$1 == "dev" { print $2 }' "$T_TMP/a.out")
db=$(awk '$1 == "dev" { print $2 }' "$T_TMP/b.out")
check_num "guest a: /proc/meminfo is not the shared mount's" "${da:-x}" "!=" "$shared_dev"
check_num "guest b: /proc/meminfo is not the shared mount's" "${db:-x}" "!=" "$shared_dev"
check_num "the two guests' connections differ" "${da:-x}" "!=" "${db:-y}"
check_eq "guest a (256M, CPU 0): every round its own values" \
	"$(tail -n 1 "$T_TMP/a.out")" "rounds $ROUNDS bad 0"
check_eq "guest b (384M, CPUs 0-1): every round its own values" \
	"$(tail -n 1 "$T_TMP/b.out")" "rounds $ROUNDS bad 0"
for ((i = 0; i < 50; i++)); do
	[ "$(stat_of connections_live)" = 0 ] && break
	sleep 0.2
done
check_eq "both connections ended with their guests" "$(stat_of connections_live)" 0

# Bounded: a daemon that serves one connection. The second container falls
# back to the shared mount with one warning naming the bound, and starts
# with its own values; the daemon logs one line.
SOCK2=$T_TMP/control2.sock
bfs_start --control-socket "$SOCK2" --max-containers 1
shared2=$(stat -c %d "$BFS_MNT/proc/meminfo")
timeout -k 5 120 "$B" run --rootfs "$ROOTFS" -c memory=256M -c burrowfs=yes \
	-c burrowfs-path="$BFS_MNT" -c burrowfs-control="$SOCK2" -c seccomp-notify=none \
	-c network=none -c bind="$X:/mnt" -- sh -c 'read -r _ </mnt/a' 2>"$T_TMP/hold.err" &
holder=$!
for ((i = 0; i < 100; i++)); do
	[ "$("$CTL" --socket "$SOCK2" stats | awk '$1 == "connections_live" { print $2 }')" = 1 ] &&
		break
	sleep 0.1
done
check_eq "the first container holds the one connection" \
	"$("$CTL" --socket "$SOCK2" stats | awk '$1 == "connections_live" { print $2 }')" 1
out=$("$B" run --rootfs "$ROOTFS" -c memory=384M -c burrowfs=yes -c burrowfs-path="$BFS_MNT" \
	-c burrowfs-control="$SOCK2" -c seccomp-notify=none -c network=none -- \
	sh -c 'stat -c %d /proc/meminfo; grep ^MemTotal /proc/meminfo' 2>"$T_TMP/busy.err")
status=$?
check_eq "past --max-containers: the container starts ($(head -c 300 "$T_TMP/busy.err"))" "$status" 0
check_eq "... one warning naming the bound" \
	"$(grep -c 'warning: burrowfs-mount=per-container: .*--max-containers' "$T_TMP/busy.err")" 1
check_eq "... the shared mount's files" "$(head -1 <<<"$out")" "$shared2"
check_eq "... its own MemTotal" "$(meminfo_kb "$(tail -1 <<<"$out")" MemTotal)" 393216
check_eq "... the daemon logged one line" "$(grep -c 'max-containers' "$BFS_LOG")" 1
timeout 10 sh -c "echo >'$X/a'" || kill "$holder"
wait "$holder"
status=$? # before the message's $(...) resets it
check_eq "the holder ended ($(head -c 200 "$T_TMP/hold.err"))" "$status" 0
