#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# mkimage.sh CACHE_DIR: make (once) the VM suite's base image and print the
# directory that holds it: disk.raw (an ext4 filesystem of a minbase Debian 12
# with systemd, the kernel's modules and burrow's runtime libraries),
# vmlinuz and initrd.img (Debian's linux-image-amd64, booted from outside with
# -kernel/-initrd), and ctroot/ inside the image's /var/cache/burrow-tests
# (the container rootfs the launcher's tests expect there).
#
# The directory is named by a hash of this script, so a change to the package
# list or the configuration below makes a new image; older ones are removed.
# A lock serialises concurrent runs; the result is renamed into place only
# when complete. Progress goes to stderr, the path alone to stdout.
set -euo pipefail

CACHE=${1:?usage: mkimage.sh CACHE_DIR}
MIRROR=${BURROW_VM_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
SIZE=6G

# The guest: systemd as PID 1 and its user sessions (logind, user@.service,
# machinectl for a user's bus), the kernel and initrd tooling, what the
# integration and launcher tests call, and burrow's runtime libraries.
PACKAGES=(
	systemd systemd-sysv udev dbus dbus-user-session libpam-systemd systemd-container
	linux-image-amd64 initramfs-tools zstd kmod
	procps util-linux fuse3 python3 uidmap e2fsprogs debootstrap bc
	libfuse3-3 libcap2 libseccomp2 libglib2.0-0 libjson-glib-1.0-0
	libsodium23 libcurl4 libarchive13 libmnl0
)
# The container the launcher's boot test starts inside the guest: the same
# package set as the host-side rootfs cache of tests/hooks/lib.sh.
CT_PACKAGES=(systemd systemd-sysv dbus procps)

KEY=$(sha256sum "$0" | cut -c1-16)
OUT=$CACHE/image-$KEY

log() {
	echo "mkimage: $*" >&2
}

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock -w 1800 9 || {
	log "timed out waiting for $CACHE/.lock"
	exit 1
}
if [ -e "$OUT/done" ]; then
	echo "$OUT"
	exit 0
fi

for c in debootstrap mkfs.ext4; do
	command -v "$c" >/dev/null || {
		log "$c is missing"
		exit 2
	}
done

start=$(date +%s)
TMP=$CACHE/build.$$
rm -rf --one-file-system "$TMP"
mkdir -p "$TMP" "$CACHE/debs"
trap 'rm -rf --one-file-system "$TMP"' EXIT
ROOT=$TMP/root

# Both rootfs share one package cache, so the second downloads nothing.
strap() {
	local dst=$1 inc=$2
	log "debootstrap $SUITE into $dst (+$inc)"
	if ! debootstrap --variant=minbase --cache-dir="$CACHE/debs" --include="$inc" \
		"$SUITE" "$dst" "$MIRROR" >"$TMP/debootstrap-$(basename "$dst").log" 2>&1; then
		tail -n 30 "$TMP/debootstrap-$(basename "$dst").log" >&2
		log "debootstrap failed"
		exit 1
	fi
}
strap "$ROOT" "$(IFS=,; echo "${PACKAGES[*]}")"
strap "$TMP/ctroot" "$(IFS=,; echo "${CT_PACKAGES[*]}")"
# Where the launcher's tests keep theirs (tests/launcher/lib.sh), with the
# world-readable tarball users create containers from: the guest has no
# network to debootstrap, and gzip under emulation is slow.
mkdir -p "$ROOT/var/cache/burrow-tests"
tar --numeric-owner -czf "$ROOT/var/cache/burrow-tests/bookworm.tar.gz" -C "$TMP/ctroot" .
chmod 644 "$ROOT/var/cache/burrow-tests/bookworm.tar.gz"
mv -T "$TMP/ctroot" "$ROOT/var/cache/burrow-tests/bookworm"

# ---- configuration ----------------------------------------------------------

echo burrow-vm >"$ROOT/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 burrow-vm\n' >"$ROOT/etc/hosts"
# The overlay is thrown away after each run: no fsck, no journal on disk.
echo '/dev/vda / ext4 rw,relatime 0 0' >"$ROOT/etc/fstab"
mkdir -p "$ROOT/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' >"$ROOT/etc/systemd/journald.conf.d/burrow-vm.conf"

# Nothing logs in; nothing reaches the network (there is none).
systemctl --root="$ROOT" mask --quiet getty.target serial-getty@ttyS0.service \
	apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
	fstrim.timer systemd-networkd-wait-online.service 2>/dev/null || true

# cpuset and io are delegated to users' managers too, for burrow's own cgroups
# under user@UID.service (systemd delegates memory, pids and cpu by default).
mkdir -p "$ROOT/etc/systemd/system/user@.service.d"
printf '[Service]\nDelegate=cpu cpuset io memory pids\n' \
	>"$ROOT/etc/systemd/system/user@.service.d/delegate.conf"

# An ordinary user for the unprivileged tests, with subordinate ids.
chroot "$ROOT" useradd --create-home --uid 1000 --shell /bin/bash tester
grep -q '^tester:' "$ROOT/etc/subuid" || echo 'tester:100000:65536' >>"$ROOT/etc/subuid"
grep -q '^tester:' "$ROOT/etc/subgid" || echo 'tester:100000:65536' >>"$ROOT/etc/subgid"

# The run: mount the host's share and hand over to its guest runner. The
# runner comes from the share, so changing it needs no new image.
cat >"$ROOT/usr/local/sbin/burrow-vm-start" <<'EOS'
#!/bin/bash
# Mount the harness's 9p shares and run its guest runner; power off whatever
# happens, so the host never waits for its time limit on a broken start.
modprobe -a 9pnet_virtio 9p
mkdir -p /mnt/burrow /mnt/out
if mount -t 9p -o trans=virtio,version=9p2000.L,ro burrow /mnt/burrow &&
	mount -t 9p -o trans=virtio,version=9p2000.L out /mnt/out &&
	[ -x /mnt/burrow/guest/run-guest.sh ]; then
	/mnt/burrow/guest/run-guest.sh
else
	echo "burrow-vm-start: could not mount the harness's shares"
fi
sync
systemctl poweroff --no-block || poweroff -f
EOS
chmod 755 "$ROOT/usr/local/sbin/burrow-vm-start"
cat >"$ROOT/etc/systemd/system/burrow-vm.service" <<'EOS'
[Unit]
Description=burrow VM suite runner
# Type=simple: boot completes while it runs, so it can wait for "running".
[Service]
Type=simple
ExecStart=/usr/local/sbin/burrow-vm-start
StandardOutput=journal+console
StandardError=inherit
[Install]
WantedBy=multi-user.target
EOS
systemctl --root="$ROOT" enable --quiet burrow-vm.service

# ---- kernel, initrd, image ----------------------------------------------------

kver=$(basename "$(ls -d "$ROOT"/lib/modules/*/ | head -n1)")
[ -e "$ROOT/boot/vmlinuz-$kver" ] && [ -e "$ROOT/boot/initrd.img-$kver" ] || {
	log "no kernel or initrd for $kver in the rootfs"
	exit 1
}
cp "$ROOT/boot/vmlinuz-$kver" "$TMP/vmlinuz"
cp "$ROOT/boot/initrd.img-$kver" "$TMP/initrd.img"
echo "$kver" >"$TMP/kernel-version"
rm -rf "$ROOT/var/cache/apt/archives"/*.deb "$ROOT/var/lib/apt/lists"/*
log "mkfs.ext4 -d ($(du -sh "$ROOT" | cut -f1) of files, $SIZE image)"
mkfs.ext4 -q -F -L burrow-vm -d "$ROOT" "$TMP/disk.raw" "$SIZE" >&2
rm -rf --one-file-system "$ROOT"
touch "$TMP/done"
for old in "$CACHE"/image-*; do
	[ "$old" == "$OUT" ] || rm -rf --one-file-system "$old"
done
mv -T "$TMP" "$OUT"
trap - EXIT
log "image for kernel $kver made in $(($(date +%s) - start)) s: $OUT"
echo "$OUT"
