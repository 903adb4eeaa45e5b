#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 12's acceptance run: root publishes the cached Debian 12 rootfs as a
# signed image with `burrow image build`, the tests' server serves it, and
# an ordinary user who trusts the key runs `create --download
# debian:bookworm` without root and boots it to `running` with no failed
# unit. A second create of the user's is served from the user's cache.

. "$(dirname "$0")/image-lib.sh"

l_init
l_rootfs
img_init
bfs_start
l_pam_cgfs
U=burrowi$$
l_user "$U"
l_subids "$U" 400000
l_login "$U"
B=$BURROW
TREE=$T_TMP/tree

# The user's own environment: its cache and keys, not the ones img_init set for root.
unset BURROW_CACHE_DIR XDG_CONFIG_HOME
"$B" image keygen --out "$T_TMP/pub" >/dev/null || die "image keygen"
t0=$(date +%s.%N)
out=$("$B" image build --from-dir "$ROOTFS" --dist debian --release bookworm \
	--key "$T_TMP/pub.key" --out "$TREE" --level 0 2>&1)
check_eq "image build of the Debian rootfs (${out:-no output})" "$?" 0
note "image build: $(echo "$(date +%s.%N) - $t0" | bc) s"
chmod -R a+rX "$TREE"
img_server "$TREE"
as "$U" "mkdir -p ~/.config/burrow/keys.d" && install -m 644 -o "$U" "$T_TMP/pub.pub" "/home/$U/.config/burrow/keys.d/"

t0=$(date +%s.%N)
out=$(as "$U" "BURROW_FETCH_TIMEOUT=10 $B create deb --download debian:bookworm --server $IMG_URL \
	-c memory=512M -c burrowfs=yes -c burrowfs-path=$BFS_MNT" 2>&1)
check_eq "create --download as $U (${out:-no output})" "$?" 0
note "create --download: $(echo "$(date +%s.%N) - $t0" | bc) s"
R=/home/$U/.local/share/burrow/deb/rootfs
check_eq "rootfs owned by the container's root" "$(stat -c %u:%g "$R/etc/passwd")" "400000:400000"
check_eq "a setuid file keeps its mode" "$(stat -c %a "$R/usr/bin/passwd")" 4755
check_eq "the cache is the user's" "$(stat -c %U "/home/$U/.cache/burrow/images")" "$U"
check_eq "one rootfs download" "$(img_gets rootfs.tar.xz)" 1

out=$(as "$U" "$B start --wait deb" 2>&1)
check_eq "start --wait (${out:-no output})" "$?" 0
check_eq "systemctl is-system-running --wait" \
	"$(as_argv "$U" "$B" attach deb -- systemctl is-system-running --wait)" running
check_eq "failed units" "$(as_argv "$U" "$B" attach deb -- systemctl list-units --failed --no-legend --plain | wc -l)" 0
check_eq "the guest's os-release" "$(as_argv "$U" "$B" attach deb -- sh -c '. /etc/os-release; echo $VERSION_CODENAME')" bookworm
as "$U" "$B stop deb"

out=$(as "$U" "$B create deb2 --download debian:bookworm --server $IMG_URL" 2>&1)
check_eq "a second create (${out:-no output})" "$?" 0
check_eq "served from the cache: still one rootfs download" "$(img_gets rootfs.tar.xz)" 1
check_eq "image ls as $U: cached" "$(as "$U" "$B image ls --server $IMG_URL" | awk '$1 == "debian" { print $6 }')" yes
check_eq "image prune as $U keeps what the index lists" "$(as "$U" "$B image prune --server $IMG_URL")" \
	"removed 0 cached images"
out=$(as "$U" "mkdir -p t/etc && echo x >t/etc/f && $B image keygen --out k >/dev/null &&
	$B image build --from-dir t --dist u --release 1 --key k.key --out tree --level 0 &&
	minisign -q -V -p k.pub -m tree/images/u/1/$IMG_ARCH/default/*/SHA256SUMS" 2>&1)
check_eq "keygen and build as $U, verified by minisign (${out:-no output})" "$?" 0
as "$U" "$B destroy deb; $B destroy deb2"
check_eq "nothing left" "$(ls "/home/$U/.local/share/burrow/")" ""
