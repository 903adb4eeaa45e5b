#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Hostile callers of burrow-net (issue 11), in a network namespace of the
# test's own. lxc-user-nic's CVEs are the plan: another user's container or a
# root process as the target, or the caller's own process in a netns it does
# not own (CVE-2017-5985); paths, symlinks, files and directories where a
# netns is asked for (CVE-2018-6556); messages that tell whether something
# exists (CVE-2022-47952); deleting another's interface; two adds racing a
# quota of 1; a missing, malformed or unsafe quota file. Each is refused and
# leaves the links and the records exactly as they were.

. "$(dirname "$0")/net-lib.sh"

n_enter "$@"
n_init
A=bnet-a
B=bnet-b
l_user "$A"
l_user "$B"
n_quota "$A veth $N_BR 1
$B veth $N_BR 1"
ip link add "$N_BR" type bridge && ip link set "$N_BR" up || die "bridge"
NOT_YOURS="burrow-net: process PID is not yours, or its network namespace is not one you own"

n_target "$A"
TA=$N_TARGET
HA=$(n_as "$A" "$BN" add --pid "$TA") || die "A's add"
n_target "$B"
TB=$N_TARGET
# A root process in this namespace, and one of B's outside any user namespace.
sleep 600 &
PR=$!
N_PIDS+=("$PR")
setpriv --reuid "$B" --regid "$B" --init-groups sleep 600 &
PB=$!
N_PIDS+=("$PB")
# B's process in a netns root made (as a service that drops to a user would
# run): B's own process, in a netns whose user namespace is the host's.
unshare --net setpriv --reuid "$B" --regid "$B" --init-groups sleep 600 &
PBN=$!
N_PIDS+=("$PBN")
for ((i = 0; i < 100; i++)); do
	[ "$(readlink "/proc/$PBN/exe" 2>/dev/null)" = "$(command -v sleep)" ] && break
	sleep 0.05
done
# A pid no process has.
PM=$(($(cat /proc/sys/kernel/pid_max) - 7))
while [ -e "/proc/$PM" ]; do PM=$((PM - 1)); done

# refused DESC RC WANT CMD...: CMD fails with RC, prints WANT (the pid
# replaced by PID when $PIDARG is set), and changes no link and no record.
refused() {
	local desc=$1 rc=$2 want=$3 before out got
	shift 3
	before=$(n_state)
	out=$("$@" 2>&1)
	got=$?
	[ -n "${PIDARG:-}" ] && out=${out//$PIDARG/PID}
	check_eq "$desc: refused" "$got:$out" "$rc:$want"
	check_eq "$desc: nothing changed" "$(n_state)" "$before"
}

# ---- the target must be the caller's own (CVE-2017-5985) ----
PIDARG=$TA refused "B names A's container" 1 "$NOT_YOURS" n_as "$B" "$BN" add --pid "$TA"
PIDARG=$PR refused "B names a root process here" 1 "$NOT_YOURS" n_as "$B" "$BN" add --pid "$PR"
PIDARG=1 refused "B names pid 1" 1 "$NOT_YOURS" n_as "$B" "$BN" add --pid 1
PIDARG=$PB refused "B names its own process in a netns it does not own" 1 "$NOT_YOURS" \
	n_as "$B" "$BN" add --pid "$PB"
PIDARG=$PBN refused "B names its own process in a netns root made" 1 "$NOT_YOURS" \
	n_as "$B" "$BN" add --pid "$PBN"
check_eq "root's netns got no eth0" "$(n_links "$PBN" | grep -c eth0)" 0
PIDARG=$PM refused "B names a pid no process has: the same words" 1 "$NOT_YOURS" \
	n_as "$B" "$BN" add --pid "$PM"
check_eq "B's container has no eth0 after all that" "$(n_links "$TB" | grep -c eth0)" 0
check_eq "A's container still has only its own eth0" "$(n_links "$TA" | grep -c eth0)" 1

# ---- nothing but a pid: no path is ever opened for the caller (CVE-2018-6556) ----
USAGE=$("$BN" 2>&1)
ln -s "/proc/$TA/ns/net" "$T_TMP/nslink"
echo x >"$T_TMP/regular"
mkdir "$T_TMP/dir"
for arg in "/proc/$TA/ns/net" "$T_TMP/nslink" "$T_TMP/regular" "$T_TMP/dir" \
	"../../../proc/$TA/ns/net" /etc/shadow "/etc/no-such-file-$RANDOM" "$TA/" " $TA" "+$TA" "-1" "0"; do
	refused "--pid '$arg'" 2 "$USAGE" n_as "$B" "$BN" add --pid "$arg"
done
refused "--netns as an option" 2 "$USAGE" n_as "$B" "$BN" add --netns "/proc/$TB/ns/net"
refused "del of a path" 2 "$USAGE" n_as "$B" "$BN" del --pid "/proc/$TB/ns/net"
for br in ../x ../../etc/passwd "$(printf 'b%.0s' {1..16})" "." "br/x" ""; do
	refused "--bridge '$br'" 2 "$USAGE" n_as "$B" "$BN" add --pid "$TB" --bridge "$br"
done
refused "a multicast MAC" 2 "$USAGE" n_as "$B" "$BN" add --pid "$TB" --hwaddr 01:00:5e:00:00:01
refused "an option twice" 2 "$USAGE" n_as "$B" "$BN" add --pid "$TB" --pid "$TB"
refused "a bridge without a quota line" 1 "burrow-net: no quota for $B on br1 in $N_USERNET" \
	n_as "$B" "$BN" add --pid "$TB" --bridge br1

# ---- delete or reuse another's interface ----
PIDARG=$TA refused "B deletes A's interface" 1 "$NOT_YOURS" n_as "$B" "$BN" del --pid "$TA"
# root gives B's container an interface outside B's quota: B may not delete it.
HR=$("$BN" add --pid "$TB") || die "root's add into B's container"
check_eq "root's port is root's" "$HR" "bn0-0"
PIDARG=$TB refused "B deletes root's interface in B's own container" 1 \
	"burrow-net: no interface of yours in the network namespace of process PID" \
	n_as "$B" "$BN" del --pid "$TB"
check_eq "B's ls shows none of A's or root's" "$(n_as "$B" "$BN" ls --json)" "[]"
check_eq "A's ls shows A's only" "$(n_as "$A" "$BN" ls | cut -d' ' -f1-3)" "$HA $N_BR $(id -u "$A")"
check_cmd "B cannot write a record" bash -c "! setpriv --reuid $B --regid $B --init-groups \
	touch /run/burrow/net/bn$(id -u "$B")-9 2>/dev/null"
"$BN" del --pid "$TB" || die "root's del"
check_eq "root's del freed its port" "$(ip -o link show dev "$HR" 2>/dev/null)" ""

# ---- two adds racing a quota of 1 (10 rounds) ----
n_target "$B"
TB2=$N_TARGET
RACE=""
for ((round = 0; round < 10; round++)); do
	n_as "$B" "$BN" add --pid "$TB" >"$T_TMP/r1" 2>&1 &
	p1=$!
	n_as "$B" "$BN" add --pid "$TB2" >"$T_TMP/r2" 2>&1 &
	p2=$!
	wait "$p1"
	r1=$?
	wait "$p2"
	r2=$?
	RACE+="$((r1 == 0 ? 1 : 0))$((r2 == 0 ? 1 : 0))/$(grep -l "uid=$(id -u "$B") " /run/burrow/net/bn* 2>/dev/null | wc -l) "
	n_as "$B" "$BN" del --pid "$TB" >/dev/null 2>&1
	n_as "$B" "$BN" del --pid "$TB2" >/dev/null 2>&1
done
check_cmd "each round: one add won, one record (rounds: $RACE)" \
	bash -c "[ \"\$(echo '$RACE' | tr ' ' '\n' | grep -cE '^(10|01)/1$')\" = 10 ]"

# ---- the quota file ----
rm "$N_USERNET"
refused "no quota file" 1 "burrow-net: no quota: $N_USERNET is missing" n_as "$B" "$BN" add --pid "$TB"
refused "no quota file: quota says so" 1 "burrow-net: no quota: $N_USERNET is missing" \
	n_as "$B" "$BN" quota
n_quota "# one good line, then a bad one
$B veth $N_BR 1
$A veth $N_BR one"
refused "a malformed quota file" 1 \
	"burrow-net: $N_USERNET line 3 is malformed (expected USER|@GROUP veth BRIDGE COUNT)" \
	n_as "$B" "$BN" add --pid "$TB"
n_quota "$B veth $N_BR 3"
chmod 666 "$N_USERNET"
refused "a quota file others may write" 1 \
	"burrow-net: $N_USERNET is refused: not a regular file that only root may write" \
	n_as "$B" "$BN" add --pid "$TB"
n_quota "$B veth $N_BR 0"
refused "a quota of 0" 1 "burrow-net: quota used up: 0 of 0 interfaces on $N_BR ($N_USERNET line 1)" \
	n_as "$B" "$BN" add --pid "$TB"
n_quota "@$B veth $N_BR 1"
check_eq "a group rule is honoured" "$(n_as "$B" "$BN" add --pid "$TB")" "bn$(id -u "$B")-0"
