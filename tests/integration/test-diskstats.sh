#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# proc/diskstats: direct writes from inside the container to a real block
# device (a loop device over a file of the test's own) appear as that
# device's line, and its written sectors grow by exactly what was written; a
# device the container never touched is left out; the host reader sees the
# host's devices.
source "$(dirname "$0")/../lib/lib.sh"
t_init

command -v losetup >/dev/null || skip "no losetup"
img="$T_TMP/disk.img"
truncate -s 64M "$img"
LOOP=$(losetup --find --show "$img") || skip "no loop device available"
defer "losetup -d '$LOOP'"
MAJMIN=$(lsblk -dno MAJ:MIN "$LOOP" | tr -d ' ')
NAME=$(basename "$LOOP")
note "using $LOOP ($MAJMIN)"

bfs_start
MNT=$BFS_MNT

cg_new d
# Since Linux 6.10 blk-throttle sets up a queue, and so counts v1
# blkio.throttle.io_service_* for it, only once some cgroup has a rule for the
# device: give one that never binds (1 TiB/s).
# The rule goes away with the cgroup.
cg_set d wbps "$MAJMIN" 1099511627776 || die "no blkio/io controller"

# burrowfs may reuse a render for up to --cache-ms (100 ms): wait that out.
out=$(ct_run "$MNT" d bash -c "
	echo '@@ before'; cat /proc/diskstats
	dd if=/dev/zero of=$LOOP bs=64k count=16 oflag=direct status=none; sleep 0.3
	echo '@@ after1'; cat /proc/diskstats
	dd if=/dev/zero of=$LOOP bs=64k count=32 seek=16 oflag=direct status=none; sleep 0.3
	echo '@@ after2'; cat /proc/diskstats
	dd if=$LOOP of=/dev/null bs=64k count=8 iflag=direct status=none; sleep 0.3
	echo '@@ after3'; cat /proc/diskstats") || die "container run failed"

# col TEXT N: field N of the loop device's line (6 sectors read, 8 writes
# completed, 10 sectors written, 4 reads completed).
col() {
	awk -v n="$NAME" -v c="$2" '$3 == n { print $c }' <<<"$1"
}

before=$(section "$out" before)
a1=$(section "$out" after1)
a2=$(section "$out" after2)
a3=$(section "$out" after3)
check_eq "device untouched by the container is left out" "$(col "$before" 3)" ""
check_eq "after a direct write the device's line appears" "$(col "$a1" 3)" "$NAME"
check_eq "line has the device's major and minor" "$(col "$a1" 1):$(col "$a1" 2)" "$MAJMIN"
check_num "1 MiB written: 2048 sectors" "$(col "$a1" 10)" == 2048
check_num "16 writes of 64k: at least 16 completed" "$(col "$a1" 8)" ">=" 16
check_num "2 MiB more: written sectors grow to 6144" "$(col "$a2" 10)" == 6144
check_num "writes completed grew" "$(col "$a2" 8)" ">" "$(col "$a1" 8)"
check_num "no reads yet" "$(col "$a2" 6)" == 0
check_num "512 KiB direct read: 1024 sectors read" "$(col "$a3" 6)" == 1024
check_num "reads completed >= 8" "$(col "$a3" 4)" ">=" 8
check_cmd "every line has the kernel's 20 fields" \
	awk 'NF != 20 { exit 1 }' <<<"$a3"

# ---- host reader ------------------------------------------------------------
b=$(timeout 10 cat "$MNT/proc/diskstats") || die "host read of diskstats failed"
check_eq "host reader: the host's devices" "$(awk '{ print $3 }' <<<"$b" | tr '\n' ' ')" \
	"$(awk '{ print $3 }' /proc/diskstats | tr '\n' ' ')"
check_num "host reader: $NAME written sectors as /proc's" "$(col "$b" 10)" == \
	"$(col "$(cat /proc/diskstats)" 10)"
