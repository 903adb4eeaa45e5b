#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 10, finding 2: burrowfs acting for a caller in cgroup/ must leave
# the caller no more than cgroupfs itself gives it. An ordinary user owns a
# v1 freezer and memory cgroup (as pam_cgfs gives one at every login); a
# sleep the test started as root must not move into them when the user
# writes its pid through the tree (v1 checks the writer's effective uid
# against the task's, which a worker thread that kept euid 0 passed). The
# user's own sleep still moves; a uid-0 caller without capabilities is not
# host root; and the same holds with burrowfs under the systemd unit's
# capability bounding set, where it must still work for the user.

. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/sec-lib.sh"

t_init
FRZ=$(sec_v1_mount freezer)
MEM=${CG_V1[memory]:-}
[ -n "$FRZ" ] && [ -n "$MEM" ] || skip "needs v1 freezer and memory hierarchies (hybrid host)"
[ -n "$PYTHON" ] || skip "needs python3"
sec_user
sec_user_cgroup "$FRZ"
sec_user_cgroup "$MEM"
U=$CG_BASE/u

sleep 300 &
ROOT_SLEEP=$!
defer "kill $ROOT_SLEEP 2>/dev/null"
FRZ_BEFORE=$(cg_line "$ROOT_SLEEP" freezer)
MEM_BEFORE=$(cg_line "$ROOT_SLEEP" memory)

# ---- ground truth: cgroupfs itself ------------------------------------------------
check_eq "cgroupfs: the user may not move root's sleep into its freezer cgroup" \
	"$(as_user "$PYTHON" -c "$SEC_WRITE_PY" "$ROOT_SLEEP" "$FRZ/$U/cgroup.procs")" write:EACCES
check_eq "cgroupfs: a uid-0 caller without capabilities may not open the user's cgroup.procs" \
	"$(capless_root "$PYTHON" -c "$SEC_WRITE_PY" "$ROOT_SLEEP" "$FRZ/$U/cgroup.procs")" open:EACCES
check_eq "the root sleep did not move (freezer)" "$(cg_line "$ROOT_SLEEP" freezer)" "$FRZ_BEFORE"

# checks_as_user LABEL: what the user may and may not do through the tree of BFS_MNT.
checks_as_user() {
	local label=$1 t=$BFS_MNT/cgroup out
	check_eq "$label: the user's write of root's pid to freezer cgroup.procs fails with EACCES" \
		"$(as_user "$PYTHON" -c "$SEC_WRITE_PY" "$ROOT_SLEEP" "$t/freezer/$U/cgroup.procs")" \
		write:EACCES
	check_eq "$label: ... to freezer tasks too" \
		"$(as_user "$PYTHON" -c "$SEC_WRITE_PY" "$ROOT_SLEEP" "$t/freezer/$U/tasks")" \
		write:EACCES
	check_eq "$label: ... to memory cgroup.procs too" \
		"$(as_user "$PYTHON" -c "$SEC_WRITE_PY" "$ROOT_SLEEP" "$t/memory/$U/cgroup.procs")" \
		write:EACCES
	check_eq "$label: the root sleep is still in its freezer cgroup (kernel's view)" \
		"$(cg_line "$ROOT_SLEEP" freezer)" "$FRZ_BEFORE"
	check_eq "$label: ... and in its memory cgroup" "$(cg_line "$ROOT_SLEEP" memory)" "$MEM_BEFORE"
	# The user's own sleep: the delegated cgroup still works through the tree.
	export SEC_WRITE_PY PYTHON
	out=$(as_user bash -c '
		sleep 300 & s=$!
		"$PYTHON" -c "$SEC_WRITE_PY" $s "$1/freezer/$2/cgroup.procs"
		"$PYTHON" -c "$SEC_WRITE_PY" $s "$1/memory/$2/tasks"
		awk -F: "\$2 == \"freezer\" || \$2 == \"memory\" { print \$3 }" /proc/$s/cgroup | sort -u
		kill $s' _ "$t" "$U")
	check_eq "$label: the user moves its own sleep through the tree (procs, tasks)" \
		"$(tr '\n' ' ' <<<"$out")" "ok ok /$U "
	check_eq "$label: a uid-0 caller with no capabilities is not host root (open of the user's file)" \
		"$(capless_root "$PYTHON" -c "$SEC_WRITE_PY" "$ROOT_SLEEP" "$t/freezer/$U/cgroup.procs")" \
		open:EACCES
	check_eq "$label: the root sleep did not move" "$(cg_line "$ROOT_SLEEP" freezer)" "$FRZ_BEFORE"
	out=$(capless_root chown 0:0 "$t/freezer/$U/cgroup.procs" 2>&1 && echo chowned)
	check_cmd "$label: nor may it chown the user's cgroup.procs ($out)" \
		grep -q "Operation not permitted" <<<"$out"
	check_eq "$label: the file is still the user's" "$(stat -c %u "$FRZ/$U/cgroup.procs")" "$SEC_UID"
	threads_clean "$BFS_PID"
}

# ---- burrowfs as root, all capabilities ---------------------------------------------
bfs_start
checks_as_user "root daemon"
# Host root, with its capabilities, is still served as itself.
check_eq "host root moves its sleep through the tree" \
	"$(try_write "$ROOT_SLEEP" "$BFS_MNT/cgroup/freezer/$U/cgroup.procs")" ok
check_eq "... and the kernel shows it moved" "$(cg_line "$ROOT_SLEEP" freezer)" "/$U"
echo "$ROOT_SLEEP" >"$FRZ$FRZ_BEFORE/cgroup.procs"

# ---- burrowfs under the systemd unit's CapabilityBoundingSet= -----------------------
caps=$(unit_bounding_set) || die "no CapabilityBoundingSet= in the unit"
note "unit bounding set: $caps"
BURROWFS_WRAPPER="setpriv --bounding-set=$caps --" bfs_start
check_cmd "the daemon runs with the unit's capabilities only" \
	test "$(awk '/^CapEff:/ { print $2 }' "/proc/$BFS_PID/status")" != 000001ffffffffff
checks_as_user "unit's capabilities"

# ---- without CAP_SETUID: switching fails half way; nothing may be left switched ------
BURROWFS_WRAPPER="setpriv --bounding-set=${caps/,+setuid/} --" bfs_start
out=$(as_user "$PYTHON" -c "$SEC_WRITE_PY" "$ROOT_SLEEP" "$BFS_MNT/cgroup/freezer/$U/cgroup.procs")
check_cmd "without CAP_SETUID the user's write is refused ($out)" \
	grep -qE '^(open|write):(EPERM|EACCES)$' <<<"$out"
as_user ls "$BFS_MNT/cgroup/freezer/$U" >/dev/null 2>&1
as_user mkdir "$BFS_MNT/cgroup/freezer/$U/x" 2>/dev/null && rmdir "$FRZ/$U/x"
check_eq "the root sleep did not move" "$(cg_line "$ROOT_SLEEP" freezer)" "$FRZ_BEFORE"
threads_clean "$BFS_PID"
