#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Signed images, issue 12: burrow image keygen/build/ls/prune and create
# --download against the tests' own server, with Debian's minisign as the
# peer both ways, and the cache (a second create downloads nothing; a
# tampered cache entry is caught and fetched again).

. "$(dirname "$0")/image-lib.sh"

l_init
l_root_home
img_init
B=$BURROW
TREE=$T_TMP/tree
img_tiny "$T_TMP/tiny"
img_server "$TREE"

# --- burrow's keys, minisign's tool ---
"$B" image keygen --out "$T_TMP/bk" >/dev/null
check_eq "keygen: secret key mode" "$(stat -c %a "$T_TMP/bk.key")" 600
check_eq "keygen: public key starts as minisign's" "$(head -c 19 "$T_TMP/bk.pub")" "untrusted comment: "
"$B" image keygen --out "$T_TMP/bk" >/dev/null 2>&1
check_num "keygen refuses to overwrite" "$?" "!=" 0
out=$("$B" image build --from-dir "$T_TMP/tiny" --dist tiny --release one --build b1 \
	-c memory=96M --description "tiny test image" --key "$T_TMP/bk.key" --out "$TREE" --level 0 2>&1)
check_eq "image build (${out:-no output})" "$?" 0
D=$TREE/images/tiny/one/$IMG_ARCH/default/b1
check_eq "index line" "$(cat "$TREE/meta/1.0/index-system")" \
	"tiny;one;$IMG_ARCH;default;b1;/images/tiny/one/$IMG_ARCH/default/b1/"
check_eq "the files of the image" "$(ls "$D" | tr '\n' ' ')" \
	"SHA256SUMS SHA256SUMS.minisig meta.tar.xz rootfs.tar.xz "
check_eq "SHA256SUMS checks with sha256sum" "$(cd "$D" && sha256sum -c --quiet SHA256SUMS 2>&1)" ""
out=$(minisign -V -p "$T_TMP/bk.pub" -m "$D/SHA256SUMS" 2>&1)
check_eq "minisign -V verifies burrow's signature ($out)" "$?" 0
check_eq "rootfs.tar.xz lists the tree (tar -t)" \
	"$(tar -tJf "$D/rootfs.tar.xz" | sort | tr '\n' ' ')" \
	"./ ./bin/ ./dev/ ./etc/ ./etc/motd ./etc/os-release ./tmp/ ./usr/ ./usr/lib/ ./usr/lib/os-release "
check_eq "meta.tar.xz config" "$(tar -xOJf "$D/meta.tar.xz" config)" "memory=96M"
check_eq "meta.tar.xz description" "$(tar -xOJf "$D/meta.tar.xz" description)" "tiny test image"

# A rebuild of the same image replaces its line; another image adds one.
"$B" image build --from-dir "$T_TMP/tiny" --dist tiny --release one --build b2 -c memory=96M \
	--key "$T_TMP/bk.key" --out "$TREE" --level 0 >/dev/null 2>&1
"$B" image build --from-dir "$T_TMP/tiny" --dist tiny --release two --build b1 \
	--key "$T_TMP/bk.key" --out "$TREE" --level 0 >/dev/null 2>&1
check_eq "index after a rebuild and a second image" "$(cut -d';' -f1-5 "$TREE/meta/1.0/index-system" | sort | tr '\n' ' ')" \
	"tiny;one;$IMG_ARCH;default;b2 tiny;two;$IMG_ARCH;default;b1 "

# --- image ls ---
check_eq "image ls lists both" "$("$B" image ls --server "$IMG_URL" | awk 'NR > 1 { print $1 ":" $2 ":" $5 ":" $6 }' | tr '\n' ' ')" \
	"tiny:one:b2:no tiny:two:b1:no "
check_eq "image ls --json" "$("$B" image ls --server "$IMG_URL" --json |
	python3 -c 'import json,sys; print(" ".join(i["release"] + "/" + i["build"] for i in json.load(sys.stdin)))')" "one/b2 two/b1"

# --- unknown key, then trusted ---
img_fails "a key not in keys.d" "which is not trusted" c0 --download tiny:one --server "$IMG_URL"
check_eq "nothing downloaded past the signature" "$(img_gets rootfs.tar.xz)" 0
img_trust bk
out=$("$B" create c1 --download tiny:one --server "$IMG_URL" 2>&1)
check_eq "create --download (${out:-no output})" "$?" 0
R=$BURROW_HOME/c1/rootfs
check_eq "a file of the image" "$(cat "$R/etc/motd")" "tiny image"
check_eq "its owner is the container's root" "$(stat -c %u:%g "$R/etc/motd")" "100000:100000"
check_eq "a symlink of the image" "$(readlink "$R/etc/os-release")" "../usr/lib/os-release"
check_eq "sticky /tmp kept" "$(stat -c %a "$R/tmp")" 1777
check_eq "hostname" "$(cat "$R/etc/hostname")" c1
check_eq "the image's config keys saved" "$(grep -c "^memory=96M" "$BURROW_HOME/c1/config")" 1
check_eq "one download of the rootfs" "$(img_gets rootfs.tar.xz)" 1

# --- the cache ---
out=$("$B" create c2 --download tiny:one --server "$IMG_URL" -c memory=80M 2>&1)
check_eq "a second create (${out:-no output})" "$?" 0
check_eq "served from the cache: no second download" "$(img_gets rootfs.tar.xz)" 1
check_eq "-c after the image's keys" "$(grep '^memory=' "$BURROW_HOME/c2/config" | tail -1)" "memory=80M"
check_eq "image ls shows it cached" "$("$B" image ls --server "$IMG_URL" | awk '$2 == "one" { print $6 }')" yes
C=$(find "$BURROW_CACHE_DIR" -name rootfs.tar.xz -path '*one*')
printf 'X' | dd of="$C" bs=1 seek=100 conv=notrunc status=none
out=$("$B" create c3 --download tiny:one --server "$IMG_URL" 2>&1)
check_eq "create over a tampered cache entry succeeds from a new download" "$?" 0
if grep -q "rootfs.tar.xz does not match SHA256SUMS" <<<"$out" && grep -q "failed verification" <<<"$out"; then
	t_ok "the tampered cache entry is caught"
else
	t_not_ok "the tampered cache entry is caught: $out"
fi
check_eq "downloaded again" "$(img_gets rootfs.tar.xz)" 2
check_eq "the cache entry is whole again" "$(cd "$(dirname "$C")" && sha256sum -c --quiet SHA256SUMS 2>&1)" ""

# --- prune: only what the index no longer lists ---
"$B" create c4 --download tiny:two --server "$IMG_URL" >/dev/null 2>&1
sed -i '/^tiny;two;/d' "$TREE/meta/1.0/index-system"
check_eq "image prune" "$("$B" image prune --server "$IMG_URL")" "removed 1 cached image"
check_eq "the pruned build is gone" "$(find "$BURROW_CACHE_DIR" -path '*/two/*' -name '*.xz' | wc -l)" 0
check_eq "the listed build stays" "$(find "$BURROW_CACHE_DIR" -path '*/one/*' -name '*.xz' | wc -l)" 2

# --- interop: minisign's keys and signatures in burrow ---
img_minisign_key ms
img_trust ms
(cd "$T_TMP/tiny" && tar --numeric-owner -cJf "$T_TMP/tiny.tar.xz" .)
img_publish "$TREE" msig "$T_TMP/tiny.tar.xz" "$T_TMP/ms.key"
out=$("$B" create m1 --download msig:1 --server "$IMG_URL" 2>&1)
check_eq "an image signed by minisign -S verifies (${out:-no output})" "$?" 0
img_publish "$TREE" mlegacy "$T_TMP/tiny.tar.xz" "$T_TMP/ms.key" -l
out=$("$B" create m2 --download mlegacy:1 --server "$IMG_URL" 2>&1)
check_eq "a legacy (Ed, not prehashed) minisign signature verifies (${out:-no output})" "$?" 0
out=$("$B" image build --from-dir "$T_TMP/tiny" --dist mkey --release 1 --key "$T_TMP/ms.key" \
	--out "$TREE" --level 0 2>&1)
check_eq "image build signs with minisign's own -W key (${out:-no output})" "$?" 0
check_cmd "... and minisign -V verifies it" minisign -q -V -p "$T_TMP/ms.pub" \
	-m "$TREE/images/mkey/1/$IMG_ARCH/default/"*/SHA256SUMS
printf 'pass1\npass1\n' | minisign -G -f -p "$T_TMP/enc.pub" -s "$T_TMP/enc.key" >/dev/null 2>&1
out=$(echo pass1 | "$B" image build --from-dir "$T_TMP/tiny" --dist menc --release 1 \
	--key "$T_TMP/enc.key" --out "$TREE" --level 0 2>&1)
check_eq "image build with minisign's scrypt-encrypted key (${out:-no output})" "$?" 0
check_cmd "... verifies with minisign -V" minisign -q -V -p "$T_TMP/enc.pub" \
	-m "$TREE/images/menc/1/$IMG_ARCH/default/"*/SHA256SUMS
out=$(echo wrong | "$B" image build --from-dir "$T_TMP/tiny" --dist menc --release 2 \
	--key "$T_TMP/enc.key" --out "$TREE" --level 0 2>&1)
check_eq "a wrong password is refused (${out})" "$(grep -c 'wrong password' <<<"$out")" 1
check_eq "... and publishes nothing" "$(ls "$TREE/images/menc")" 1

# --- the progress bar: on a terminal only (every create above printed nothing) ---
rm -rf "${BURROW_CACHE_DIR:?}"
out=$(script -qec "$B create c5 --download tiny:one --server $IMG_URL" /dev/null 2>&1)
check_eq "create on a terminal" "$?" 0
check_num "a progress bar with bytes and rate for rootfs.tar.xz" \
	"$(grep -c 'rootfs.tar.xz *\[.*\] .* / .*/s' <<<"$out")" ">=" 1

for c in c1 c2 c3 c4 c5 m1 m2; do
	"$B" destroy "$c" >/dev/null 2>&1 || note "destroy $c failed"
done
check_eq "no container left" "$(ls -A "$BURROW_HOME")" ""
