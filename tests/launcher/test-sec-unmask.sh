#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 10, finding 7: masks and read-only mounts are made inside the
# container's user namespace, unlocked, on purpose (the guest's systemd must
# be able to mount a fresh procfs for ProtectProc= and friends), so guest root
# can undo them. The user namespace is the boundary, and this proves it: in a
# `burrow run` container, guest root removes every mount below /proc and /sys,
# remounts /proc and /sys read-write and mounts a fresh procfs and sysfs, then tries to
# write global sysctls, /proc/sysrq-trigger and sysfs attributes, and to read
# /proc/kcore and kernel addresses. sysfs stays read-only (the kernel refuses
# to remount it writable there) and its files belong to host root, unmapped
# in the guest. Every attempt fails, and the host's values
# are the same afterwards. First, the masks are all in place (runc's list plus
# /proc/interrupts and /sys/devices/virtual/powercap, as Docker has).

. "$(dirname "$0")/lib.sh"

l_init
l_rootfs
l_subids root 100000
B=$BURROW

# Global (not namespaced) settings, each with a value that differs from the host's.
declare -A want
sysctl_new() {
	local f=/proc/sys/$1 old
	[ -e "$f" ] || return 0
	want[$1]=$2
	# drop_caches is write-only: nothing to compare or restore.
	[ "$1" = vm/drop_caches ] && return 0
	old=$(cat "$f")
	# Restore only what changed, should an attempt have succeeded.
	defer "[ \"\$(cat '$f')\" = '$old' ] || printf '%s\n' '$old' >'$f'"
}
ocm=$(cat /proc/sys/vm/overcommit_memory 2>/dev/null || echo 0)
sw=$(cat /proc/sys/vm/swappiness 2>/dev/null || echo 60)
pn=$(cat /proc/sys/kernel/panic 2>/dev/null || echo 0)
sysctl_new vm/overcommit_memory $(((ocm + 1) % 3))
sysctl_new vm/swappiness $(((sw + 7) % 100))
sysctl_new vm/drop_caches 1
sysctl_new kernel/panic $((pn + 17))
sysctl_new kernel/core_pattern "|/bin/false burrow-test-$$"
sysctl_new kernel/modprobe "/tmp/burrow-test-$$"
sysctl_new kernel/sysrq 0
sysctl_new kernel/kptr_restrict 0
sysctl_new kernel/randomize_va_space 0
snapshot() {
	local k
	for k in "${!want[@]}"; do
		[ "$k" = vm/drop_caches ] || printf '%s=%s\n' "$k" "$(cat "/proc/sys/$k")"
	done | sort
	for k in /sys/kernel/mm/transparent_hugepage/enabled /sys/module/printk/parameters/time; do
		[ -e "$k" ] && printf '%s=%s\n' "$k" "$(cat "$k")"
	done
}
before=$(snapshot)

# shellcheck disable=SC2016
guest='
masked="/proc/acpi /proc/asound /proc/interrupts /proc/kcore /proc/keys /proc/latency_stats
	/proc/timer_list /proc/timer_stats /proc/sched_debug /proc/scsi /sys/firmware
	/sys/devices/virtual/powercap /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger"
for p in $masked; do
	[ -e "$p" ] || continue
	if awk -v p="$p" "\$5 == p { f = 1 } END { exit !f }" /proc/self/mountinfo; then
		echo "MASKED $p"
	else
		echo "UNMASKED $p"
	fi
done
# Undo every mask and read-only mount, deepest first.
for m in $(awk "{ print \$5 }" /proc/self/mountinfo | grep -E "^/(proc|sys)/" | sort -r); do
	umount -l "$m" 2>/dev/null && echo "undone $m"
done
mount -o remount,rw /proc 2>/dev/null
mount -o remount,rw /sys 2>/dev/null && echo "remounted /sys rw"
mount -t tmpfs tmp /tmp && mkdir /tmp/p && mount -t proc proc /tmp/p && echo "FRESHPROC"
# A fresh sysfs may only be as read-only as /sys (the kernel sees it in the
# superblock); then try to make either writable.
mkdir /tmp/s && mount -t sysfs -o ro sysfs /tmp/s && echo "FRESHSYS"
mount -o remount,rw /tmp/s 2>/dev/null && echo "SYSRW /tmp/s"
echo "sysowner $(stat -c %u /tmp/s/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
tryw() {
	if (printf "%s\n" "$2" >"$1") 2>/tmp/err; then
		echo "WROTE $1"
	else
		echo "refused $1: $(sed "s/.*: //" /tmp/err)"
	fi
}
for root in /proc /tmp/p; do
	[ -d "$root/sys" ] || continue
	echo "$SYSCTLS" | while IFS="=" read -r k v; do
		[ -n "$k" ] && tryw "$root/sys/$k" "$v"
	done
	tryw "$root/sysrq-trigger" h
	if head -c 16 "$root/kcore" >/dev/null 2>/tmp/err; then
		echo "READ $root/kcore"
	else
		echo "refused $root/kcore: $(sed "s/.*: //" /tmp/err)"
	fi
	echo "kallsyms $root $(wc -l <"$root/kallsyms") $(grep -cv "^0\{16\} " "$root/kallsyms")"
done
for f in /sys/kernel/mm/transparent_hugepage/enabled /sys/module/printk/parameters/time; do
	for root in /sys /tmp/s; do
		[ -e "$root${f#/sys}" ] && tryw "$root${f#/sys}" never
	done
done
true
'
sysctls=$(for k in "${!want[@]}"; do printf '%s=%s\n' "$k" "${want[$k]}"; done)
out=$("$B" run --rootfs "$ROOTFS" -- /usr/bin/env SYSCTLS="$sysctls" sh -c "$guest" 2>&1)
note "guest: ${out//$'\n'/ | }"

while read -r p; do
	[ -n "$p" ] && t_not_ok "masked in the guest: $p"
done < <(sed -n 's/^UNMASKED //p' <<<"$out")
check_num "masks seen in place" "$(grep -c '^MASKED ' <<<"$out")" ">=" 5
[ -e /proc/interrupts ] && check_eq "/proc/interrupts is masked" \
	"$(grep -c '^MASKED /proc/interrupts$' <<<"$out")" 1
check_num "guest root undid the masks" "$(grep -c '^undone /proc/' <<<"$out")" ">=" 5
check_eq "guest root mounted a fresh procfs" "$(grep -c '^FRESHPROC$' <<<"$out")" 1
check_eq "guest root mounted a fresh sysfs" "$(grep -c '^FRESHSYS$' <<<"$out")" 1
check_eq "no sysfs made writable" "$(grep '^SYSRW' <<<"$out")" ""
[ -e /sys/kernel/mm/transparent_hugepage/enabled ] &&
	check_eq "sysfs attributes belong to an id the guest has not mapped" \
		"$(sed -n 's/^sysowner //p' <<<"$out")" "$(cat /proc/sys/kernel/overflowuid)"
[ -e /proc/sysrq-trigger ] || note "this kernel has no /proc/sysrq-trigger (no CONFIG_MAGIC_SYSRQ)"
[ -e /proc/kcore ] || note "this kernel has no /proc/kcore (no CONFIG_PROC_KCORE)"
check_num "write attempts made" "$(grep -c '^refused /tmp/p/sys/' <<<"$out")" ">=" 5
check_eq "no write succeeded" "$(grep '^WROTE' <<<"$out")" ""
check_eq "no /proc/kcore read" "$(grep '^READ' <<<"$out")" ""
host_nz=$(setpriv --reuid=65534 --regid=65534 --clear-groups cat /proc/kallsyms | grep -cv '^0\{16\} ')
if [ "$host_nz" -eq 0 ]; then
	while read -r _ root lines nz; do
		check_num "kallsyms in $root has symbols" "$lines" ">" 100
		check_eq "kallsyms in $root shows no address" "$nz" 0
	done < <(grep '^kallsyms ' <<<"$out")
else
	note "this host shows kernel addresses to every user (perf_event_paranoid <= 1): not checked"
fi
check_eq "the host's settings are unchanged" "$(snapshot)" "$before"
