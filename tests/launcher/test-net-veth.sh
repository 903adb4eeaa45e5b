#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# network=veth's helper (issue 11), as an ordinary user with a quota, inside
# a network namespace of the test's own: burrow-net gives the user's
# container an eth0 on the bridge that share/burrow-bridge.sh made; the
# container gets an address from that bridge's dnsmasq, fetches a file from a
# server on the bridge address, and a server there reaches a port in it.
# After `del`, and after kill -9 of the container, the host end and the
# record are gone. The (N+1)th interface is refused, naming the quota file
# and the line.

. "$(dirname "$0")/net-lib.sh"

n_enter "$@"
n_init
U=bnet-a
l_user "$U"
UID_A=$(id -u "$U")
n_quota "# test quota
nobody veth $N_BR 5
$U veth $N_BR 2"
n_bridge
check_eq "the bridge script made $N_BR with its address" \
	"$(ip -o -4 addr show dev "$N_BR" | awk '{ print $4 }')" "$N_ADDR/24"
check_eq "it made its own nftables table, masquerading the subnet" \
	"$(nft list table ip burrow | grep -o 'ip saddr [0-9./]* ip daddr != [0-9./]* masquerade')" \
	"ip saddr 10.231.0.0/24 ip daddr != 10.231.0.0/24 masquerade"

# ---- add ----
n_target "$U"
T1=$N_TARGET
check_eq "quota before" "$(n_as "$U" "$BN" quota)" "$N_BR 0/2"
HOST=$(n_as "$U" "$BN" add --pid "$T1" --hwaddr 02:00:00:aa:bb:01 2>"$T_TMP/err")
check_eq "add prints the host end, named after the uid" "$HOST" "bn$UID_A-0"
check_eq "add said nothing else" "$(cat "$T_TMP/err")" ""
check_eq "the host end is on $N_BR and up" \
	"$(ip -o link show dev "$HOST" | grep -o "master $N_BR state [A-Z]*" | sed 's/state [A-Z]*/state/')" \
	"master $N_BR state"
check_cmd "the host end is up" sh -c "ip -o link show dev '$HOST' | grep -q '<[^>]*,UP[,>]'"
# (/sys is the host's sysfs here: ask the container's netns through ip.)
check_eq "the container has eth0 with the asked MAC" \
	"$(nsenter -t "$T1" -n ip -o link show dev eth0 | grep -o 'link/ether [0-9a-f:]*')" \
	"link/ether 02:00:00:aa:bb:01"
check_eq "eth0's peer is the host end" \
	"$(nsenter -t "$T1" -n ip -o link show dev eth0 | awk '{ print $2 }')" \
	"eth0@if$(ip -o link show dev "$HOST" | cut -d: -f1):"
check_eq "the record: owner, bridge, netns" "$(cat "/run/burrow/net/$HOST")" \
	"uid=$UID_A bridge=$N_BR netns=$(stat -L -c %d:%i "/proc/$T1/ns/net")"
check_eq "ls --json as the user" "$(n_as "$U" "$BN" ls --json)" \
	"[{\"host\":\"$HOST\",\"bridge\":\"$N_BR\",\"uid\":$UID_A,\"netns\":$(stat -L -c %i "/proc/$T1/ns/net"),\"exists\":true}]"

# ---- DHCP from the bridge's dnsmasq ----
cat >"$T_TMP/udhcpc.sh" <<'SH'
#!/bin/sh
# udhcpc's event script: the lease, applied with ip.
case $1 in
bound | renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
	;;
esac
SH
chmod 755 "$T_TMP/udhcpc.sh"
n_in "$T1" "$U" sh -c 'ip link set lo up && ip link set eth0 up' || die "eth0 up"
n_in "$T1" "$U" busybox udhcpc -i eth0 -f -q -n -t 10 -T 1 -s "$T_TMP/udhcpc.sh" \
	>"$T_TMP/udhcpc.log" 2>&1
check_eq "udhcpc got a lease" "$?" 0
IP1=$(nsenter -t "$T1" -n ip -o -4 addr show dev eth0 | awk '{ print $4 }')
check_cmd "eth0's address is in dnsmasq's range ($IP1)" \
	sh -c "echo '$IP1' | grep -Eq '^10\.231\.0\.1[0-9][0-9]/24$'"
check_eq "dnsmasq's lease file has eth0's MAC and that address" \
	"$(awk '$2 == "02:00:00:aa:bb:01" { print $3 }' "$T_TMP/bridge/dnsmasq.leases")" "${IP1%/*}"
check_eq "the default route is the bridge" \
	"$(nsenter -t "$T1" -n ip -4 route show default | awk '{ print $3 }')" "$N_ADDR"

# ---- HTTP both ways ----
mkdir -p "$T_TMP/www"
head -c 300000 /dev/urandom >"$T_TMP/www/blob"
"$PYTHON" -m http.server --bind "$N_ADDR" --directory "$T_TMP/www" 8080 >/dev/null 2>&1 &
N_PIDS+=($!)
for ((i = 0; i < 100; i++)); do
	"$PYTHON" -c "import socket; socket.create_connection(('$N_ADDR', 8080), 1)" 2>/dev/null && break
	sleep 0.05
done
n_in "$T1" "$U" timeout 20 busybox wget -q -O - "http://$N_ADDR:8080/blob" >"$T_TMP/got" 2>"$T_TMP/wget.err" ||
	note "wget: $(cat "$T_TMP/wget.err")"
check_eq "the container fetched the file from the bridge's server" \
	"$(sha256sum <"$T_TMP/got")" "$(sha256sum <"$T_TMP/www/blob")"
TOKEN=guest-$RANDOM$RANDOM
n_in "$T1" "$U" "$PYTHON" -c "
import socket
s = socket.socket(); s.bind(('0.0.0.0', 9000)); s.listen(1); s.settimeout(10)
c, _ = s.accept(); c.sendall(b'$TOKEN'); c.close()" &
N_PIDS+=($!)
GOT=""
for ((i = 0; i < 100; i++)); do
	GOT=$("$PYTHON" -c "
import socket
c = socket.create_connection(('${IP1%/*}', 9000), 1); print(c.recv(100).decode())" 2>/dev/null) && break
	sleep 0.05
done
check_eq "a client on the bridge reached port 9000 in the container" "$GOT" "$TOKEN"

# ---- del ----
check_cmd "del" n_as "$U" "$BN" del --pid "$T1"
check_eq "after del: no host end" "$(ip -o link show dev "$HOST" 2>/dev/null)" ""
check_eq "after del: no record" "$(ls /run/burrow/net)" ""
check_eq "after del: no eth0 in the container" "$(n_links "$T1" | grep -c eth0)" 0

# ---- the quota: N = 2 ----
n_target "$U"
T2=$N_TARGET
n_target "$U"
T3=$N_TARGET
H1=$(n_as "$U" "$BN" add --pid "$T1")
H2=$(n_as "$U" "$BN" add --pid "$T2")
check_eq "two adds within the quota of 2" "$H1 $H2" "bn$UID_A-0 bn$UID_A-1"
check_eq "quota with both used" "$(n_as "$U" "$BN" quota 2>&1; echo "rc=$?")" \
	"burrow-net: quota used up: 2 of 2 interfaces on $N_BR ($N_USERNET line 3)
rc=1"
BEFORE=$(n_state)
ERR=$(n_as "$U" "$BN" add --pid "$T3" 2>&1)
check_eq "the third is refused, naming the file and the line" "$ERR (rc=$?)" \
	"burrow-net: quota used up: 2 of 2 interfaces on $N_BR ($N_USERNET line 3) (rc=1)"
check_eq "the refusal changed nothing" "$(n_state)" "$BEFORE"
check_eq "the third container has no eth0" "$(n_links "$T3" | grep -c eth0)" 0

# ---- kill -9 of a container frees its port ----
kill -KILL "$T1"
wait "$T1" 2>/dev/null
for ((i = 0; i < 100; i++)); do
	ip link show dev "$H1" >/dev/null 2>&1 || break
	sleep 0.05
done
check_eq "after kill -9: the host end is gone" "$(ip -o link show dev "$H1" 2>/dev/null)" ""
check_eq "the next call drops the record, and ls shows the live one only" \
	"$(n_as "$U" "$BN" ls | awk '{ print $1, $2, $3, $5 }')" "$H2 $N_BR $UID_A yes"
check_eq "after kill -9: no record" "$(ls /run/burrow/net)" "$H2"
check_eq "the freed slot is usable again" "$(n_as "$U" "$BN" add --pid "$T3")" "bn$UID_A-0"
