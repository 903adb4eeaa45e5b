#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# mkimage.sh BURROWFS OCI_HOOK > rootfs.tar
#
# The root filesystem of burrowfs-daemonset.yaml's image, from a build (e.g.
# build/fs/burrowfs build/hooks/burrow-oci-hook), as a tar stream for
# `podman import - NAME` (or `docker import`, `buildah`): a static busybox
# (the scripts' shell and tools), burrowfs and util-linux's nsenter with
# their shared libraries at their own paths, and /opt/burrow: the OCI hook
# with the libraries it was built against and their loader as lib/ld.so, which
# the init container copies onto the node. Nothing is downloaded.
set -eu

[ $# -eq 2 ] || {
	echo "usage: $0 BURROWFS OCI_HOOK > rootfs.tar" >&2
	exit 2
}
bfs=$1 hook=$2
busybox=$(command -v busybox) || {
	echo "$0: no busybox (apt-get install busybox-static)" >&2
	exit 1
}
if ldd "$busybox" >/dev/null 2>&1; then
	echo "$0: $busybox is not static (apt-get install busybox-static)" >&2
	exit 1
fi
nsenter=$(command -v nsenter) || {
	echo "$0: no nsenter (util-linux)" >&2
	exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
mkdir -p bin usr/sbin usr/bin opt/burrow/lib opt/burrow/libexec proc sys dev etc tmp run \
	var/lib/burrowfs-node
cp "$busybox" bin/busybox
for applet in sh cat cp mv mkdir rm ln chmod echo printf tr grep readlink sleep ls test timeout; do
	ln -s busybox "bin/$applet"
done

# libs BINARY: the shared objects BINARY loads, its loader included.
libs() {
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}

for pair in "$bfs:usr/sbin/burrowfs" "$nsenter:usr/bin/nsenter"; do
	cp "${pair%%:*}" "${pair#*:}"
	for l in $(libs "${pair%%:*}"); do
		mkdir -p ".$(dirname "$l")"
		cp -L "$l" ".$l"
	done
done

# glibc loads libgcc_s at run time, for pthread_cancel (burrowfs's workers at
# a handover): ldd does not list it.
gcc_s=$(ldconfig -p | awk '$1 == "libgcc_s.so.1" && $NF ~ /^\// { print $NF; exit }')
[ -n "$gcc_s" ] || {
	echo "$0: no libgcc_s.so.1 (libgcc-s1)" >&2
	exit 1
}
mkdir -p ".$(dirname "$gcc_s")"
cp -L "$gcc_s" ".$gcc_s"

cp "$hook" opt/burrow/libexec/burrow-oci-hook
for l in $(libs "$hook"); do
	case $l in
	*/ld-linux*) cp -L "$l" opt/burrow/lib/ld.so ;;
	*) cp -L "$l" "opt/burrow/lib/$(basename "$l")" ;;
	esac
done

tar --numeric-owner --owner=0 --group=0 -c .
