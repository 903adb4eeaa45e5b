# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for burrow-net's tests. Each test runs entirely inside a network
# and mount namespace of its own (n_enter re-executes it under `unshare --net
# --mount`): the bridge, dnsmasq, the servers and the "containers" are all
# there, and the machine's own network namespace is never configured. Inside,
# a tmpfs with a quota of the test's hides /etc/burrow, another holds
# /run/burrow. The containers are `unshare --user --map-root-user --net`
# processes of throwaway users: a user namespace they own and a netns it owns,
# as burrow makes for a user's container.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BURROW_NET=${BURROW_NET:-$L_DIR/../../build/launcher/burrow-net}
BRIDGE_SH=$L_DIR/../../share/burrow-bridge.sh
N_BR=burrowbr0
N_ADDR=10.231.0.1
N_USERNET=/etc/burrow/usernet

# n_enter "$@": re-run this test in a new network and mount namespace.
n_enter() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	if [ -z "${N_INSIDE:-}" ]; then
		exec unshare --net --mount --propagation private env N_INSIDE=1 bash "$0" "$@"
	fi
}

# n_init: the tools (missing ones fail: CI installs them), the setuid copy
# of burrow-net, the tmpfs over /etc/burrow and /run/burrow, loopback up.
n_init() {
	local tool d
	t_init
	chmod 755 "$T_TMP"
	for tool in ip bridge dnsmasq nft busybox setpriv nsenter unshare "$PYTHON"; do
		command -v "$tool" >/dev/null || die "$tool is not installed (see tests/run-tests.sh)"
	done
	[ -x "$BURROW_NET" ] || die "burrow-net not built at $BURROW_NET"
	# The build tree's binary is not setuid: a root-owned 4755 copy is.
	mkdir -p "$T_TMP/bin"
	install -o root -g root -m 4755 "$BURROW_NET" "$T_TMP/bin/burrow-net"
	chmod 755 "$T_TMP/bin"
	BN=$T_TMP/bin/burrow-net
	# Mount points for the tmpfs: made on the host if missing, removed after.
	for d in /etc/burrow /run/burrow; do
		if [ ! -d "$d" ]; then
			mkdir -m 755 "$d" || die "mkdir $d"
			defer "rmdir '$d' 2>/dev/null"
		fi
		mount -t tmpfs -o mode=755,size=1m tmpfs "$d" || die "tmpfs on $d"
		defer "umount -l '$d'"
	done
	ip link set lo up
	defer "n_kill_ours"
}

# n_quota TEXT: the quota file, root's, 0644.
n_quota() {
	printf '%s\n' "$1" >"$N_USERNET"
	chmod 644 "$N_USERNET"
}

# n_bridge: share/burrow-bridge.sh in this namespace: burrowbr0 on
# 10.231.0.1/24, dnsmasq with leases in $T_TMP/bridge, NAT.
n_bridge() {
	export BURROW_BRIDGE=$N_BR BURROW_BRIDGE_ADDR=$N_ADDR BURROW_BRIDGE_PREFIX=24
	export BURROW_BRIDGE_DHCP=10.231.0.100,10.231.0.199 BURROW_BRIDGE_STATE=$T_TMP/bridge
	sh "$BRIDGE_SH" start || die "burrow-bridge.sh start"
	defer "sh '$BRIDGE_SH' stop"
}

N_PIDS=()
# n_kill_ours: the processes this test started, and only those.
n_kill_ours() {
	local p
	for p in "${N_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in "${N_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
}

# n_as USER CMD...: CMD as USER, with its groups, in this namespace.
n_as() {
	local user=$1
	shift
	setpriv --reuid "$user" --regid "$user" --init-groups --reset-env "$@"
}

# n_target USER: a "container" of USER: a process in a user namespace of its
# own and a netns that namespace owns. Sets N_TARGET to its pid.
n_target() {
	local i
	setpriv --reuid "$1" --regid "$1" --init-groups --reset-env \
		unshare --user --map-root-user --net sleep 600 &
	N_TARGET=$!
	N_PIDS+=("$N_TARGET")
	# unshare execs sleep: the pid stays; wait until its netns is the new one.
	for ((i = 0; i < 100; i++)); do
		[ "$(readlink "/proc/$N_TARGET/ns/net" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] &&
			[ "$(readlink "/proc/$N_TARGET/exe" 2>/dev/null)" = "$(command -v sleep)" ] && return 0
		sleep 0.05
	done
	die "the container of $1 did not start"
}

# n_in PID USER CMD...: CMD as root of PID's user namespace, in its netns.
n_in() {
	local pid=$1 user=$2
	shift 2
	# The uid maps to the namespace's root; --map-root-user denied setgroups.
	n_as "$user" nsenter -t "$pid" -U -n --preserve-credentials "$@"
}

# n_links [PID]: the interfaces of this netns (or PID's), names and masters.
n_links() {
	if [ -n "${1:-}" ]; then
		nsenter -t "$1" -n ip -o link show | awk '{ print $2 }'
	else
		ip -o link show | awk '{ m = ""; for (i = 1; i < NF; i++) if ($i == "master") m = $(i + 1); print $2, m }'
	fi
}

# n_state: what a refusal must leave as it was: the links here and the records.
n_state() {
	n_links
	echo "--"
	(cd /run/burrow/net 2>/dev/null && for f in bn*; do [ -e "$f" ] && echo "$f: $(cat "$f")"; done)
}
