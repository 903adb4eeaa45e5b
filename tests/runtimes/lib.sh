# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for the runtime tests (podman, systemd-nspawn, a Kubernetes
# DaemonSet run by podman), on top of the hook tests' lib.sh (TAP assertions,
# defer, a real burrowfs, cgroups of the test's own, the cached Debian rootfs).
#
# podman runs with every piece of its state in the test's directory
# (--root, --runroot, --tmpdir, --network-config-dir, --volumepath), cgroupfs
# below the test's own cgroup (--cgroup-parent), a file events backend (there
# is no systemd here) and no network (--network none: the host's network
# namespace is not ours to configure), with runc: podman takes crun first
# where both are installed, and crun refuses this hybrid layout. The image is imported from the cached
# Debian rootfs: nothing is pulled from a registry.

RT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../hooks/lib.sh
. "$RT_DIR/../hooks/lib.sh"

# The hooks.d entry meson configured (share/oci-hooks.d-burrow.json.in).
HOOKSD_JSON=${HOOKSD_JSON:-$RT_DIR/../../build/share/burrow.json}

# Debian 12's podman defaults a container's RLIMIT_NOFILE and RLIMIT_NPROC to
# 1048576 and 4194304; runc cannot raise a limit past the hard limit of the
# podman that starts it, and this host's are lower (nofile 20000), so every
# container fails ("error setting rlimit type 7"). Hosts with higher hard
# limits need neither flag; they change nothing burrowfs shows.
PM_ULIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

# pm_need: podman is installed, else the test fails (CI installs it).
pm_need() {
	PODMAN=$(command -v podman) || die "podman is not installed (apt-get install podman)"
	PM_RUNC=$(command -v runc) || die "runc is not installed (apt-get install runc)"
}

# rt_global_dirs DIR...: directories outside the test's own that a runtime
# makes whatever it is told (podman: the blob info cache of imports,
# netavark's run directory; nspawn: its propagation directory) are removed
# again at exit when the test made them, never when they were there before.
rt_global_dirs() {
	local d
	for d in "$@"; do
		[ -e "$d" ] || defer "rm -rf --one-file-system '$d'"
	done
}

# pm_init DIR: PM, the podman command line with all its state under DIR,
# hooks from DIR/hooks.d, cgroups below the test's own base. Every
# container, image and mount it makes goes at exit.
pm_init() {
	local dir=$1
	mkdir -p "$dir/hooks.d"
	PM_DIR=$dir
	PM=("$PODMAN" --root "$dir/root" --runroot "$dir/run" --tmpdir "$dir/tmp"
		--network-config-dir "$dir/net" --volumepath "$dir/vol"
		--cgroup-manager cgroupfs --events-backend file --storage-driver overlay
		--hooks-dir "$dir/hooks.d" --runtime "$PM_RUNC")
	rt_global_dirs /var/lib/containers /run/containers
	defer cg_remove_every_hierarchy
	defer "pm_cleanup '$dir'"
	# The runtime's cgroups go below the test's base, made now in every hierarchy.
	cg_new podman
	PM_CG=/$CG_BASE/podman
}

pm() {
	"${PM[@]}" "$@"
}

# pm_cleanup DIR: end the containers, remove them and the images, then
# whatever podman left mounted below DIR.
pm_cleanup() {
	local dir=$1 m
	timeout 60 "${PM[@]}" rm -a -f -t 0 >/dev/null 2>&1
	timeout 60 "${PM[@]}" rmi -a -f >/dev/null 2>&1
	while IFS= read -r m; do
		umount -l "$m" 2>/dev/null
	done < <(awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
}

# pm_hooksd BURROWFS_DIR [HOOK]: the configured hooks.d entry, with the hook
# path pointing at the built hook (or HOOK) and --burrowfs at the test's
# mount, in PM_DIR/hooks.d: everything else (stages, when) as installed.
pm_hooksd() {
	[ -r "$HOOKSD_JSON" ] || die "no configured hooks.d entry at $HOOKSD_JSON"
	"$PYTHON" - "$HOOKSD_JSON" "${2:-$HOOK_OCI}" "$1" "$PM_DIR/hooks.d/burrow.json" <<-'EOF' ||
		import json, sys
		src, hook, bfs, dst = sys.argv[1:]
		h = json.load(open(src))
		h["hook"]["path"] = hook
		h["hook"]["args"] = h["hook"].get("args", [])[:1] + ["--burrowfs", bfs]
		json.dump(h, open(dst, "w"), indent=1)
	EOF
		die "cannot write the hooks.d entry"
}

# The cached rootfs less what no test runs (docs, apt lists, systemd): an
# image of 80 MB rather than 250, imported in about 2 s rather than 14.
PM_EXCLUDES=(--exclude=./var/cache --exclude=./var/lib/apt --exclude=./usr/share
	--exclude=./usr/lib/x86_64-linux-gnu/gconv --exclude=./usr/lib/systemd
	--exclude=./lib/systemd --exclude=./usr/lib/x86_64-linux-gnu/systemd)

# pm_image NAME: import the cached Debian 12 rootfs (need_rootfs) as NAME.
pm_image() {
	tar --numeric-owner -C "$ROOTFS_SRC" "${PM_EXCLUDES[@]}" -c . |
		pm import - "$1" >"$T_TMP/import.log" 2>&1 ||
		die "podman import failed: $(tail -3 "$T_TMP/import.log")"
}

# pm_cg_file ID CONTROLLER FILE: FILE of the cgroup podman made for container
# ID in CONTROLLER's hierarchy (v1, or the v2 mount).
pm_cg_file() {
	local id=$1 ctrl=$2 file=$3 d
	d=$(cg_ctrl_dir "$ctrl" "podman") || return 1
	cat "$d/libpod-$id/$file"
}

# ---- what a container prints, and its checks --------------------------------

# What the tests run inside: the tools users run, and the files behind them.
RT_INSIDE='
echo "@@ free"; free -b
echo "@@ nproc"; nproc
echo "@@ cpuinfo"; grep -c "^processor" /proc/cpuinfo
echo "@@ online"; cat /sys/devices/system/cpu/online
echo "@@ uptime"; cat /proc/uptime
echo "@@ uptime1"; uptime
echo "@@ fstype"; stat -f -c %T /proc/meminfo
echo "@@ end"'

# free_total OUT: the total of free -b's Mem: line.
free_total() {
	section "$1" free | awk '$1 == "Mem:" { print $2 }'
}

# rt_uptime_of PID: seconds since PID started, from the kernel's own files.
rt_uptime_of() {
	awk -v hz="$(getconf CLK_TCK)" 'NR == 1 { up = $1 } NR == 2 {
		sub(/.*\) /, ""); split($0, f, " "); printf "%.2f", up - f[20] / hz }' \
		/proc/uptime "/proc/$1/stat"
}

# rt_check_limited LABEL OUT MEM_BYTES CPUS [INIT_PID]: what a container
# limited to MEM_BYTES and CPUS CPUs (from cpu 0) printed (RT_INSIDE), against
# the limits; /proc/uptime against its init's start (by the host's clock).
rt_check_limited() {
	local l=$1 out=$2 mem=$3 cpus=$4 pid=${5:-} up want
	check_eq "$l: free -b total is the memory limit" "$(free_total "$out")" "$mem"
	check_eq "$l: nproc" "$(section "$out" nproc)" "$cpus"
	check_eq "$l: /proc/cpuinfo processors" "$(section "$out" cpuinfo)" "$cpus"
	check_eq "$l: /sys/devices/system/cpu/online" "$(section "$out" online)" \
		"$([ "$cpus" -eq 1 ] && echo 0 || echo "0-$((cpus - 1))")"
	check_cmd "$l: /proc/meminfo is burrowfs's (FUSE)" \
		grep -q '^fuse' <<<"$(section "$out" fstype)"
	up=$(section "$out" uptime | awk '{ print $1 }')
	if [ -n "$pid" ]; then
		want=$(rt_uptime_of "$pid")
		check_num "$l: /proc/uptime ($up) is the container's init's age ($want) or less" \
			"${up:-x}" "<=" "$(awk -v w="$want" 'BEGIN { print w + 0.5 }')"
		check_num "$l: /proc/uptime ($up) is the container's init's age ($want) or more" \
			"${up:-x}" ">=" "$(awk -v w="$want" 'BEGIN { print w - 1.5 }')"
	else
		# The container started a moment ago; the host has run far longer.
		check_num "$l: /proc/uptime counts from the container's start" "${up:-x}" "<" 30
	fi
	check_cmd "$l: uptime(1) says up 0 min" \
		grep -q 'up 0 min' <<<"$(section "$out" uptime1)"
}

# rt_check_host LABEL OUT: a container that opted out sees the host's files.
rt_check_host() {
	local l=$1 out=$2 host_up up
	check_eq "$l: free -b total is the host's" "$(free_total "$out")" \
		"$(($(meminfo_kb "$(cat /proc/meminfo)" MemTotal) * 1024))"
	check_eq "$l: /proc/cpuinfo shows the host's processors" \
		"$(section "$out" cpuinfo)" "$(host_cpus)"
	check_cmd "$l: /proc/meminfo is the kernel's (proc)" \
		grep -qx proc <<<"$(section "$out" fstype)"
	host_up=$(awk '{ print int($1) }' /proc/uptime)
	up=$(section "$out" uptime | awk '{ print int($1) }')
	check_num "$l: /proc/uptime is the host's" "${up:-x}" ">=" $((host_up - 5))
}
