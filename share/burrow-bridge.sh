#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# burrow-bridge.sh start|stop: the host side of network=veth, as LXC's lxc-net
# is for lxc-user-nic. A bridge with a private IPv4 subnet, dnsmasq serving
# DHCP (and DNS) on it, and NAT out through nftables, in a table of its own
# ("ip burrow") so that nothing else's rules are touched. It acts on the
# network namespace it runs in; burrow-net-bridge.service runs it on the host.
#
# Settings come from the environment, which the unit fills from
# /etc/burrow/bridge.conf (all optional):
#   BURROW_BRIDGE=burrowbr0          the bridge
#   BURROW_BRIDGE_ADDR=10.0.7.1      its address, and the guests' gateway
#   BURROW_BRIDGE_PREFIX=24          the subnet's prefix length
#   BURROW_BRIDGE_DHCP=10.0.7.2,10.0.7.254   dnsmasq's --dhcp-range
#   BURROW_BRIDGE_NAT=1              0: no NAT and no ip_forward
#   BURROW_BRIDGE_STATE=/run/burrow/bridge   dnsmasq's pid and lease files
set -eu

BR=${BURROW_BRIDGE:-burrowbr0}
ADDR=${BURROW_BRIDGE_ADDR:-10.0.7.1}
PREFIX=${BURROW_BRIDGE_PREFIX:-24}
DHCP=${BURROW_BRIDGE_DHCP:-${ADDR%.*}.2,${ADDR%.*}.254}
NAT=${BURROW_BRIDGE_NAT:-1}
STATE=${BURROW_BRIDGE_STATE:-/run/burrow/bridge}

die() {
	echo "burrow-bridge: $*" >&2
	exit 1
}

# The subnet in CIDR form from ADDR/PREFIX (dotted quad arithmetic in awk).
subnet() {
	echo "$ADDR $PREFIX" | awk '{
		split($1, o, "."); n = ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4]
		size = 2 ^ (32 - $2); n = n - n % size
		printf "%d.%d.%d.%d/%d\n", int(n / 16777216), int(n / 65536) % 256,
			int(n / 256) % 256, n % 256, $2 }'
}

start() {
	net=$(subnet)
	mkdir -p "$STATE"
	if ! ip link show dev "$BR" >/dev/null 2>&1; then
		ip link add "$BR" type bridge || die "cannot create $BR"
	fi
	ip addr replace "$ADDR/$PREFIX" dev "$BR"
	ip link set "$BR" up
	if [ "$NAT" = 1 ]; then
		echo 1 >/proc/sys/net/ipv4/ip_forward
		# Replaced whole, so a restart never stacks rules.
		nft delete table ip burrow 2>/dev/null || true
		nft -f - <<-NFT || die "nft failed"
		table ip burrow {
			chain postrouting {
				type nat hook postrouting priority srcnat; policy accept;
				ip saddr $net ip daddr != $net masquerade
			}
		}
		NFT
	fi
	if [ -s "$STATE/dnsmasq.pid" ] && kill -0 "$(cat "$STATE/dnsmasq.pid")" 2>/dev/null; then
		return 0
	fi
	dnsmasq --conf-file=/dev/null --strict-order --bind-interfaces \
		--except-interface=lo --interface="$BR" --listen-address="$ADDR" \
		--dhcp-range="$DHCP" --dhcp-no-override --dhcp-authoritative \
		--dhcp-leasefile="$STATE/dnsmasq.leases" --pid-file="$STATE/dnsmasq.pid" ||
		die "dnsmasq failed"
}

stop() {
	if [ -s "$STATE/dnsmasq.pid" ]; then
		pid=$(cat "$STATE/dnsmasq.pid")
		kill "$pid" 2>/dev/null || true
		# Gone before the bridge goes, within 5 s.
		i=0
		while [ $i -lt 50 ] && kill -0 "$pid" 2>/dev/null; do
			sleep 0.1
			i=$((i + 1))
		done
		rm -f "$STATE/dnsmasq.pid"
	fi
	nft delete table ip burrow 2>/dev/null || true
	if ip link show dev "$BR" >/dev/null 2>&1; then
		ip link del "$BR"
	fi
}

case ${1:-} in
start) start ;;
stop) stop ;;
restart)
	stop
	start
	;;
*)
	echo "usage: burrow-bridge.sh start|stop|restart" >&2
	exit 2
	;;
esac
