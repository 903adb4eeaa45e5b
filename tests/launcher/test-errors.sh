#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Bad input gets a clear error, before anything starts, and leaves no state
# behind: a missing rootfs, a name already taken, a bad config value (on the
# command line and in the config file), a user with no subordinate ids, a
# rootfs whose /sbin/init is missing; bad network keys.

. "$(dirname "$0")/lib.sh"

l_init
l_rootfs
l_pam_cgfs
U=burrowe$$
l_user "$U"
l_subids "$U" 400000
N=burrown$$
l_user "$N"
B=$BURROW
H=/home/$U/.local/share/burrow

# check_fails DESC PATTERN USER CMDLINE: fails (non-zero) and says PATTERN.
check_fails() {
	local desc=$1 pattern=$2 user=$3 out rc
	out=$(as "$user" "$4" 2>&1)
	rc=$?
	check_num "$desc: exit status" "$rc" "!=" 0
	if grep -q -- "$pattern" <<<"$out"; then
		t_ok "$desc: says '$pattern'"
	else
		t_not_ok "$desc: message '$out' lacks '$pattern'"
	fi
}

check_fails "missing rootfs" "/nonexistent/rootfs does not exist" "$U" \
	"$B create m1 --from-dir /nonexistent/rootfs"
check_eq "missing rootfs leaves nothing" "$(ls "$H" 2>/dev/null)" ""

check_fails "bad value on the command line" "\[limits\] memory: 'lots' is not a size" "$U" \
	"$B create b1 --from-tar $ROOTFS_TAR -c memory=lots"
check_fails "unknown key on the command line" "unknown key 'colour'" "$U" \
	"$B create b1 --from-tar $ROOTFS_TAR -c colour=blue"
check_fails "CPU the host lacks" "CPU 4096 is not online" "$U" \
	"$B create b1 --from-tar $ROOTFS_TAR -c cpus=4096"
# The network keys (issue 11): each bad value names its key.
check_fails "bad network mode" "\[container\] network: 'bridge' is not 'auto', 'none', 'host', 'veth' or 'pasta'" "$U" \
	"$B create b1 --from-tar $ROOTFS_TAR -c network=bridge"
check_fails "network=host as a user" "\[container\] network: 'host' is for root only" "$U" \
	"$B create b1 --from-tar $ROOTFS_TAR -c network=host"
check_fails "bridge name with a slash" "\[container\] network-bridge: '../br0' is not an interface name" "$U" \
	"$B create b1 --from-tar $ROOTFS_TAR -c network-bridge=../br0"
check_fails "over-long bridge name" "\[container\] network-bridge: 'b234567890123456' is not an interface name" "$U" \
	"$B create b1 --from-tar $ROOTFS_TAR -c network-bridge=b234567890123456"
check_fails "multicast MAC" "\[container\] network-hwaddr: '01:00:5e:00:00:01' is a multicast address" "$U" \
	"$B create b1 --from-tar $ROOTFS_TAR -c network-hwaddr=01:00:5e:00:00:01"
check_fails "malformed MAC" "\[container\] network-hwaddr: '02:00:00:00:00' is not a MAC address" "$U" \
	"$B create b1 --from-tar $ROOTFS_TAR -c network-hwaddr=02:00:00:00:00"
check_fails "port 0" "\[container\] network-forward: 'tcp:0:80': ports are numbers from 1 to 65535" "$U" \
	"$B create b1 --from-tar $ROOTFS_TAR -c network-forward=tcp:0:80"
check_fails "port 65536" "\[container\] network-forward: 'tcp:8080:65536': ports are numbers" "$U" \
	"$B create b1 --from-tar $ROOTFS_TAR -c network-forward=tcp:8080:65536"
check_fails "unknown protocol" "\[container\] network-forward: 'sctp:80:80' is not tcp:HOSTPORT:PORT" "$U" \
	"$B create b1 --from-tar $ROOTFS_TAR -c network-forward=sctp:80:80"
check_fails "a host port twice" "\[container\] network-forward: 'tcp:8080:81': host port 8080 is forwarded twice" "$U" \
	"$B create b1 --from-tar $ROOTFS_TAR -c 'network-forward=tcp:8080:80;tcp:8080:81'"
check_fails "network-to-host: a guest port twice" "\[container\] network-to-host: 'tcp:8080:81': guest port 8080 is forwarded twice" "$U" \
	"$B create b1 --from-tar $ROOTFS_TAR -c 'network-to-host=tcp:8080:80;tcp:8080:81'"
check_fails "network-to-host: its form" "\[container\] network-to-host: 'tcp:80' is not tcp:PORT:HOSTPORT or udp:PORT:HOSTPORT" "$U" \
	"$B create b1 --from-tar $ROOTFS_TAR -c network-to-host=tcp:80"
check_fails "host loopback not a boolean" "\[container\] network-host-loopback: 'maybe' is not 'yes' or 'no'" "$U" \
	"$B create b1 --from-tar $ROOTFS_TAR -c network-host-loopback=maybe"
check_eq "bad values leave nothing" "$(ls "$H" 2>/dev/null)" ""

check_cmd "create ok1" as "$U" "$B create ok1 --from-tar $ROOTFS_TAR"
check_fails "name already taken" "a container named 'ok1' already exists" "$U" \
	"$B create ok1 --from-tar $ROOTFS_TAR"

# A bad value in the file names the file, the key and the reason, at start.
as "$U" "printf '[limits]\npids=-3\n' >> $H/ok1/config"
check_fails "bad value in the config file" "$H/ok1/config: \[limits\] pids: '-3' is not a positive number" \
	"$U" "$B start ok1"
check_eq "nothing started" "$(as "$U" "$B ls" | awk '$1 == "ok1" { print $2 }')" STOPPED
check_eq "no state file" "$(ls "$H/ok1/" | grep -c -e '^state$' -e '^ctl$')" 0
check_eq "no cgroup" "$(find /sys/fs/cgroup/*/user/"$U" -name ok1 2>/dev/null | wc -l)" 0
# A bad network value in the file: refused at start, before any pasta or burrow-net runs.
as "$U" "sed -i '/^pids=-3\$/d' $H/ok1/config; printf '[container]\nnetwork-forward=tcp:80\n' >> $H/ok1/config"
check_fails "bad network-forward in the config file" "$H/ok1/config: \[container\] network-forward: 'tcp:80' is not tcp:HOSTPORT:PORT" \
	"$U" "$B start ok1"
check_eq "nothing started" "$(as "$U" "$B ls" | awk '$1 == "ok1" { print $2 }')" STOPPED
check_eq "no pasta" "$(pgrep -u "$U" '^(pasta|passt)' | wc -l)" 0

check_fails "user with no subordinate ids" "has no subordinate uids in /etc/subuid" "$N" \
	"$B create n1 --from-tar $ROOTFS_TAR"
check_eq "no subordinate ids leaves nothing" "$(ls "/home/$N/.local/share/burrow" 2>/dev/null)" ""

mkdir -p "$T_TMP/noinit/etc" "$T_TMP/noinit/sbin"
chmod -R a+rX "$T_TMP/noinit"
check_cmd "create a rootfs without /sbin/init" as "$U" "$B create ni1 --from-dir $T_TMP/noinit"
check_fails "rootfs whose /sbin/init is missing" "has no /sbin/init" "$U" "$B start ni1"
check_eq "nothing started" "$(as "$U" "$B ls" | awk '$1 == "ni1" { print $2 }')" STOPPED
check_eq "no cgroup" "$(find /sys/fs/cgroup/*/user/"$U" -name ni1 2>/dev/null | wc -l)" 0
check_fails "attach to a stopped container" "'ni1' is not running" "$U" "$B attach ni1 -- true"
check_fails "unknown container" "no container 'zz'" "$U" "$B start zz"

for c in ok1 ni1; do
	check_cmd "destroy $c" as "$U" "$B destroy $c"
done
check_eq "everything destroyed" "$(ls "$H")" ""
