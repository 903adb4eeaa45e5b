#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# network=veth through the launcher (issue 11), inside a network namespace
# of the test's own: a booted Debian guest of an unprivileged user with a
# quota (network=auto picks veth) gets its address by DHCP from the
# bridge's dnsmasq, fetches a file from a server on the bridge address, and
# that server reaches a port in the guest; info and ls --json show the
# address. After stop, and after kill -9 of the container's init, the host
# end and its allocation are gone.

. "$(dirname "$0")/net-lib.sh"
. "$(dirname "$0")/ctnet-lib.sh"

n_enter "$@"
l_init
# n_init's tmpfs over /etc/burrow and /run/burrow, and the setuid copy of
# burrow-net in $T_TMP/bin ($BN; /tmp is not nosuid here).
n_init
l_rootfs
l_pam_cgfs
U=burrowv$$
l_user "$U"
l_subids "$U" 750000
l_login "$U"
UID_U=$(id -u "$U")
B="BURROW_NET=$BN $BURROW"
CT=nv$$
defer "as $U '$B destroy --force $CT' >/dev/null 2>&1"

n_quota "$U veth $N_BR 1"
n_bridge
mkdir -p "$T_TMP/www"
TOKEN=host-$RANDOM$RANDOM
echo "$TOKEN" >"$T_TMP/www/token"
chmod -R a+rX "$T_TMP/www"
net_http "$T_TMP/www" "$N_ADDR" 8000

check_eq "burrow-net grants the user one port" "$(n_as "$U" "$BN" quota --bridge "$N_BR")" "$N_BR 0/1"
check_cmd "create (network=auto)" as "$U" "$B create $CT --from-tar $ROOTFS_TAR -c network-hwaddr=02:00:00:12:34:56"
check_cmd "start --wait" as "$U" "$B start --wait $CT"
check_eq "is-system-running" "$(as "$U" "timeout 60 env $B attach $CT -- systemctl is-system-running --wait")" running

host_end=$(ip -o link show | awk -v p="bn$UID_U-" '{ sub(/@.*/, "", $2); sub(/:$/, "", $2) } index($2, p) == 1 { print $2 }')
check_eq "auto chose veth: the user's host end is on $N_BR" \
	"$(ip -o link show dev "$host_end" 2>/dev/null | grep -o "master $N_BR")" "master $N_BR"
check_eq "burrow-net ls lists it" "$(n_as "$U" "$BN" ls --json | "$PYTHON" -c 'import json,sys; print(" ".join(a["host"] for a in json.load(sys.stdin)))')" "$host_end"
check_eq "the guest's eth0 has the MAC asked for" "$(as "$U" "$B attach $CT -- cat /sys/class/net/eth0/address")" 02:00:00:12:34:56

# networkd in the guest asks the bridge's dnsmasq; at most 30 s.
addr=
for ((i = 0; i < 300; i++)); do
	addr=$(as "$U" "$B info $CT" | awk '/^Addresses:|^ / && $1 != "Addresses:" { print } /^Addresses:/ { print $2, $3 }' |
		awk '$1 == "eth0" && $2 ~ /^10\.231\.0\./ { print $2; exit }')
	[ -n "$addr" ] && break
	sleep 0.1
done
ip4=${addr%/*}
check_eq "the guest got an address from the bridge's subnet" "${addr#*/}" 24
check_eq "dnsmasq leased it to the guest's MAC" \
	"$(awk -v ip="$ip4" '$3 == ip { print $2 }' "$T_TMP/bridge/dnsmasq.leases")" 02:00:00:12:34:56
check_eq "ls --json shows it" "$(as "$U" "$B ls --json" | "$PYTHON" -c 'import json,sys; print(" ".join(a["address"] for a in json.load(sys.stdin)[0]["addresses"] if a["interface"] == "eth0" and ":" not in a["address"]))')" "$addr"

check_eq "the guest fetches from the server on the bridge address" \
	"$(as_argv "$U" timeout 30 env BURROW_NET="$BN" "$BURROW" attach "$CT" -- bash -c "$NET_FETCH" "$N_ADDR" 8000 token)" "$TOKEN"
GTOKEN=guest-$RANDOM$RANDOM
as_argv "$U" timeout 60 "$BURROW" attach "$CT" -- perl -MIO::Socket::INET -e "$NET_SERVE" 8080 "$GTOKEN" >/dev/null 2>&1 &
server=$!
check_eq "the bridge side reaches a port in the guest" "$(net_read_port "$ip4" 8080)" "$GTOKEN"
wait "$server"

# gone HOST_END: no such link, and no allocation of the user (10 s at most:
# the kernel removes a dead netns's interfaces from a work queue).
gone() {
	local i
	for ((i = 0; i < 100; i++)); do
		! ip link show dev "$1" >/dev/null 2>&1 && [ "$(n_as "$U" "$BN" ls --json)" = "[]" ] && return 0
		sleep 0.1
	done
	return 1
}
check_cmd "stop" as "$U" "$B stop $CT"
check_cmd "after stop the host end and its allocation are gone" gone "$host_end"

check_cmd "start again" as "$U" "$B start --wait $CT"
host_end=$(n_as "$U" "$BN" ls --json | "$PYTHON" -c 'import json,sys; print(" ".join(a["host"] for a in json.load(sys.stdin)))')
check_eq "a new host end on $N_BR" "$(ip -o link show dev "$host_end" 2>/dev/null | grep -o "master $N_BR")" "master $N_BR"
init=$(as "$U" "$B ls --json" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"])')
kill -9 "$init"
check_cmd "after kill -9 of init the host end and its allocation are gone" gone "$host_end"
check_eq "and the quota is free again" "$(n_as "$U" "$BN" quota --bridge "$N_BR")" "$N_BR 0/1"
for ((i = 0; i < 100; i++)); do
	[ "$(as "$U" "$B ls" | awk -v n="$CT" '$1 == n { print $2 }')" = STOPPED ] && break
	sleep 0.1
done
check_cmd "destroy" as "$U" "$B destroy $CT"
