#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 12's bad input for create --download: bad or missing signatures,
# tampered files, a server that fails, stalls, truncates, loops, lies about
# types and sizes or sends 100 MB of index, malformed indexes, hostile tar
# entries and full disks. Each gets an error that names the problem, and
# leaves no container, cache entry or temporary file behind.

. "$(dirname "$0")/image-lib.sh"

l_init
l_root_home
img_init
B=$BURROW
TREE=$T_TMP/tree
img_tiny "$T_TMP/tiny"
img_minisign_key ms
img_trust ms
img_minisign_key stranger
(cd "$T_TMP/tiny" && tar --numeric-owner -cJf "$T_TMP/tiny.tar.xz" .)
img_publish "$TREE" good "$T_TMP/tiny.tar.xz" "$T_TMP/ms.key"
img_server "$TREE"
S=(--server "$IMG_URL")
dir_of() { echo "$TREE/images/$1/1/$IMG_ARCH/default/b1"; }

out=$("$B" create ok1 --download good:1 "${S[@]}" 2>&1)
check_eq "the good image is created (${out:-no output})" "$?" 0
"$B" destroy ok1 >/dev/null 2>&1
rm -rf "${BURROW_CACHE_DIR:?}"/*

# --- signatures and digests ---
img_publish "$TREE" wsig "$T_TMP/tiny.tar.xz" "$T_TMP/ms.key"
echo >>"$(dir_of wsig)/SHA256SUMS"
img_fails "SHA256SUMS changed after signing" "wrong signature" x --download wsig:1 "${S[@]}"
img_publish "$TREE" unk "$T_TMP/tiny.tar.xz" "$T_TMP/stranger.key"
img_fails "signed by an unknown key" "which is not trusted" x --download unk:1 "${S[@]}"
img_publish "$TREE" unsigned "$T_TMP/tiny.tar.xz" "$T_TMP/ms.key"
rm "$(dir_of unsigned)/SHA256SUMS.minisig"
img_fails "unsigned" "SHA256SUMS.minisig: the server answered HTTP 404" x --download unsigned:1 "${S[@]}"
img_publish "$TREE" garbled "$T_TMP/tiny.tar.xz" "$T_TMP/ms.key"
echo "not a signature" >"$(dir_of garbled)/SHA256SUMS.minisig"
img_fails "a signature file that is not one" "is not a minisign signature" x --download garbled:1 "${S[@]}"
img_publish "$TREE" trootfs "$T_TMP/tiny.tar.xz" "$T_TMP/ms.key"
printf 'X' | dd of="$(dir_of trootfs)/rootfs.tar.xz" bs=1 seek=60 conv=notrunc status=none
img_fails "tampered rootfs.tar.xz" "rootfs.tar.xz does not match SHA256SUMS" x --download trootfs:1 "${S[@]}"
img_publish "$TREE" tmeta "$T_TMP/tiny.tar.xz" "$T_TMP/ms.key"
printf 'X' | dd of="$(dir_of tmeta)/meta.tar.xz" bs=1 seek=40 conv=notrunc status=none
img_fails "tampered meta.tar.xz" "meta.tar.xz does not match SHA256SUMS" x --download tmeta:1 "${S[@]}"
img_publish "$TREE" unlisted "$T_TMP/tiny.tar.xz" "$T_TMP/ms.key"
(cd "$(dir_of unlisted)" && sed -i '/rootfs.tar.xz/d' SHA256SUMS &&
	minisign -S -s "$T_TMP/ms.key" -m SHA256SUMS -x SHA256SUMS.minisig >/dev/null)
img_fails "SHA256SUMS without rootfs.tar.xz" "SHA256SUMS does not list rootfs.tar.xz" x --download unlisted:1 "${S[@]}"

# --- the server misbehaves ---
for f in "truncate:was cut short" "404:the server answered HTTP 404" "500:the server answered HTTP 500" \
	"stall:the server stalled" "loop:more than 5 redirects" "long-length:was cut short" \
	"short-length:rootfs.tar.xz does not match SHA256SUMS"; do
	img_fault rootfs.tar.xz "${f%%:*}"
	img_fails "rootfs.tar.xz: ${f%%:*}" "${f#*:}" x --download good:1 "${S[@]}"
done
img_fault rootfs.tar.xz truncate-once
: >"$IMG_LOG"
out=$("$B" create r1 --download good:1 "${S[@]}" 2>&1)
check_eq "a transfer cut short once is resumed (${out:-no output})" "$?" 0
check_eq "... by a range request from where it stopped" \
	"$(awk '$2 ~ /rootfs.tar.xz$/ && $3 != "range=None" { print $4 }' "$IMG_LOG")" 206
"$B" destroy r1 >/dev/null 2>&1
rm -rf "${BURROW_CACHE_DIR:?}"/*
img_fault index-system ctype
echo "rootfs.tar.xz ctype" >>"$IMG_FAULTS"
out=$("$B" create t1 --download good:1 "${S[@]}" 2>&1)
check_eq "wrong content types do not matter: the signature decides (${out:-no output})" "$?" 0
"$B" destroy t1 >/dev/null 2>&1
rm -rf "${BURROW_CACHE_DIR:?}"/*

# --- the index ---
for f in "huge:larger than the limit of 4" "huge-length:larger than the limit of 4" \
	"404:index-system: the server answered HTTP 404"; do
	img_fault index-system "${f%%:*}"
	img_fails "index: ${f%%:*}" "${f#*:}" x --download good:1 "${S[@]}"
done
img_fault
cp "$TREE/meta/1.0/index-system" "$T_TMP/index.good"
echo "good;1;$IMG_ARCH" >>"$TREE/meta/1.0/index-system"
img_fails "an index line of 3 fields" "is malformed (3 fields, not 6" x --download good:1 "${S[@]}"
echo "evil;1;$IMG_ARCH;default;b1;/../../etc/" >"$TREE/meta/1.0/index-system"
img_fails "an index path with .." "line 1 is malformed (bad path field)" x --download evil:1 "${S[@]}"
cp "$T_TMP/index.good" "$TREE/meta/1.0/index-system"
img_fails "an image missing from the index" "no image nope:1:$IMG_ARCH:default in the index" x --download nope:1 "${S[@]}"
img_fails "a malformed image name" "is not DIST:RELEASE" x --download 'debian/../x' "${S[@]}"
img_fails "a server that is not http(s)" "is not an http:// or https:// URL" x --download good:1 --server file:///etc

# --- hostile tar entries (signed: the key is trusted, the content is not) ---
mkdir -p "$T_TMP/victim"
chmod 777 "$T_TMP/victim"
hostile() {
	python3 - "$T_TMP/h.tar" "$1" "$T_TMP/victim" <<'PY'
import io, sys, tarfile
out, kind, victim = sys.argv[1:4]
t = tarfile.open(out, "w", format=tarfile.GNU_FORMAT)
def add(name, type=tarfile.REGTYPE, data=b"pwned\n", **kw):
    i = tarfile.TarInfo(name)
    i.type = type
    i.size = len(data) if type == tarfile.REGTYPE else 0
    for k, v in kw.items():
        setattr(i, k, v)
    t.addfile(i, io.BytesIO(data) if type == tarfile.REGTYPE else None)
add("./etc", tarfile.DIRTYPE, mode=0o755)
if kind == "dotdot": add("../../../../../../.." + victim + "/dotdot")
if kind == "abs": add(victim + "/abs")
if kind == "hardlink": add("etc/pw", tarfile.LNKTYPE, linkname="../../../../../../../etc/passwd")
if kind == "hardlink-abs": add("etc/pw", tarfile.LNKTYPE, linkname="/etc/passwd")
if kind == "symlink":
    add("etc/x", tarfile.SYMTYPE, linkname=victim)
    add("etc/x/through-symlink")
if kind == "device": add("etc/sda", tarfile.BLKTYPE, devmajor=8, devminor=0)
if kind == "odd": add("etc/odd\nname\x1b[31m")
t.close()
PY
	xz -f -0 "$T_TMP/h.tar"
}
for f in "dotdot:its path goes up with '..'" "abs:it is an absolute path" \
	"hardlink:hard link to a file outside the image" "hardlink-abs:hard link to a file outside the image" \
	"symlink:\"etc/x/through-symlink\" is refused: Cannot extract through symlink" "device:it is a device node" \
	"odd:its name holds control characters"; do
	hostile "${f%%:*}"
	img_publish "$TREE" "h-${f%%:*}" "$T_TMP/h.tar.xz" "$T_TMP/ms.key"
	img_fails "tar entry: ${f%%:*}" "${f#*:}" x --download "h-${f%%:*}:1" "${S[@]}"
	check_eq "tar entry: ${f%%:*}: nothing reached the victim directory" "$(ls -A "$T_TMP/victim")" ""
done
check_eq "/etc/passwd is not linked" "$(stat -c %h /etc/passwd)" 1
# A sparse file of 1 TiB: a few kB of archive, more than any disk here.
mkdir -p "$T_TMP/sparse"
truncate -s 1T "$T_TMP/sparse/huge"
tar --sparse -C "$T_TMP/sparse" -cJf "$T_TMP/sparse.tar.xz" .
img_publish "$TREE" sparse "$T_TMP/sparse.tar.xz" "$T_TMP/ms.key"
img_fails "a huge sparse file" "larger than the space left for the rootfs" x --download sparse:1 "${S[@]}"

# --- full disks (small tmpfs) ---
mkdir -p "$T_TMP/big" "$T_TMP/small-home" "$T_TMP/small-cache"
head -c 3M /dev/urandom >"$T_TMP/big/noise"
for i in $(seq 1 40); do echo "$i" >"$T_TMP/big/f$i"; done
tar -C "$T_TMP/big" -cJf "$T_TMP/big.tar.xz" .
img_publish "$TREE" big "$T_TMP/big.tar.xz" "$T_TMP/ms.key"
mount -t tmpfs -o size=2M tmpfs "$T_TMP/small-home" || die "mount a tmpfs"
defer "umount '$T_TMP/small-home'"
out=$(BURROW_HOME=$T_TMP/small-home "$B" create x --download big:1 "${S[@]}" 2>&1)
check_num "a full disk under the container: create fails" "$?" "!=" 0
check_eq "... says why ($out)" "$(grep -c 'larger than the space left for the rootfs' <<<"$out")" 1
check_eq "... leaves nothing" "$(ls -A "$T_TMP/small-home")" ""
# Room for the data, not for the inodes: the kernel's ENOSPC, mid-extraction.
umount "$T_TMP/small-home"
mount -t tmpfs -o size=8M,nr_inodes=12 tmpfs "$T_TMP/small-home" || die "mount a tmpfs"
out=$(BURROW_HOME=$T_TMP/small-home "$B" create x --download big:1 "${S[@]}" 2>&1)
check_num "no inodes left: create fails" "$?" "!=" 0
check_eq "... says why ($out)" "$(grep -c 'No space left on device' <<<"$out")" 1
check_eq "... leaves nothing" "$(ls -A "$T_TMP/small-home")" ""
rm -rf "${BURROW_CACHE_DIR:?}"/*
mount -t tmpfs -o size=1M tmpfs "$T_TMP/small-cache" || die "mount a tmpfs"
defer "umount '$T_TMP/small-cache'"
out=$(BURROW_CACHE_DIR=$T_TMP/small-cache "$B" create x --download big:1 "${S[@]}" 2>&1)
check_num "a full cache disk: create fails" "$?" "!=" 0
check_eq "... says why ($out)" "$(grep -c 'rootfs.tar.xz: No space left on device' <<<"$out")" 1
check_eq "... leaves no file in the cache" "$(find "$T_TMP/small-cache" -type f | wc -l)" 0
check_eq "... and no container" "$(find "$BURROW_HOME" -mindepth 1 | wc -l)" 0
check_eq "nothing in the cache from any failure" "$(find "$BURROW_CACHE_DIR" -type f | wc -l)" 0
