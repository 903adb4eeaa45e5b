#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# sudo share/quickstart.sh [--keep] [--no-deps]
#
# Installs the build dependencies (Debian), builds burrow, mounts burrowfs on
# /var/lib/burrowfs (a temporary directory if that is in use), puts a shell in
# a cgroup limited to 512 MiB and one CPU, in its own pid and mount
# namespaces with the burrowfs files bound over /proc and
# /sys/devices/system/cpu, as a container runtime would, and shows free -m,
# nproc and uptime there next to the host's. Then it cleans up, or with
# --keep leaves burrowfs mounted and running.
set -euo pipefail

KEEP=0
DEPS=1
for a in "$@"; do
	case $a in
	--keep) KEEP=1 ;;
	--no-deps) DEPS=0 ;;
	-h | --help)
		sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "quickstart: unknown option $a (see --help)" >&2
		exit 2
		;;
	esac
done
[ "$(id -u)" -eq 0 ] || {
	echo "quickstart: run as root (sudo $0): it mounts FUSE and creates cgroups" >&2
	exit 1
}
cd "$(dirname "$0")/.."

PACKAGES=(meson ninja-build pkg-config gcc libfuse3-dev fuse3 libcap-dev libseccomp-dev
	libglib2.0-dev libjson-glib-dev check procps util-linux)
CG_NAME=burrow-quickstart-$$
MEM=$((512 * 1024 * 1024))
BFS_PID=""
MNT=""
TMP_MNT=0
CG_DIRS=()

say() {
	if [ -t 1 ]; then
		printf '\n\033[1m%s\033[0m\n' "$*"
	else
		printf '\n%s\n' "$*"
	fi
}

cleanup() {
	local d pids i
	set +e
	for d in "${CG_DIRS[@]}"; do
		for ((i = 0; i < 20; i++)); do
			pids=$(cat "$d/cgroup.procs" 2>/dev/null)
			[ -n "$pids" ] || break
			# shellcheck disable=SC2086
			kill -KILL $pids 2>/dev/null
			sleep 0.1
		done
		rmdir "$d" 2>/dev/null
	done
	if [ -n "$BFS_PID" ] && [ "$KEEP" -eq 0 ]; then
		kill -TERM "$BFS_PID" 2>/dev/null
		wait "$BFS_PID" 2>/dev/null
		[ "$TMP_MNT" -eq 0 ] || rmdir "$MNT" 2>/dev/null
	fi
}
trap cleanup EXIT

# ---- dependencies and build ---------------------------------------------------
if [ "$DEPS" -eq 1 ]; then
	missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		say "Installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q
		apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
fi
say "Building (meson, build/)"
[ -e build/build.ninja ] || meson setup build >/dev/null
meson compile -C build >/dev/null
BURROWFS=$PWD/build/fs/burrowfs

# ---- burrowfs ------------------------------------------------------------------
MNT=/var/lib/burrowfs
mkdir -p "$MNT"
if mountpoint -q "$MNT" || [ -n "$(ls -A "$MNT" 2>/dev/null || echo busy)" ]; then
	MNT=$(mktemp -d /tmp/burrowfs.XXXXXX)
	TMP_MNT=1
fi
say "Mounting burrowfs on $MNT"
if [ "$KEEP" -eq 1 ]; then
	setsid "$BURROWFS" -l -p /run/burrowfs.pid "$MNT" </dev/null >/var/log/burrowfs.log 2>&1 &
else
	"$BURROWFS" -l "$MNT" &
fi
BFS_PID=$!
for ((i = 0; i < 100; i++)); do
	[ -e "$MNT/proc/meminfo" ] && break
	kill -0 "$BFS_PID" 2>/dev/null || break
	sleep 0.1
done
[ -e "$MNT/proc/meminfo" ] || {
	echo "quickstart: burrowfs did not come up" >&2
	exit 1
}

# ---- a limited cgroup ------------------------------------------------------------
# Every cgroup hierarchy mounted (v1 controllers, or the v2 tree), from mountinfo.
while read -r fstype mp opts; do
	case $fstype in
	cgroup)
		case ",$opts," in
		*,memory,* | *,cpuset,* | *,cpu,* | *,cpuacct,* | *,pids,*) ;;
		*) continue ;;
		esac
		;;
	cgroup2)
		# On a v2 host, the cgroup needs its controllers from the root.
		for c in memory cpuset pids; do
			grep -qw "$c" "$mp/cgroup.controllers" && ! grep -qw "$c" "$mp/cgroup.subtree_control" &&
				echo "+$c" >"$mp/cgroup.subtree_control" 2>/dev/null || true
		done
		;;
	*) continue ;;
	esac
	d=$mp/$CG_NAME
	mkdir "$d"
	CG_DIRS+=("$d")
	[ ! -e "$d/cpuset.cpus" ] || [ "$fstype" != cgroup ] || {
		cat "$mp/cpuset.mems" >"$d/cpuset.mems"
	}
	[ ! -e "$d/cpuset.cpus" ] || echo 0 >"$d/cpuset.cpus"
	[ ! -e "$d/memory.limit_in_bytes" ] || echo "$MEM" >"$d/memory.limit_in_bytes"
	[ ! -e "$d/memory.max" ] || echo "$MEM" >"$d/memory.max"
	[ ! -e "$d/pids.max" ] || echo 512 >"$d/pids.max"
done < <(awk '$4 == "/" { for (i = 7; i <= NF; i++) if ($i == "-") { print $(i + 1), $5, $(i + 3); break } }' \
	/proc/self/mountinfo | awk '($1 == "cgroup" || $1 == "cgroup2") && !seen[$2]++')

show() {
	echo "\$ free -m"
	free -m
	echo "\$ nproc"
	nproc
	echo "\$ uptime"
	uptime
}
# The container's shell below is another bash: it gets show() from the environment.
export -f show

say "On the host"
show

say "In cgroup $CG_NAME (512 MiB, CPU 0), through burrowfs"
# shellcheck disable=SC2016
bash -c '
	for d in $1; do echo $$ >"$d/cgroup.procs"; done
	exec unshare --pid --fork --kill-child --mount-proc --propagation private bash -c "
		for f in cpuinfo meminfo stat uptime loadavg diskstats swaps; do
			mount --bind \"\$0/proc/\$f\" /proc/\$f
		done
		mount --bind \"\$0/sys/devices/system/cpu\" /sys/devices/system/cpu
		show" "$2"' qs "${CG_DIRS[*]}" "$MNT"

if [ "$KEEP" -eq 1 ]; then
	say "burrowfs keeps running on $MNT (pid $BFS_PID, log /var/log/burrowfs.log)."
	echo "Stop it with: umount $MNT"
fi
