#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-net.sh [BUILD_DIR]: a container's network, side by side, all inside a
# network and mount namespace the benchmark makes (the machine's own is never
# configured; traffic goes only to addresses in namespaces made here). For
# each way in, from an unprivileged user's `unshare --user --net` container to
# a server in the benchmark's namespace (its "host"):
#   veth        burrow-net's port on a bridge (burrowbr0, 10.231.0.1/24)
#   lxc-veth    lxc-user-nic's port on the same bridge: the anchor (the same
#               helper an unprivileged LXC container's NIC comes from)
#   pasta       pasta -4 --config-net, the host reached at the gateway address
#               (burrow's network-host-loopback=yes)
#   pasta-splice the same, to the container's own 127.0.0.1 with -T: pasta
#               splices those ports to the host's loopback (its fast path;
#               burrow's network-to-host=tcp:PORT:PORT)
#   slirp4netns slirp4netns --configure, the host's loopback at 10.0.2.2
#   loopback    the host namespace's own 127.0.0.1: the ceiling
# it measures iperf3 throughput container -> host (BENCH_SECS, default 4 s,
# BENCH_ROUNDS rounds, default 3, the median) and TCP latency: connect, one
# byte each way, close, BENCH_CONNECTS (default 1000) times, the median and
# the 90th percentile, also in interleaved rounds. Then the targets: veth
# within 10% of LXC's veth, pasta ahead of slirp4netns. Needs root, iperf3,
# lxc, passt, slirp4netns; about 3 minutes.
BUILD_DIR=${1:-${BUILD_DIR:-$(cd "$(dirname "$0")/../../build" && pwd)}}
export BURROW_NET=${BURROW_NET:-$BUILD_DIR/launcher/burrow-net}
export BURROWFS=${BURROWFS:-$BUILD_DIR/fs/burrowfs}
# shellcheck source=../launcher/net-lib.sh
source "$(cd "$(dirname "$0")/../launcher" && pwd)/net-lib.sh"
SECS=${BENCH_SECS:-4}
ROUNDS=${BENCH_ROUNDS:-3}
CONNECTS=${BENCH_CONNECTS:-1000}
LXC_NIC=/usr/libexec/lxc/lxc-user-nic

n_enter "$BUILD_DIR"
n_init
for tool in iperf3 pasta slirp4netns "$LXC_NIC"; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done
U=bnet-bench
l_user "$U"
n_quota "$U veth $N_BR 2"
BURROW_BRIDGE_NAT=0 n_bridge
# pasta copies the host's uplink: a veth with an address and a default route
# (no `dummy` module here). Nothing answers at 192.0.2.254: pasta maps that
# gateway address to this namespace's loopback.
ip link add d0 type veth peer name d1 && ip link set d1 up && ip link set d0 up
ip addr add 192.0.2.1/24 dev d0 && ip route add default via 192.0.2.254 dev d0

# pasta and slirp4netns open /dev/net/tun as the user: udev makes it 0666, a
# host without udev leaves it 0600. A node of our own, in our mount namespace.
if ! setpriv --reuid "$U" --regid "$U" --clear-groups test -r /dev/net/tun -a -w /dev/net/tun; then
	mount -t tmpfs -o mode=755,size=64k tmpfs /dev/net || die "tmpfs on /dev/net"
	mknod -m 666 /dev/net/tun c 10 200 || die "mknod /dev/net/tun"
fi

# LXC's helper, its quota and records hidden under this mount namespace's own tmpfs.
for d in /etc/lxc /run/lxc; do
	[ -d "$d" ] || {
		mkdir -m 755 "$d"
		defer "rmdir '$d' 2>/dev/null"
	}
	mount -t tmpfs -o mode=755,size=1m tmpfs "$d" || die "tmpfs on $d"
	defer "umount -l '$d'"
done
echo "$U veth $N_BR 2" >/etc/lxc/lxc-usernet
# lxc-user-nic tells a Linux bridge from an Open vSwitch one by
# /sys/class/net/BRIDGE/bridge: this namespace's own sysfs must show it.
mount -t sysfs sysfs /sys || die "sysfs"

# The servers, in this namespace: iperf3, and a one-byte echo for latency.
iperf3 -s -p 5201 >/dev/null 2>&1 &
N_PIDS+=($!)
cat >"$T_TMP/echo.py" <<'PY'
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7000))
s.listen(128)
while True:
    c, _ = s.accept()
    b = c.recv(1)
    if b:
        c.sendall(b)
    c.close()
PY
"$PYTHON" "$T_TMP/echo.py" &
N_PIDS+=($!)
cat >"$T_TMP/lat.py" <<'PY'
import socket, sys, time
host, n = sys.argv[1], int(sys.argv[2])
t = []
for _ in range(n):
    a = time.perf_counter()
    c = socket.create_connection((host, 7000), 5)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.sendall(b"x")
    if c.recv(1) != b"x":
        sys.exit("no echo")
    c.close()
    t.append(time.perf_counter() - a)
t.sort()
print("%.1f %.1f" % (t[len(t) // 2] * 1e6, t[len(t) * 9 // 10] * 1e6))
PY
chmod 644 "$T_TMP"/*.py
sleep 0.5

# Containers: one per way in.
n_target "$U"
C_VETH=$N_TARGET
n_as "$U" "$BN" add --pid "$C_VETH" >/dev/null || die "burrow-net add"
n_in "$C_VETH" "$U" sh -c 'ip link set lo up; ip addr add 10.231.0.10/24 dev eth0; ip link set eth0 up' ||
	die "veth address"

n_target "$U"
C_LXC=$N_TARGET
mkdir -p "$T_TMP/lxc/bench" && chown -R "$U" "$T_TMP/lxc"
n_as "$U" "$LXC_NIC" create "$T_TMP/lxc" bench "$C_LXC" veth "$N_BR" eth0 >"$T_TMP/lxc-nic.log" 2>&1 ||
	die "lxc-user-nic create: $(cat "$T_TMP/lxc-nic.log")"
n_in "$C_LXC" "$U" sh -c 'ip link set lo up; ip addr add 10.231.0.11/24 dev eth0; ip link set eth0 up' ||
	die "lxc veth address"

n_target "$U"
C_PASTA=$N_TARGET
mkdir -p "$T_TMP/u" && chown "$U" "$T_TMP/u"
n_as "$U" pasta -4 --config-net --quiet -P "$T_TMP/u/pasta.pid" "$C_PASTA" >"$T_TMP/pasta.log" 2>&1 ||
	die "pasta: $(cat "$T_TMP/pasta.log")"
defer "kill \$(cat '$T_TMP/u/pasta.pid') 2>/dev/null"

# pasta's own fast path to the host's services: ports of the container's
# loopback spliced to the host's (-T), no tap and no TCP stack of pasta's.
n_target "$U"
C_PASTA_T=$N_TARGET
n_as "$U" pasta -4 --config-net --quiet -T 5201,7000 -P "$T_TMP/u/pasta-t.pid" "$C_PASTA_T" \
	>"$T_TMP/pasta-t.log" 2>&1 || die "pasta -T: $(cat "$T_TMP/pasta-t.log")"
defer "kill \$(cat '$T_TMP/u/pasta-t.pid') 2>/dev/null"
n_in "$C_PASTA_T" "$U" ip link set lo up

n_target "$U"
C_SLIRP=$N_TARGET
n_as "$U" slirp4netns --configure --mtu=65520 "$C_SLIRP" tap0 >"$T_TMP/slirp.log" 2>&1 &
N_PIDS+=($!)
for ((i = 0; i < 100; i++)); do
	nsenter -t "$C_SLIRP" -n ip -o -4 addr show dev tap0 2>/dev/null | grep -q 10.0.2 && break
	sleep 0.05
done

# run_in NAME CMD...: CMD in the container of NAME (loopback: right here).
run_in() {
	local name=$1
	shift
	case $name in
	loopback) "$@" ;;
	veth) n_in "$C_VETH" "$U" "$@" ;;
	lxc-veth) n_in "$C_LXC" "$U" "$@" ;;
	pasta) n_in "$C_PASTA" "$U" "$@" ;;
	pasta-splice) n_in "$C_PASTA_T" "$U" "$@" ;;
	slirp4netns) n_in "$C_SLIRP" "$U" "$@" ;;
	esac
}
declare -A SERVER=([loopback]=127.0.0.1 [veth]=$N_ADDR [lxc-veth]=$N_ADDR [pasta]=192.0.2.254
	[pasta-splice]=127.0.0.1 [slirp4netns]=10.0.2.2)
NAMES=(loopback veth lxc-veth pasta pasta-splice slirp4netns)

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A GBPS LAT P90
for name in "${NAMES[@]}"; do
	: >"$T_TMP/tp.$name"
	: >"$T_TMP/lat.$name"
done
# Rounds interleave the ways in, so a busy moment of the machine falls on all.
for ((r = 0; r < ROUNDS; r++)); do
	for name in "${NAMES[@]}"; do
		run_in "$name" timeout $((SECS + 20)) iperf3 -c "${SERVER[$name]}" -p 5201 -t "$SECS" -J \
			>"$T_TMP/iperf.json" 2>&1 || die "$name: iperf3 failed: $(head -c 300 "$T_TMP/iperf.json")"
		"$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9)' \
			"$T_TMP/iperf.json" >>"$T_TMP/tp.$name"
	done
done
# Latency too, in interleaved rounds of CONNECTS / ROUNDS; the median of the rounds'.
for ((r = 0; r < ROUNDS; r++)); do
	for name in "${NAMES[@]}"; do
		run_in "$name" timeout 120 "$PYTHON" "$T_TMP/lat.py" "${SERVER[$name]}" \
			$((CONNECTS / ROUNDS)) >>"$T_TMP/lat.$name" || die "$name: latency loop failed"
	done
done
for name in "${NAMES[@]}"; do
	GBPS[$name]=$(median <"$T_TMP/tp.$name")
	LAT[$name]=$(cut -d' ' -f1 "$T_TMP/lat.$name" | median)
	P90[$name]=$(cut -d' ' -f2 "$T_TMP/lat.$name" | median)
done

note "container -> host, $ROUNDS x ${SECS}s iperf3 (median), $ROUNDS x $((CONNECTS / ROUNDS)) connect+1B echo+close (median of rounds)"
printf '# %-12s %12s %14s %12s\n' way Gbit/s "latency us" "p90 us"
for name in "${NAMES[@]}"; do
	printf '# %-12s %12.2f %14.1f %12.1f\n' "$name" "${GBPS[$name]}" "${LAT[$name]}" "${P90[$name]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
TP_R=$(ratio "${GBPS[veth]}" "${GBPS[lxc-veth]}")
LAT_R=$(ratio "${LAT[veth]}" "${LAT[lxc-veth]}")
PS_TP=$(ratio "${GBPS[pasta]}" "${GBPS[slirp4netns]}")
PS_LAT=$(ratio "${LAT[pasta]}" "${LAT[slirp4netns]}")
PSS_TP=$(ratio "${GBPS[pasta-splice]}" "${GBPS[slirp4netns]}")
PSS_LAT=$(ratio "${LAT[pasta-splice]}" "${LAT[slirp4netns]}")
note "veth/lxc-veth throughput $TP_R, latency $LAT_R (target: within 10%)"
note "pasta/slirp4netns throughput $PS_TP, latency $PS_LAT (target: pasta ahead)"
note "pasta-splice/slirp4netns throughput $PSS_TP, latency $PSS_LAT"
check_num "veth throughput within 10% of LXC's veth (ratio)" "$TP_R" ">=" 0.9
check_num "veth latency within 10% of LXC's veth (ratio)" "$LAT_R" "<=" 1.1
check_num "pasta's throughput ahead of slirp4netns's (ratio)" "$PS_TP" ">" 1
check_num "pasta's latency ahead of slirp4netns's (ratio)" "$PS_LAT" "<" 1
check_num "pasta's spliced throughput ahead of slirp4netns's (ratio)" "$PSS_TP" ">" 1
