#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/vm/run-vm.sh [SOURCE_DIR [WORK_DIR]]: the VM suite. Proves burrow on
# pure cgroup v2 under a real systemd, which the machine we build on (hybrid
# cgroups, no systemd) cannot give:
#
#   1. makes (once, cached) a Debian 12 disk image with debootstrap and
#      mkfs.ext4 -d (tests/vm/mkimage.sh), under /var/cache/burrow-tests/vm;
#   2. builds burrow with --prefix=/usr in WORK_DIR/build and installs it with
#      --destdir into a 9p share, next to the test scripts;
#   3. boots Debian's kernel and initrd under qemu-system-x86_64 (TCG, 2 vCPUs,
#      2 GiB, serial console) on a throwaway qcow2 overlay of the image;
#   4. in the guest (tests/vm/guest/run-guest.sh): installs the tree, starts
#      burrowfs.service under systemd, runs every script of tests/vm/guest-tests
#      and writes their logs and results to a second, writable share;
#   5. prints each guest test's log and result, and the tail of the console
#      if the guest never finished: it is killed at a time limit.
#
# Needs root; skips (77) without it or when qemu cannot be had.
# Environment: BURROW_VM_CACHE (image cache dir), BURROW_VM_TIMEOUT (seconds
# the guest may run; default from the test list), BURROW_VM_MIRROR (Debian
# mirror for debootstrap), BURROW_VM_TESTS (a list file instead of
# tests/vm/guest-tests), BURROW_VM_KEEP=1 (keep WORK_DIR's overlay and shares).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "${1:-${MESON_SOURCE_ROOT:-$HERE/../..}}" && pwd)
WORK=${2:-${MESON_BUILD_ROOT:+$MESON_BUILD_ROOT/tests/vm}}
WORK=${WORK:-/tmp/burrow-vm}
CACHE=${BURROW_VM_CACHE:-/var/cache/burrow-tests/vm}
LIST=${BURROW_VM_TESTS:-$HERE/guest-tests}
T0=$(date +%s)

say() {
	echo "vm: $*"
}

phase() {
	say "[$(($(date +%s) - T0)) s] $*"
}

skip() {
	echo "1..0 # SKIP $*"
	exit 77
}

fail() {
	say "FAIL: $*"
	exit 1
}

echo "==== VM suite: burrow on pure cgroup v2 under systemd (qemu, TCG) ===="
[ "$(id -u)" -eq 0 ] || skip "needs root"

# ---- tools --------------------------------------------------------------------

have_tools() {
	command -v qemu-system-x86_64 >/dev/null && command -v qemu-img >/dev/null &&
		command -v debootstrap >/dev/null && command -v mkfs.ext4 >/dev/null
}
if ! have_tools && command -v apt-get >/dev/null; then
	phase "installing qemu-system-x86 qemu-utils debootstrap e2fsprogs"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 \
		--no-install-recommends qemu-system-x86 qemu-utils debootstrap e2fsprogs >"/tmp/burrow-vm-apt.$$.log" 2>&1 ||
		tail -n 5 "/tmp/burrow-vm-apt.$$.log"
	rm -f "/tmp/burrow-vm-apt.$$.log"
fi
have_tools || skip "qemu-system-x86_64, qemu-img, debootstrap or mkfs.ext4 cannot be installed"

# ---- the image ------------------------------------------------------------------

phase "image (cached in $CACHE)"
IMG=$(timeout 1800 bash "$HERE/mkimage.sh" "$CACHE")
case $? in
0) ;;
2) skip "no debootstrap or mkfs.ext4 to make the image" ;;
*) fail "could not make the VM image" ;;
esac
phase "image: $IMG (kernel $(cat "$IMG/kernel-version"))"

# ---- build and install ------------------------------------------------------------

mkdir -p "$WORK"
# Only one run at a time may use WORK_DIR (and the machine's two CPUs).
exec 8>"$WORK/.lock"
flock -w 3600 8 || fail "another VM run holds $WORK/.lock"
SHARE=$WORK/share
OUT=$WORK/out
BUILD=$WORK/build
rm -rf --one-file-system "$SHARE" "$OUT" "$WORK/overlay.qcow2"
mkdir -p "$SHARE" "$OUT"

phase "build with --prefix=/usr in $BUILD"
if [ -e "$BUILD/build.ninja" ]; then
	setup=(meson setup --reconfigure)
else
	setup=(meson setup)
fi
# The guest runs the host's Debian 12 userland: the host's binaries run there.
if ! "${setup[@]}" --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
	--buildtype=debugoptimized -Dtests=disabled "$BUILD" "$SRC" >"$WORK/build.log" 2>&1 ||
	! meson compile -C "$BUILD" >>"$WORK/build.log" 2>&1 ||
	! meson install -C "$BUILD" --no-rebuild --quiet --destdir "$SHARE/install" \
		>>"$WORK/build.log" 2>&1; then
	tail -n 40 "$WORK/build.log"
	fail "the build or install for the guest failed (log: $WORK/build.log)"
fi
say "installed: $(cd "$SHARE/install" && find . -type f | sort | tr '\n' ' ')"

# The test scripts the guest runs, and the list of them.
mkdir -p "$SHARE/tests"
for d in "$SRC"/tests/*/; do
	case $(basename "$d") in
	fixtures | unit | bench) ;;
	*) cp -a "$d" "$SHARE/tests/" ;;
	esac
done
cp -a "$HERE/guest" "$SHARE/guest"
# Comments (whole lines or trailing) and blank lines go.
sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d' "$LIST" >"$SHARE/guest-tests"

# ---- the time limit ----------------------------------------------------------------

# Boot (55-75 s to "running" on a loaded 2-core host), install, each test's own
# limit, and the poweroff.
limit=300
while read -r name secs script _; do
	[ -e "$SRC/tests/$script" ] || fail "$LIST: $name: no tests/$script"
	limit=$((limit + secs + 15))
done <"$SHARE/guest-tests"
limit=${BURROW_VM_TIMEOUT:-$limit}
say "guest tests: $(awk '{ print $1 }' "$SHARE/guest-tests" | tr '\n' ' ')"

# ---- boot ------------------------------------------------------------------------------

qemu-img create -q -f qcow2 -F raw -b "$IMG/disk.raw" "$WORK/overlay.qcow2" ||
	fail "qemu-img create failed"
CONSOLE=$WORK/console.log
phase "booting the guest (limit $limit s; console: $CONSOLE)"
boot=$(date +%s)
# /dev/kvm exists here but does not work: software emulation (TCG), with one
# host thread per vCPU. -no-reboot turns a panic or a reboot into an exit.
timeout -k 10 "$limit" qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu max -smp 2 -m 2048 \
	-nographic -no-reboot -nic none \
	-kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.img" \
	-append "root=/dev/vda rw console=ttyS0 systemd.unified_cgroup_hierarchy=1 panic=-1 quiet loglevel=4" \
	-drive "file=$WORK/overlay.qcow2,if=virtio,format=qcow2,cache=unsafe" \
	-virtfs "local,path=$SHARE,mount_tag=burrow,security_model=none,readonly=on" \
	-virtfs "local,path=$OUT,mount_tag=out,security_model=none" \
	</dev/null >"$CONSOLE" 2>&1
qrc=$?
elapsed=$(($(date +%s) - boot))
phase "the guest ran for $elapsed s (qemu exit status $qrc)"

# ---- results --------------------------------------------------------------------------------

pass=0
failed=0
skipped=0
names=""
while read -r name rc secs; do
	names+=" $name"
	echo
	echo "---- guest test $name (exit $rc, $secs s) ----"
	cat "$OUT/$name.log" 2>/dev/null
	case $rc in
	0) pass=$((pass + 1)) ;;
	77) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)) ;;
	esac
done < <(sed -n 's/^RESULT //p' "$OUT/results" 2>/dev/null)

echo
echo "---- guest runner ----"
cat "$OUT/guest.log" 2>/dev/null
echo
if [ ! -e "$OUT/done" ]; then
	if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
		say "FAIL: the guest was killed at the $limit s limit"
	else
		say "FAIL: the guest stopped before finishing (qemu exit status $qrc)"
	fi
	say "the console's last lines:"
	tail -n 60 "$CONSOLE" | sed 's/\x1b\[[0-9;]*m//g; s/^/console: /'
	failed=$((failed + 1))
fi
expected=$(wc -l <"$SHARE/guest-tests")
if [ $((pass + failed + skipped)) -lt "$expected" ] && [ -e "$OUT/done" ]; then
	say "FAIL: $expected tests listed, $((pass + failed + skipped)) reported"
	failed=$((failed + 1))
fi
[ "${BURROW_VM_KEEP:-0}" == 1 ] || rm -f "$WORK/overlay.qcow2"

echo "==== VM suite: $pass passed, $failed failed, $skipped skipped (guest tests:$names);" \
	"guest $elapsed s, whole run $(($(date +%s) - T0)) s ===="
[ "$failed" -eq 0 ] && [ "$pass" -gt 0 ]
