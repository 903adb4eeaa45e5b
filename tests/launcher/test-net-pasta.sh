#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# network=pasta, inside a network namespace of the test's own: a booted
# Debian guest of an unprivileged user reaches a server on the namespace's
# loopback through pasta, a forwarded host port reaches a server in the
# guest, its address shows in info and ls --json, and no pasta of the
# container is left after stop, after kill -9 of its init and after kill -9
# of its monitor. Then root's run with pasta, slirp4netns when pasta is
# missing, and auto's one line when neither is there.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctnet-lib.sh"

net_enter "$@"
l_init
net_tools pasta slirp4netns ip "$PYTHON"
l_rootfs
l_pam_cgfs
U=burrowp$$
l_user "$U"
l_subids "$U" 700000
l_login "$U"
B=$BURROW
CT=np$$
H=/home/$U/.local/share/burrow
defer "as $U '$B destroy --force $CT' >/dev/null 2>&1"

net_uplink
mkdir -p "$T_TMP/www"
TOKEN=host-$RANDOM$RANDOM
echo "$TOKEN" >"$T_TMP/www/token"
chmod -R a+rX "$T_TMP"
net_http "$T_TMP/www" 127.0.0.1 8000

check_cmd "create" as "$U" "$B create $CT --from-tar $ROOTFS_TAR -c network=pasta -c network-forward=tcp:18080:8080 -c network-host-loopback=yes -c network-to-host=tcp:8001:8000"
net_file=$H/$CT/rootfs/etc/systemd/network/80-burrow-eth0.network
check_eq "create wrote a networkd eth0 with DHCP" "$(grep -E '^(Name|DHCP)=' "$net_file" | tr '\n' ' ')" "Name=eth0 DHCP=yes "
check_eq "and enabled networkd" "$(readlink "$H/$CT/rootfs/etc/systemd/system/multi-user.target.wants/systemd-networkd.service")" \
	/lib/systemd/system/systemd-networkd.service

# What counts as a guest's own network config (README, "Container networks"):
# root's create on small trees, each with networkd's unit.
fake_root() {
	rm -rf "$T_TMP/fr"
	mkdir -p "$T_TMP/fr/etc/systemd/system" "$T_TMP/fr/lib/systemd/system" "$T_TMP/fr/etc/network/interfaces.d"
	touch "$T_TMP/fr/lib/systemd/system/systemd-networkd.service" "$T_TMP/fr/lib/systemd/system/systemd-networkd.socket"
	printf '# interfaces(5)\nsource /etc/network/interfaces.d/*\nauto lo\niface lo inet loopback\n' \
		>"$T_TMP/fr/etc/network/interfaces"
}
# gets_config DESC YES|NO: root's create of $T_TMP/fr, and whether burrow wrote its file.
gets_config() {
	local got=NO
	BURROW_HOME=$T_TMP/rh "$BURROW" create fr --from-dir "$T_TMP/fr" >/dev/null 2>&1 || die "create fr"
	[ -e "$T_TMP/rh/fr/rootfs/etc/systemd/network/80-burrow-eth0.network" ] && got=YES
	BURROW_HOME=$T_TMP/rh "$BURROW" destroy fr >/dev/null 2>&1
	check_eq "$1" "$got" "$2"
}
l_subids root 100000
fake_root
gets_config "Debian's default interfaces (lo only) is no config" YES
fake_root
printf 'auto eth0\niface eth0 inet dhcp\n' >>"$T_TMP/fr/etc/network/interfaces"
gets_config "an ifupdown eth0 is" NO
fake_root
touch "$T_TMP/fr/etc/network/interfaces.d/eth0"
gets_config "a file in interfaces.d is" NO
fake_root
mkdir -p "$T_TMP/fr/etc/systemd/network" && touch "$T_TMP/fr/etc/systemd/network/10-lan.network"
gets_config "a networkd .network is" NO
fake_root
mkdir -p "$T_TMP/fr/etc/netplan" && touch "$T_TMP/fr/etc/netplan/01.yaml"
gets_config "a netplan file is" NO
# A symlink planted in the image resolves inside the rootfs, never on the host.
fake_root
mkdir -p "$T_TMP/hostdir"
ln -s "$T_TMP/hostdir" "$T_TMP/fr/etc/systemd/network"
gets_config "an absolute symlink for etc/systemd/network stays inside the rootfs" NO
check_eq "and nothing was written on the host" "$(ls -A "$T_TMP/hostdir")" ""

check_cmd "start --wait" as "$U" "$B start --wait $CT"
check_eq "is-system-running" "$(as "$U" "timeout 60 $B attach $CT -- systemctl is-system-running --wait")" running
check_eq "no failed unit" "$(as "$U" "$B attach $CT -- systemctl list-units --failed --no-legend --plain" | wc -l)" 0

# pasta copies the uplink's address: the guest's kernel must hold it on eth0.
guest_local=$(as "$U" "$B attach $CT -- cat /proc/net/fib_trie" | grep -B1 '/32 host LOCAL' | grep -o '192\.0\.2\.[0-9]*' | sort -u)
check_eq "the guest's kernel has the uplink's address" "$guest_local" 192.0.2.1
check_eq "info shows it" "$(as "$U" "$B info $CT" | awk '/^Addresses:/ { print $2, $3 }')" "eth0 192.0.2.1/24"
check_eq "ls --json shows it" "$(as "$U" "$B ls --json" | "$PYTHON" -c 'import json,sys; print(" ".join(a["interface"] + " " + a["address"] for a in json.load(sys.stdin)[0]["addresses"]))')" \
	"eth0 192.0.2.1/24"
check_eq "ls --fancy shows it" "$(as "$U" "$B ls --fancy" | grep -c "│ $CT .*│ 192\.0\.2\.1/24 *│")" 1

# With network-host-loopback=yes pasta maps the gateway's address to the
# namespace's loopback.
check_eq "the guest fetches from the namespace's loopback" \
	"$(as_argv "$U" timeout 30 "$B" attach "$CT" -- bash -c "$NET_FETCH" 192.0.2.254 8000 token)" "$TOKEN"

check_eq "network-to-host: the guest's 127.0.0.1:8001 is the host's 127.0.0.1:8000" \
	"$(as_argv "$U" timeout 30 "$B" attach "$CT" -- bash -c "$NET_FETCH" 127.0.0.1 8001 token)" "$TOKEN"

GTOKEN=guest-$RANDOM$RANDOM
as_argv "$U" timeout 60 "$B" attach "$CT" -- perl -MIO::Socket::INET -e "$NET_SERVE" 8080 "$GTOKEN" >/dev/null 2>&1 &
server=$!
check_eq "a forwarded host port reaches the guest's server" "$(net_read_port 127.0.0.1 18080)" "$GTOKEN"
wait "$server"

# pasta re-executes itself as passt.avx2 (or passt) where the CPU allows.
PASTA_RE='^(pasta|passt)'
pasta_of_user() { pgrep -u "$U" "$PASTA_RE" | tr '\n' ' '; }
init=$(as "$U" "$B ls --json" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"])')
p=$(pasta_of_user)
check_num "one pasta runs for the container" "$(wc -w <<<"$p")" == 1
check_eq "attached to the container's init" "$(tr '\0' ' ' <"/proc/${p% }/cmdline" | awk '{ print $NF }')" "$init"
check_cmd "stop" as "$U" "$B stop $CT"
check_eq "no pasta after stop" "$(pasta_of_user)" ""

# wait_stopped: the monitor has cleaned up after a kill (10 s at most).
wait_stopped() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(as "$U" "$B ls" | awk -v n="$CT" '$1 == n { print $2 }')" = STOPPED ] && return 0
		sleep 0.1
	done
	return 1
}
check_cmd "start again" as "$U" "$B start --wait $CT"
init=$(as "$U" "$B ls --json" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"])')
check_num "pasta runs" "$(pasta_of_user | wc -w)" == 1
kill -9 "$init"
check_cmd "kill -9 of init: the monitor cleans up" wait_stopped
check_eq "no pasta after kill -9 of init" "$(pasta_of_user)" ""

check_cmd "start a third time" as "$U" "$B start --wait $CT"
monitor=$(as "$U" "$B info $CT" | awk '/^Monitor:/ { print $2 }')
check_num "pasta runs" "$(pasta_of_user | wc -w)" == 1
kill -9 "$monitor"
for ((i = 0; i < 100; i++)); do
	[ -z "$(pasta_of_user)" ] && break
	sleep 0.1
done
check_eq "no pasta after kill -9 of the monitor" "$(pasta_of_user)" ""
check_cmd "destroy" as "$U" "$B destroy --force $CT"

# root's run: pasta joins a userns root owns (burrow passes --runas 0:0).
check_eq "root's run fetches through pasta" \
	"$("$B" run --rootfs "$ROOTFS" -c network=pasta -c network-host-loopback=yes -- bash -c "$NET_FETCH" 192.0.2.254 8000 token)" "$TOKEN"
# By default the host's loopback is out of the guest's reach: the gateway's
# address is the uplink's neighbour, where nothing listens.
check_eq "root's run: network-to-host splices its port" \
	"$("$B" run --rootfs "$ROOTFS" -c network=pasta -c network-to-host=tcp:8002:8000 -- timeout 10 bash -c "$NET_FETCH" 127.0.0.1 8002 token 2>/dev/null)" "$TOKEN"
check_eq "without network-host-loopback the host's loopback is out of reach (network-to-host opens its port only)" \
	"$("$B" run --rootfs "$ROOTFS" -c network=pasta -c network-to-host=tcp:8002:8000 -- timeout 10 bash -c "$NET_FETCH" 192.0.2.254 8000 token 2>/dev/null)" ""
check_eq "no pasta after run" "$(pgrep "$PASTA_RE" | wc -l)" 0

# Without pasta in PATH, slirp4netns serves, with the host's loopback at 10.0.2.2.
mkdir -p "$T_TMP/slirp" "$T_TMP/none"
ln -s "$(command -v slirp4netns)" "$T_TMP/slirp/"
check_eq "slirp4netns when pasta is missing" \
	"$(PATH=$T_TMP/slirp "$B" run --rootfs "$ROOTFS" -c network=pasta -c network-host-loopback=yes -- /bin/bash -c "$NET_FETCH" 10.0.2.2 8000 token)" "$TOKEN"
check_eq "and without network-host-loopback not" \
	"$(PATH=$T_TMP/slirp "$B" run --rootfs "$ROOTFS" -c network=pasta -- timeout 10 /bin/bash -c "$NET_FETCH" 10.0.2.2 8000 token 2>/dev/null)" ""
check_eq "no slirp4netns after run" "$(pgrep -x slirp4netns | wc -l)" 0
out=$(PATH=$T_TMP/slirp "$B" run --rootfs "$ROOTFS" -c network=pasta -c network-forward=tcp:18081:80 -- /bin/true 2>&1)
check_eq "forwards need pasta" "$out" "burrow: network-forward: pasta (package passt) is not installed, and burrow forwards ports only through pasta"
out=$(BURROW_NET=/nonexistent PATH=$T_TMP/none "$B" run --rootfs "$ROOTFS" -- /bin/cat /proc/net/dev 2>&1)
check_eq "auto without tools says why, in one line" "$(grep -c '^burrow: network=auto: no veth .* neither pasta nor slirp4netns is installed: the container gets loopback only$' <<<"$out")" 1
check_eq "and the guest has loopback only" "$(grep -c ':' <<<"$out" | tr -d ' ')" 2
