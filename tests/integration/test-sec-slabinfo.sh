#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 10, finding 6: proc/slabinfo is served with the host file's mode
# (0400 root), and a reader the host's /proc/slabinfo refuses is refused
# ours: an ordinary user, and a container's root (another uid on the host).
# Every other served file has the host's mode too, at most read-only.

. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/sec-lib.sh"

t_init
[ -n "$PYTHON" ] || skip "needs python3"
[ -r /proc/slabinfo ] || skip "no /proc/slabinfo"
sec_user
bfs_start

# read_errno FILE: "ok" or the errno of the open.
READ_PY='
import errno, os, sys
try:
    os.close(os.open(sys.argv[1], os.O_RDONLY)); print("ok")
except OSError as e:
    print(errno.errorcode[e.errno])
'

check_eq "the host's /proc/slabinfo refuses the user" \
	"$(as_user "$PYTHON" -c "$READ_PY" /proc/slabinfo)" EACCES
check_eq "the mount's proc/slabinfo refuses the user with EACCES" \
	"$(as_user "$PYTHON" -c "$READ_PY" "$BFS_MNT/proc/slabinfo")" EACCES
out=$(as_user cat "$BFS_MNT/proc/slabinfo" 2>/dev/null | head -c 200)
check_eq "... and the user reads nothing of it" "$out" ""
check_eq "proc/slabinfo has the host file's mode and owner" \
	"$(stat -c '%a %u %g' "$BFS_MNT/proc/slabinfo")" "$(stat -c '%a %u %g' /proc/slabinfo)"
check_eq "host root still reads it" "$(head -n1 "$BFS_MNT/proc/slabinfo" | cut -c1-14)" \
	"slabinfo - ver"

# A container's root: uid 100000 on the host, as in an unprivileged container.
cg_new ct
out=$(ct_sh ct "setpriv --reuid=100000 --regid=100000 --clear-groups -- \
	\"$PYTHON\" -c '$READ_PY' \"$BFS_MNT/proc/slabinfo\"")
check_eq "a container's root (uid 100000) is refused too" "$out" EACCES

# Every served file against the host's kernel file: the same mode without write bits.
while read -r f; do
	host=/${f}
	[ -e "$host" ] || continue
	check_eq "$f: the host's mode, read-only" "$(stat -c '%a %u' "$BFS_MNT/$f")" \
		"$(printf '%o %s' $((0$(stat -c %a "$host") & 0555)) "$(stat -c %u "$host")")"
done <<'EOF'
proc/cpuinfo
proc/meminfo
proc/stat
proc/uptime
proc/loadavg
proc/diskstats
proc/swaps
proc/slabinfo
proc/vmstat
proc/pressure/cpu
proc/pressure/io
proc/pressure/memory
sys/devices/system/cpu/online
sys/devices/system/cpu/possible
sys/devices/system/cpu/present
sys/devices/system/cpu/cpu0/topology/core_id
EOF
