# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for the signed-image tests, on top of lib.sh: the tests' own HTTP
# server (image-server.py, which can misbehave on request), small hand-made
# rootfs trees, keys, and trees published by hand and signed by Debian's
# minisign, so that burrow's verifier meets a real peer's signatures.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMG_ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)

# img_init: root's containers, cache and trusted keys all below $T_TMP.
img_init() {
	local t
	# Missing tools fail the test: CI installs them (tests/run-tests.sh).
	for t in minisign python3 xz tar; do
		command -v "$t" >/dev/null || die "$t is not installed (see PACKAGES in tests/run-tests.sh)"
	done
	export BURROW_CACHE_DIR=$T_TMP/cache XDG_CONFIG_HOME=$T_TMP/config BURROW_FETCH_TIMEOUT=2
	mkdir -p "$XDG_CONFIG_HOME/burrow/keys.d"
}

# img_server ROOT: serve ROOT on 127.0.0.1; sets IMG_URL, IMG_LOG, IMG_FAULTS.
img_server() {
	local i
	IMG_LOG=$T_TMP/http.log
	IMG_FAULTS=$T_TMP/faults
	: >"$IMG_LOG"
	: >"$IMG_FAULTS"
	python3 "$L_DIR/image-server.py" "$1" "$T_TMP/port" "$IMG_LOG" "$IMG_FAULTS" &
	IMG_SERVER_PID=$!
	defer "kill $IMG_SERVER_PID 2>/dev/null; wait $IMG_SERVER_PID 2>/dev/null"
	for ((i = 0; i < 100; i++)); do
		[ -s "$T_TMP/port" ] && break
		sleep 0.05
	done
	[ -s "$T_TMP/port" ] || die "the image server did not start"
	IMG_URL=http://127.0.0.1:$(cat "$T_TMP/port")
}

# img_fault SUFFIX MODE: requests ending with SUFFIX misbehave; img_fault: none do.
img_fault() {
	if [ $# -eq 0 ]; then
		: >"$IMG_FAULTS"
	else
		echo "$1 $2" >"$IMG_FAULTS"
	fi
}

# img_gets SUFFIX: how many GETs the server logged for paths ending with SUFFIX.
img_gets() {
	awk -v s="$1" '$1 == "GET" && substr($2, length($2) - length(s) + 1) == s' "$IMG_LOG" | wc -l
}

# img_tiny DIR: a small rootfs, a few files and links, owned by root.
img_tiny() {
	mkdir -p "$1/etc" "$1/bin" "$1/usr/lib" "$1/tmp" "$1/dev"
	echo "tiny image" >"$1/etc/motd"
	printf 'ID=tiny\nVERSION_ID=1\n' >"$1/usr/lib/os-release"
	ln -sf ../usr/lib/os-release "$1/etc/os-release"
	chmod 1777 "$1/tmp"
	chown -R 0:0 "$1"
}

# img_minisign_key NAME: a minisign -W pair $T_TMP/NAME.{key,pub}, not trusted yet.
img_minisign_key() {
	minisign -G -W -f -p "$T_TMP/$1.pub" -s "$T_TMP/$1.key" >/dev/null || die "minisign -G"
}

# img_trust NAME: trust $T_TMP/NAME.pub.
img_trust() {
	cp "$T_TMP/$1.pub" "$XDG_CONFIG_HOME/burrow/keys.d/$1.pub"
}

# img_publish TREE DIST ROOTFS_TAR_XZ KEY [MINISIGN_FLAGS]: one image by hand,
# as an LXC-style server holds it, SHA256SUMS signed by minisign -S.
img_publish() {
	local tree=$1 dist=$2 rootfs=$3 key=$4 flags=${5:-}
	local rel=images/$dist/1/$IMG_ARCH/default/b1
	mkdir -p "$tree/$rel" "$tree/meta/1.0"
	cp "$rootfs" "$tree/$rel/rootfs.tar.xz"
	[ -s "$T_TMP/meta.tar.xz" ] || {
		mkdir -p "$T_TMP/meta-src"
		printf 'memory=64M\n' >"$T_TMP/meta-src/config"
		echo "a hand-made image" >"$T_TMP/meta-src/description"
		tar -C "$T_TMP/meta-src" -cJf "$T_TMP/meta.tar.xz" config description
	}
	cp "$T_TMP/meta.tar.xz" "$tree/$rel/"
	# shellcheck disable=SC2086 # flags: none or -l, unquoted on purpose
	(cd "$tree/$rel" && sha256sum rootfs.tar.xz meta.tar.xz >SHA256SUMS &&
		minisign -S $flags -s "$key" -m SHA256SUMS -x SHA256SUMS.minisig >/dev/null) ||
		die "minisign -S for $dist"
	sed -i "/^$dist;/d" "$tree/meta/1.0/index-system" 2>/dev/null
	echo "$dist;1;$IMG_ARCH;default;b1;/$rel/" >>"$tree/meta/1.0/index-system"
}

# img_nothing_left DESC NAME: no container NAME, no partial cache entry.
img_nothing_left() {
	check_eq "$1: no container left" "$(ls -A "$BURROW_HOME" 2>/dev/null | grep -x "$2")" ""
	check_eq "$1: no temporary download left" \
		"$(find "$BURROW_CACHE_DIR" -name '.tmp-*' 2>/dev/null)" ""
}

# img_fails DESC WANT NAME ARGS...: create NAME fails, saying WANT (a fixed
# string), and leaves nothing behind.
img_fails() {
	local desc=$1 want=$2 name=$3 out rc
	shift 3
	out=$("$BURROW" create "$name" "$@" 2>&1)
	rc=$?
	check_num "$desc: create fails" "$rc" "!=" 0
	if grep -qF -- "$want" <<<"$out"; then
		t_ok "$desc: says '$want'"
	else
		t_not_ok "$desc: wanted '$want' in: $out"
	fi
	img_nothing_left "$desc" "$name"
}
