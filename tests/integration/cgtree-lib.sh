# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# The attacks of test-cgtree.sh (v1) and test-cgtree-v2.sh, sourced after
# lib.sh: one container of the two tries to leave its cgroups through the
# tree and to move processes that are not its own into them, and each
# attempt must fail and change nothing in the host's cgroupfs. The caller
# has made $CG_BASE/ct1 and $CG_BASE/ct2 (P1, P2) and exported T P1 P2
# CG_BASE for ct_sh.

# cgtree_attacks TREE HOST CT LEAF FILE VALUE SIBFILE ABS LINE THREADS
#   TREE     the hierarchy in the tree ("$BFS_MNT/cgroup/memory")
#   HOST     the same hierarchy's mount ("/sys/fs/cgroup/memory")
#   CT       the test cgroup ct_sh runs the attacker in ("ct1", "ct1/init.scope")
#   LEAF     where a container's processes sit below its cgroup ("", "/init.scope")
#   FILE     a file of the parent to read and write (a limit, subtree_control)
#   VALUE    what the attacker writes to it
#   SIBFILE  a file of the other container to write
#   ABS      a host path, tried below the tree as if absolute
#   LINE     the /proc/PID/cgroup line of this hierarchy (grep pattern)
#   THREADS  the file that takes thread ids ("tasks", "cgroup.threads")
cgtree_attacks() {
	local tree=$1 host=$2 ct=$3 leaf=$4 file=$5 value=$6 sibfile=$7 abs=$8 line=$9
	local threads=${10} parent_val sib_val out host_sleep before

	parent_val=$(cat "$host/$CG_BASE/$file")
	sib_val=$(cat "$host/$P2/$sibfile" 2>/dev/null)
	export A_TREE=$tree A_FILE=$file A_VALUE=$value A_SIB=$sibfile A_ABS=$abs A_LEAF=$leaf
	# shellcheck disable=SC2016 # expanded by ct_sh's shell, inside the container
	out=$(ct_sh "$ct" '
		cat "$A_TREE/$P1/../$A_FILE" 2>/dev/null && echo "read-dotdot"
		echo "$A_VALUE" >"$A_TREE/$P1/../$A_FILE" 2>/dev/null && echo "write-dotdot"
		echo "$A_VALUE" >"$A_TREE/$CG_BASE/$A_FILE" 2>/dev/null && echo "write-parent"
		cat "$A_TREE/$A_FILE" 2>/dev/null && echo "read-root"
		ls "$A_TREE/$P1/../../" 2>/dev/null | grep -v "^$CG_BASE\$" && echo "list-root"
		cat "$A_TREE/$P2/cgroup.procs" 2>/dev/null && echo "read-sibling"
		echo 4096 >"$A_TREE/$P2/$A_SIB" 2>/dev/null && echo "write-sibling"
		mkdir "$A_TREE/$CG_BASE/evil" 2>/dev/null && echo "mkdir-parent"
		rmdir "$A_TREE/$P2$A_LEAF" 2>/dev/null && echo "rmdir-sibling"
		rmdir "$A_TREE/$P1" 2>/dev/null && echo "rmdir-self"
		ls "$A_TREE/$A_ABS" 2>/dev/null && echo "absolute"
		ls "$A_TREE//$P2" 2>/dev/null && echo "double-slash"
		ln -s / "$A_TREE/$P1/link" 2>/dev/null && echo "symlink"
		true')
	check_eq "escapes (../, the parent, the root, a sibling, absolute paths) all fail" "$out" ""
	check_eq "the parent's $file is unchanged" "$(cat "$host/$CG_BASE/$file")" "$parent_val"
	check_eq "ct2's $sibfile is unchanged" "$(cat "$host/$P2/$sibfile" 2>/dev/null)" "$sib_val"
	check_cmd "ct2 still exists" test -d "$host/$P2$leaf"
	check_cmd "nothing was made in the parent" test ! -e "$host/$CG_BASE/evil"

	# A host pid, and a pid of the other container, written into cgroup.procs.
	sleep 120 &
	host_sleep=$!
	defer "kill $host_sleep 2>/dev/null"
	echo "$host_sleep" >"$host/$P2$leaf/cgroup.procs"
	before=$(grep "$line" "/proc/$host_sleep/cgroup")
	# shellcheck disable=SC2016 # expanded by ct_sh's shell, inside the container
	out=$(ct_sh "$ct" '
		{ echo '"$host_sleep"' >"$A_TREE/$P1$A_LEAF/cgroup.procs"; } 2>&1 || echo refused
		{ echo '"$host_sleep"' >"$A_TREE/$P1$A_LEAF/'"$threads"'"; } 2>&1 || echo refused
		{ echo 99999 >"$A_TREE/$P1$A_LEAF/cgroup.procs"; } 2>&1 || echo refused')
	check_eq "host and foreign pids are refused" "$(grep -c refused <<<"$out")" 3
	check_cmd "with ESRCH" grep -q "No such process" <<<"$out"
	check_eq "the other container's process did not move" \
		"$(grep "$line" "/proc/$host_sleep/cgroup")" "$before"
}
