#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The VM suite's runner inside the guest, started by burrow-vm.service (made
# by tests/vm/mkimage.sh) with the harness's shares on /mnt/burrow (read-only:
# install/, tests/, guest/, guest-tests) and /mnt/out (results).
#
# Waits for the boot to finish, installs burrow from install/ into /, starts
# burrowfs through its real unit, then runs each line of guest-tests
# ("NAME TIMEOUT SCRIPT [ARGS...]", SCRIPT relative to tests/) with a time
# limit, its output in /mnt/out/NAME.log and "RESULT NAME RC SECONDS" in
# /mnt/out/results. /mnt/out/done marks a complete run; the start script
# powers the guest off afterwards.
set -uo pipefail

SHARE=/mnt/burrow
OUT=/mnt/out
TESTS=/opt/burrow-tests

# The console (through the unit's journal+console) and a file the host reads.
exec > >(tee -a "$OUT/guest.log") 2>&1
TEE=$!

say() {
	echo "guest: $*"
}

# result NAME RC SECONDS
result() {
	echo "RESULT $1 $2 $3" >>"$OUT/results"
	say "RESULT $1 $2 ($3 s)"
}

state=$(timeout 300 systemctl is-system-running --wait)
# Modules udev loads late add slab caches and devices under the tests.
timeout 60 udevadm settle
say "boot finished: system $state, $(systemd-analyze 2>/dev/null | head -n1)"
say "kernel $(uname -r), /sys/fs/cgroup is $(stat -fc %T /sys/fs/cgroup)," \
	"controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
systemctl --failed --no-legend --no-pager | sed 's/^/guest: failed unit: /'

# ---- install --------------------------------------------------------------------

cp -a "$SHARE/install/." / || say "installing the tree failed"
rm -rf "$TESTS"
cp -a "$SHARE/tests" "$TESTS"
systemctl daemon-reload
# The service runs with --enable-cfs, so the CPU checks see cpu.max at work.
echo 'BURROWFS_OPTS=--enable-cfs' >/etc/default/burrowfs
if [ -e /lib/systemd/system/burrowfs.service ] || [ -e /usr/lib/systemd/system/burrowfs.service ]; then
	timeout 60 systemctl enable --now burrowfs.service
	say "burrowfs.service: $(systemctl is-active burrowfs.service)," \
		"$(systemctl show -P ExecMainPID burrowfs.service | xargs -r -I{} cat /proc/{}/cmdline |
			tr '\0' ' ')"
else
	say "no burrowfs.service was installed"
fi

# ---- the tests ----------------------------------------------------------------------

export BURROWFS=/usr/sbin/burrowfs
export BURROW=/usr/bin/burrow
export BURROWFS_MOUNT=/var/lib/burrowfs
export BURROW_VM_GUEST=1
# Emulation is slow: a container run of the integration tests gets 120 s, not
# 30, and bounds that assume a cheap fork and exec are widened (lib.sh).
export CT_TIMEOUT=120
export T_SLOW=4
# The guest has no network: the launcher's tests start from the image's rootfs.
export BURROW_TEST_DEBOOTSTRAP=0
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
while read -r name secs script args; do
	t=$(date +%s)
	say "running $name: tests/$script $args (limit $secs s)"
	# shellcheck disable=SC2086
	(cd /tmp && timeout -k 10 "$secs" bash "$TESTS/$script" $args) </dev/null >"$OUT/$name.log" 2>&1
	rc=$?
	[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || echo "# killed at the $secs s limit" >>"$OUT/$name.log"
	grep -E '^not ok' "$OUT/$name.log" | head -n 20 | sed "s/^/guest: $name: /"
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		{
			echo "# after the failure: burrowfs.service and its journal"
			systemctl status --no-pager -n 0 burrowfs.service
			journalctl -b --no-pager -o short-monotonic -n 40 -u burrowfs.service
			systemctl --failed --no-legend --no-pager
		} 2>&1 | sed 's/^/# /' >>"$OUT/$name.log"
	fi
	result "$name" "$rc" $(($(date +%s) - t))
done <"$SHARE/guest-tests"

systemctl --failed --no-legend --no-pager | sed 's/^/guest: failed unit at the end: /'
journalctl -b --no-pager -o short-monotonic >"$OUT/journal.log" 2>&1
touch "$OUT/done"
# Let tee write its last lines before the start script powers off.
exec >&- 2>&-
wait "$TEE"
sync
