#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A burrow guest gets every bound entry of the served table (bindings/
# served.c) that burrowfs has: the topmost mount on each of its paths inside
# the guest is burrowfs (fuse). The launcher once kept a list of its own
# that lacked proc/pressure/{cpu,io,memory}: its guests read the host's
# pressure files, while the hooks' containers got burrowfs's.

. "$(dirname "$0")/lib.sh"

SERVED=$L_DIR/../../bindings/served.c

l_init
l_rootfs
bfs_start
l_root_home
B=$BURROW

# The table's rows, "path type"; a row inside a directory row comes with that bind.
rows=$(sed -n 's/^[[:space:]]*{ "\([^"]*\)", S_IF\(REG\|DIR\),.*/\1 \2/p' "$SERVED")
[ -n "$rows" ] || die "no rows read from $SERVED"
dirs=$(awk '$2 == "DIR" { print $1 }' <<<"$rows")
bound=()
while read -r path _; do
	inside=
	for d in $dirs; do
		case $path in "$d"/*) inside=1 ;; esac
	done
	[ -n "$inside" ] || bound+=("$path")
done <<<"$rows"
note "bound entries: ${bound[*]}"
if [ -e /proc/pressure/memory ]; then
	check_eq "the table binds proc/pressure/memory" \
		"$(printf '%s\n' "${bound[@]}" | grep -cx proc/pressure/memory)" 1
fi

# Mount point and fstype of every mount of the guest, in mount order.
# The launcher's notes (a missing seccomp agent, say) go to stderr, apart.
mi=$("$B" run --rootfs "$ROOTFS" -c burrowfs=yes -c burrowfs-path="$BFS_MNT" -- \
	cat /proc/self/mountinfo 2>"$T_TMP/run.err")
rc=$?
check_eq "run cat /proc/self/mountinfo ($(head -c 300 "$T_TMP/run.err"))" "$rc" 0
mounts=$(awk '{ for (i = 7; i < NF && $i != "-"; i++); if ($i == "-") print $5, $(i + 1) }' <<<"$mi")

for path in "${bound[@]}"; do
	# Only what this burrowfs serves (a kernel without PSI has no proc/pressure/).
	if [ ! -e "$BFS_MNT/$path" ]; then
		note "burrowfs has no $path on this host"
		continue
	fi
	# The last mount on a path is the one the guest sees.
	top=$(awk -v p="/$path" '$1 == p { t = $2 } END { print t }' <<<"$mounts")
	check_eq "guest's /$path is burrowfs's" "${top%%.*}" fuse
done
