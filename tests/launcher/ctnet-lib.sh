# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# For the network tests: each runs entirely inside a network and mount
# namespace of its own (never configuring the host's), which stands for the
# container's "host". Traffic goes only to loopback and to addresses inside
# it; every wait is bounded.

# net_enter "$@": re-executes the test in a new network and mount namespace,
# unless it already runs in one made for it.
net_enter() {
	[ "$(id -u)" -eq 0 ] || {
		echo "1..0 # SKIP needs root"
		exit 77
	}
	[ -n "${BURROW_NET_TEST_NS:-}" ] && return 0
	export BURROW_NET_TEST_NS=1
	exec unshare --net --mount --propagation private bash "$0" "$@"
}

# net_tools TOOL...: a missing tool fails the test (CI installs them all).
net_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || {
			echo "not ok - $t is not installed (tests/run-tests.sh PACKAGES)"
			exit 1
		}
	done
}

# net_uplink: what pasta needs, an interface with an address and a default
# route. This kernel has no dummy module: one end of a veth pair, d0, holds
# 192.0.2.1/24 (TEST-NET-1) and the default route via 192.0.2.254.
net_uplink() {
	ip link set lo up || die "lo up"
	ip link add d0 type veth peer name d1 || die "veth d0"
	ip addr add 192.0.2.1/24 dev d0
	ip link set d0 up
	ip link set d1 up
	ip route add default via 192.0.2.254 || die "default route"
	# pasta and slirp4netns, run as a user, open /dev/net/tun: udev makes it
	# 0666, but a host without udev (this VM) leaves it 0600. A node of the
	# test's own, in its own mount namespace, changes nothing outside.
	if ! su -s /bin/sh nobody -c 'test -r /dev/net/tun -a -w /dev/net/tun' 2>/dev/null; then
		mount -t tmpfs -o mode=755,size=64k tmpfs /dev/net || die "tmpfs on /dev/net"
		mknod -m 666 /dev/net/tun c 10 200 || die "mknod /dev/net/tun"
	fi
}

# net_http DIR ADDR PORT: a file server on ADDR:PORT in this namespace, for
# the test's length (at most 10 minutes); NET_HTTP_PID.
net_http() {
	(cd "$1" && exec timeout 600 "$PYTHON" -m http.server --bind "$2" "$3") >"$T_TMP/http.log" 2>&1 &
	NET_HTTP_PID=$!
	defer "kill $NET_HTTP_PID 2>/dev/null"
	local i
	for ((i = 0; i < 100; i++)); do
		(exec 3<>"/dev/tcp/$2/$3") 2>/dev/null && return 0
		sleep 0.05
	done
	die "the HTTP server on $2:$3 did not start"
}

# The guest's side, with what a minbase Debian has: bash's /dev/tcp and perl-base.
# NET_FETCH ADDR PORT PATH: the body of an HTTP GET.
# shellcheck disable=SC2034,SC2016
NET_FETCH='exec 3<>/dev/tcp/$0/$1 && printf "GET /$2 HTTP/1.0\r\nHost: t\r\n\r\n" >&3 && sed "1,/^\r$/d" <&3'
# NET_SERVE PORT TEXT: answers one connection on PORT with TEXT, within 60 s.
# shellcheck disable=SC2034,SC2016
NET_SERVE='alarm 60; my $s = IO::Socket::INET->new(LocalPort => $ARGV[0], Listen => 1, ReuseAddr => 1) or die "listen: $!"; my $c = $s->accept; print $c "$ARGV[1]\n"; close $c'

# net_read_port ADDR PORT: the first line a server on ADDR:PORT sends, retried
# for up to 10 s while it is not listening yet.
net_read_port() {
	local i line
	for ((i = 0; i < 100; i++)); do
		line=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" && head -n1 <&3' "$1" "$2" 2>/dev/null) &&
			[ -n "$line" ] && {
			echo "$line"
			return 0
		}
		sleep 0.1
	done
	return 1
}
