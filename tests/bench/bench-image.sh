#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-image.sh [BUILD_DIR]: `burrow create --download debian:bookworm` of
# the cached Debian 12 rootfs, published with `burrow image build` and served
# by the tests' server on 127.0.0.1, side by side with
#   floor   curl -o rootfs.tar.xz && tar -xJf (as root, no signature, no shift)
#   lxc     lxc-create -t download against the same tree (LXC's template
#           speaks only https://SERVER: the server runs a second time with a
#           self-signed certificate, which wget trusts through WGETRC)
# BENCH_RUNS rounds (default 3), taking turns, each from an empty cache.
# Reports the median wall time and peak RSS (GNU time's maxresident of the
# whole process tree's largest member) and the ratios to the floor; the
# target is within 1.3x. Needs root, curl, lxc, openssl, /usr/bin/time.
L_DIR=$(cd "$(dirname "$0")/../launcher" && pwd)
BUILD_DIR=${1:-${BUILD_DIR:-$(dirname "$0")/../../build}}
BURROW=${BURROW:-$BUILD_DIR/launcher/burrow}
BURROWFS=${BURROWFS:-$BUILD_DIR/fs/burrowfs}
# shellcheck source=../launcher/image-lib.sh
source "$L_DIR/image-lib.sh"
RUNS=${BENCH_RUNS:-3}

l_init
for t in curl lxc-create openssl /usr/bin/time wget; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done
l_rootfs
l_root_home
img_init
TREE=$T_TMP/tree
"$BURROW" image keygen --out "$T_TMP/k" >/dev/null
img_trust k
note "building the image (xz -6)"
"$BURROW" image build --from-dir "$ROOTFS" --dist debian --release bookworm \
	--key "$T_TMP/k.key" --out "$TREE" >/dev/null || die "image build"
img_server "$TREE"
HTTP_URL=$IMG_URL
REL=$(awk -F';' '$1 == "debian" { print $6 }' "$TREE/meta/1.0/index-system")
note "rootfs.tar.xz: $(stat -c %s "$TREE$REL/rootfs.tar.xz") bytes"

# The HTTPS twin for LXC.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T_TMP/tls.key" -out "$T_TMP/tls.crt" 2>/dev/null ||
	die "openssl req"
IMG_TLS_CERT=$T_TMP/tls.crt IMG_TLS_KEY=$T_TMP/tls.key \
	python3 "$L_DIR/image-server.py" "$TREE" "$T_TMP/tls-port" "$T_TMP/tls.log" &
TLS_PID=$!
defer "kill $TLS_PID 2>/dev/null; wait $TLS_PID 2>/dev/null"
for ((i = 0; i < 100; i++)); do [ -s "$T_TMP/tls-port" ] && break; sleep 0.05; done
TLS_HOST=127.0.0.1:$(cat "$T_TMP/tls-port")
echo "ca_certificate = $T_TMP/tls.crt" >"$T_TMP/wgetrc"
LXC_P=$T_TMP/lxc
mkdir -p "$LXC_P"
# LXC's cache of the template, in the test's directory rather than /var/cache/lxc.
mkdir -p "$T_TMP/lxc-cache"

# measure NAME CMD: one run under GNU time; appends "secs rss_kb" to $T_TMP/NAME.
measure() {
	local name=$1
	shift
	/usr/bin/time -f "%e %M" -o "$T_TMP/time.out" "$@" >"$T_TMP/$name.log" 2>&1 ||
		die "$name failed: $(tail -3 "$T_TMP/$name.log")"
	cat "$T_TMP/time.out" >>"$T_TMP/res-$name"
}

for ((r = 1; r <= RUNS; r++)); do
	sync
	echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
	rm -rf "$T_TMP/floor" "${BURROW_CACHE_DIR:?}" && mkdir -p "$T_TMP/floor/rootfs"
	measure floor sh -c "curl -sf -o '$T_TMP/floor/rootfs.tar.xz' '$HTTP_URL$REL/rootfs.tar.xz' &&
		tar --numeric-owner -xpJf '$T_TMP/floor/rootfs.tar.xz' -C '$T_TMP/floor/rootfs'"
	measure burrow "$BURROW" create "b$r" --download debian:bookworm --server "$HTTP_URL"
	"$BURROW" destroy "b$r" >/dev/null 2>&1
	measure lxc env WGETRC="$T_TMP/wgetrc" LXC_CACHE_PATH="$T_TMP/lxc-cache" lxc-create -P "$LXC_P" -n "l$r" -t download -- \
		--server "$TLS_HOST" -d debian -r bookworm -a "$IMG_ARCH" --flush-cache
	lxc-destroy -P "$LXC_P" -n "l$r" >/dev/null 2>&1
done
rm -rf "$T_TMP/floor"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
FLOOR_S=$(cut -d' ' -f1 "$T_TMP/res-floor" | median)
for n in floor burrow lxc; do
	s=$(cut -d' ' -f1 "$T_TMP/res-$n" | median)
	m=$(cut -d' ' -f2 "$T_TMP/res-$n" | median)
	note "$(printf '%-7s median %6.2f s  peak RSS %7d kB  %.2fx the floor  (runs: %s)' "$n" "$s" "$m" \
		"$(echo "$s / $FLOOR_S" | bc -l)" "$(cut -d' ' -f1 "$T_TMP/res-$n" | tr '\n' ' ')")"
done
B_S=$(cut -d' ' -f1 "$T_TMP/res-burrow" | median)
check_num "create --download within 1.3x the floor (s)" "$B_S" "<=" "$(echo "$FLOOR_S * 1.3" | bc -l)"
