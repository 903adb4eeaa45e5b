#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# share/quickstart.sh [--keep] [--no-deps] [--name NAME]
#
# Everything from a bare Debian 12 host to a booted container, as root (a
# user who may sudo is asked for it):
#   1. installs the build and runtime dependencies (apt-get);
#   2. builds burrow into build/;
#   3. starts burrowfs on /var/lib/burrowfs (reuses one already serving there);
#   4. gives root subordinate ids if it has none (burrow maps every
#      container, root's too, to subordinate ids);
#   5. creates a Debian 12 container (debootstrap, 1-2 minutes the first time)
#      limited to 512 MiB, CPU 0 and 500 tasks, and boots its systemd;
#   6. shows free -m, nproc, uptime and systemctl is-system-running inside it,
#      next to the host's.
# Then it stops and destroys the container and stops burrowfs, unless --keep
# leaves both running (then: burrow attach NAME, burrow stop NAME).
set -euo pipefail

KEEP=0
DEPS=1
NAME=quickstart
while [ $# -gt 0 ]; do
	case $1 in
	--keep) KEEP=1 ;;
	--no-deps) DEPS=0 ;;
	--name)
		NAME=${2:?--name needs a value}
		shift
		;;
	-h | --help)
		sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "quickstart: unknown option $1 (see --help)" >&2
		exit 2
		;;
	esac
	shift
done
# It mounts FUSE, makes cgroups and containers: as root. A user who may sudo
# runs it as written too; on a host without sudo, root runs it directly.
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		exec sudo -- "$0" "$@"
	fi
	echo "quickstart: run as root (su -c $0): it mounts FUSE, makes cgroups and containers" >&2
	exit 1
fi
cd "$(dirname "$0")/.."

# passt: the guest's network (network=auto takes pasta when there is no veth quota).
PACKAGES=(meson ninja-build pkg-config gcc libfuse3-dev fuse3 libcap-dev libseccomp-dev
	libglib2.0-dev libjson-glib-dev libsodium-dev libcurl4-openssl-dev libarchive-dev libmnl-dev
	check procps util-linux uidmap debootstrap xz-utils passt)
MNT=/var/lib/burrowfs
BURROWFS=$PWD/build/fs/burrowfs
BURROW=$PWD/build/launcher/burrow
TARBALL=/var/cache/burrow-tests/bookworm.tar.gz
CREATE_LOG=/var/log/burrow-quickstart-create.log
OUR_BFS=0
OUR_CT=0

say() {
	if [ -t 1 ]; then
		printf '\n\033[1m%s\033[0m\n' "$*"
	else
		printf '\n%s\n' "$*"
	fi
}

die() {
	echo "quickstart: $*" >&2
	exit 1
}

cleanup() {
	set +e
	[ "$KEEP" -eq 0 ] || return 0
	if [ "$OUR_CT" -eq 1 ]; then
		"$BURROW" stop "$NAME" --timeout 20 >/dev/null 2>&1
		"$BURROW" destroy --force "$NAME" >/dev/null 2>&1
	fi
	# --stop ends the daemon and the keeper that would carry a restart.
	[ "$OUR_BFS" -eq 0 ] || "$BURROWFS" --stop "$MNT" >/dev/null 2>&1
}
trap cleanup EXIT

# ---- dependencies and build ---------------------------------------------------
if [ "$DEPS" -eq 1 ]; then
	say "Installing dependencies"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >/dev/null
fi

say "Building into build/"
if [ -e build/build.ninja ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build >/dev/null
fi
meson compile -C build >/dev/null

# ---- burrowfs -----------------------------------------------------------------
mkdir -p "$MNT"
if [ -e "$MNT/proc/meminfo" ]; then
	say "burrowfs already serves $MNT: using it"
else
	mountpoint -q "$MNT" && die "$MNT is a mount point, but not a working burrowfs"
	say "Starting burrowfs on $MNT (log: /var/log/burrowfs.log)"
	setsid "$BURROWFS" -p /run/burrowfs.pid "$MNT" </dev/null >/var/log/burrowfs.log 2>&1 &
	OUR_BFS=1
	for _ in $(seq 100); do
		[ -e "$MNT/proc/meminfo" ] && break
		sleep 0.1
	done
	[ -e "$MNT/proc/meminfo" ] || die "burrowfs did not come up; see /var/log/burrowfs.log"
fi

# ---- subordinate ids ----------------------------------------------------------
# The next free 65536 ids above every range already given out.
next_free_range() {
	awk -F: 'BEGIN { top = 100000 } NF == 3 && $2 + $3 > top { top = $2 + $3 } END { print top }' \
		/etc/subuid /etc/subgid
}
if ! grep -q '^root:' /etc/subuid || ! grep -q '^root:' /etc/subgid; then
	first=$(next_free_range)
	say "Giving root subordinate ids $first-$((first + 65535)) (/etc/subuid, /etc/subgid)"
	grep -q '^root:' /etc/subuid || usermod --add-subuids "$first-$((first + 65535))" root
	grep -q '^root:' /etc/subgid || usermod --add-subgids "$first-$((first + 65535))" root
fi

# ---- the container ------------------------------------------------------------
LIMITS=(-c memory=512M -c cpus=0 -c pids=500)
if "$BURROW" info "$NAME" >/dev/null 2>&1; then
	say "Container $NAME exists: using it"
else
	if [ -s "$TARBALL" ]; then
		say "Creating container $NAME from $TARBALL"
		src=(--from-tar "$TARBALL")
	else
		say "Creating container $NAME: debootstrap of Debian 12 (1-2 minutes; log: $CREATE_LOG)"
		src=(--debootstrap bookworm)
	fi
	"$BURROW" create "$NAME" "${src[@]}" "${LIMITS[@]}" >"$CREATE_LOG" 2>&1 || {
		tail -n 20 "$CREATE_LOG" >&2
		die "burrow create failed; see $CREATE_LOG"
	}
	OUR_CT=1
fi
if ! "$BURROW" info "$NAME" 2>/dev/null | grep -q '^State: *running'; then
	say "Booting $NAME"
	t0=$(date +%s%N)
	"$BURROW" start "$NAME" --wait
	echo "systemd reported ready after $((($(date +%s%N) - t0) / 1000000)) ms"
	OUR_CT=1
fi

say "Inside $NAME (limits: 512 MiB, CPU 0, 500 tasks)"
"$BURROW" attach "$NAME" -- /bin/sh -c '
	echo "\$ free -m"; free -m
	echo "\$ nproc"; nproc
	echo "\$ uptime"; uptime
	echo "\$ hostname -I"; hostname -I
	echo "\$ systemctl is-system-running"; timeout 60 systemctl is-system-running --wait'

say "On the host"
echo "\$ free -m"
free -m
echo "\$ nproc"
nproc
echo "\$ uptime"
uptime

if [ "$KEEP" -eq 1 ]; then
	say "Left running: container $NAME (burrow attach $NAME; burrow stop $NAME; burrow destroy $NAME) and burrowfs on $MNT (build/fs/burrowfs --stop $MNT)."
else
	say "Cleaning up (--keep leaves the container and burrowfs running)"
fi
