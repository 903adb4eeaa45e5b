#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-launcher.sh [BUILD_DIR]: the launcher side by side with other runtimes,
# on the cached Debian 12 rootfs, in one run:
#   boot   start to `systemctl is-system-running` answering running (or
#          degraded), then stop, of a burrow container (root's, unprivileged,
#          with burrowfs) and of an unprivileged LXC 5 container with lxcfs
#          (Debian's common and userns configs, lxcfs's mount hook), the two
#          taking turns for BENCH_BOOTS (default 3) rounds; medians reported,
#          with each one's final state and failed-unit count;
#   run    `burrow run --rootfs DIR -- /bin/true` against bwrap --unshare-all,
#          runc run and lxc-execute, median and mean over BENCH_RUNS (default
#          20; BENCH_LXC_RUNS, default 5, for lxc-execute), with hyperfine
#          when installed.
# Then the ratios against the launcher's targets: boot no slower than LXC with
# no failed unit, stop faster than LXC, run within 2x bubblewrap. Needs root,
# lxc, lxcfs, bubblewrap and runc; about 3 minutes on an idle machine.
# shellcheck disable=SC2034 # CMD_* are read through declare -n
L_DIR=$(cd "$(dirname "$0")/../launcher" && pwd)
BUILD_DIR=${1:-${BUILD_DIR:-$(dirname "$0")/../../build}}
BURROW=${BURROW:-$BUILD_DIR/launcher/burrow}
BURROWFS=${BURROWFS:-$BUILD_DIR/fs/burrowfs}
# shellcheck source=../launcher/lib.sh
source "$L_DIR/lib.sh"
# shellcheck source=bench-lib.sh
source "$(dirname "$0")/bench-lib.sh"
BOOTS=${BENCH_BOOTS:-3}
RUNS=${BENCH_RUNS:-20}
LXC_RUNS=${BENCH_LXC_RUNS:-5}
LXC_CONF=/usr/share/lxc/config
LXCFS_HOOK=/usr/share/lxcfs/lxc.mount.hook

l_init
for tool in lxc-start lxc-execute lxcfs bwrap runc; do
	command -v "$tool" >/dev/null || skip "$tool is not installed (apt-get install lxc lxcfs bubblewrap runc)"
done
if [ ! -e "$LXC_CONF/debian.common.conf" ] || [ ! -x "$LXCFS_HOOK" ]; then
	skip "Debian's LXC configs or lxcfs hook missing"
fi
# A signal during the cleanup must not leave containers, mounts or lxcfs behind.
bench_on_exit() {
	local rc=$?
	trap '' TERM INT HUP
	(exit "$rc")
	t_on_exit
}
trap bench_on_exit EXIT
note "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
l_rootfs
bfs_start
l_subids root 100000
export BURROW_HOME=$T_TMP/home

now_us() {
	echo "${EPOCHREALTIME/./}"
}
ms_since() {
	echo $((($(now_us) - $1) / 1000))
}
median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Every cgroup LXC and runc make goes under the bench's base, in each hierarchy.
cg_remove_base() {
	local root
	while IFS= read -r root; do
		[ -d "$root/$CG_BASE" ] || continue
		find "$root/$CG_BASE" -depth -type d -exec rmdir {} + 2>/dev/null ||
			t_not_ok "could not remove $root/$CG_BASE"
	done < <(awk '{ split($0, a, " - "); split(a[2], b, " ") }
		b[1] == "cgroup" || b[1] == "cgroup2" { print $5 }' /proc/self/mountinfo | sort -u)
}
defer cg_remove_base

# ---- burrow ---------------------------------------------------------------------
CT=lb$$
defer "'$BURROW' destroy --force $CT >/dev/null 2>&1"
t0=$(now_us)
"$BURROW" create "$CT" --from-dir "$ROOTFS" -c burrowfs=yes -c burrowfs-path="$BFS_MNT" >/dev/null ||
	die "burrow create"
note "burrow create (copy and shift of the rootfs, not in the boot time): $(ms_since "$t0") ms"
CT_ROOTFS=$BURROW_HOME/$CT/rootfs
UBASE=$(stat -c %u "$CT_ROOTFS")
GBASE=$(stat -c %g "$CT_ROOTFS")

# burrow_boot: prints "MS STATE FAILED"; the container is left running.
burrow_boot() {
	local t0 state="" i
	t0=$(now_us)
	"$BURROW" start --wait "$CT" >/dev/null || return 1
	for ((i = 0; i < 100; i++)); do
		state=$(timeout 120 "$BURROW" attach "$CT" -- systemctl is-system-running --wait 2>/dev/null)
		case $state in running | degraded | maintenance) break ;; *) sleep 0.05 ;; esac
	done
	echo "$(ms_since "$t0") ${state:-none} $("$BURROW" attach "$CT" -- systemctl list-units --failed \
		--no-legend --plain | wc -l)"
}
burrow_stop() {
	local t0
	t0=$(now_us)
	"$BURROW" stop "$CT" >/dev/null || return 1
	ms_since "$t0"
}

# ---- LXC 5 with lxcfs ------------------------------------------------------------
# lxcfs on /var/lib/lxcfs, where Debian's hook looks; when one already serves
# there (not ours: left alone), ours gets a mountpoint of its own and the
# container a copy of the hook pointing at it.
HOOK_LINES=""
if t_mounted /var/lib/lxcfs; then
	LXCFS_MNT=$T_TMP/lxcfs
	sed "s|/var/lib/lxcfs|$LXCFS_MNT|g" "$LXCFS_HOOK" >"$T_TMP/lxcfs.mount.hook"
	chmod 755 "$T_TMP/lxcfs.mount.hook"
	HOOK_LINES="lxc.hook.mount =
lxc.hook.mount = $T_TMP/lxcfs.mount.hook"
	note "/var/lib/lxcfs is in use: lxcfs on $LXCFS_MNT with a copy of Debian's hook"
else
	LXCFS_MNT=/var/lib/lxcfs
fi
lxcfs_start "$LXCFS_MNT"

# The same bytes as burrow's container, already shifted to its range: LXC maps
# the same range (through newuidmap, from root's /etc/subuid line). The two
# never run at once.
LXCPATH=$T_TMP/lxc
LNAME=lb$$
LDIR=$LXCPATH/$LNAME
mkdir -p "$LDIR"
chmod 755 "$LXCPATH" "$LDIR"
cp -a "$CT_ROOTFS" "$LDIR/rootfs" || die "cannot copy the rootfs for LXC"
cat >"$LDIR/config" <<EOF
lxc.include = $LXC_CONF/debian.common.conf
lxc.include = $LXC_CONF/debian.userns.conf
lxc.arch = linux64
lxc.uts.name = $LNAME
lxc.rootfs.path = dir:$LDIR/rootfs
lxc.idmap = u 0 $UBASE 65536
lxc.idmap = g 0 $GBASE 65536
lxc.net.0.type = empty
lxc.apparmor.profile = unconfined
lxc.signal.halt = SIGRTMIN+3
lxc.console.logfile = $T_TMP/lxc-console.log
lxc.cgroup.dir.monitor = $CG_BASE/lxc-monitor
lxc.cgroup.dir.container = $CG_BASE/lxc-payload
$HOOK_LINES
EOF
LXC=(-P "$LXCPATH" -n "$LNAME")
ATTACH=(lxc-attach "${LXC[@]}" --clear-env -v PATH=/usr/sbin:/usr/bin:/sbin:/bin --)
defer "lxc-stop ${LXC[*]} -k >/dev/null 2>&1"

lxc_boot() {
	local t0 state="" i
	t0=$(now_us)
	lxc-start "${LXC[@]}" -d -l INFO -o "$T_TMP/lxc.log" || return 1
	for ((i = 0; i < 2400; i++)); do
		state=$("${ATTACH[@]}" systemctl is-system-running 2>/dev/null)
		case $state in running | degraded | maintenance) break ;; *) sleep 0.05 ;; esac
	done
	echo "$(ms_since "$t0") ${state:-none} $("${ATTACH[@]}" systemctl list-units --failed \
		--no-legend --plain | wc -l)"
}
lxc_stop() {
	local t0
	t0=$(now_us)
	lxc-stop "${LXC[@]}" -t 60 >/dev/null 2>&1 || return 1
	ms_since "$t0"
}

# ---- boots, taking turns ----------------------------------------------------------
declare -A BOOT STOP STATE FAILED
for ((r = 1; r <= BOOTS; r++)); do
	for rt in burrow lxc; do
		out=$("${rt}_boot") || {
			sed 's/^/# /' "$T_TMP/lxc.log" 2>/dev/null | tail -n 20
			die "$rt: boot $r failed"
		}
		read -r ms state failed <<<"$out"
		if [ "$failed" != 0 ]; then
			if [ "$rt" == lxc ]; then
				"${ATTACH[@]}" systemctl --failed --no-legend --plain
			else
				"$BURROW" attach "$CT" -- systemctl --failed --no-legend --plain
			fi | sed "s/^/# $rt failed unit: /"
		fi
		if [ "$r" -eq 1 ]; then
			if [ "$rt" == lxc ]; then
				mi=$("${ATTACH[@]}" cat /proc/self/mountinfo) fs=lxcfs
			else
				mi=$("$BURROW" attach "$CT" -- cat /proc/self/mountinfo) fs=burrowfs
			fi
			check_num "$rt: $fs mounts inside" "$(grep -c " fuse\.$fs " <<<"$mi")" ">" 0
		fi
		stop_ms=$("${rt}_stop") || die "$rt: stop $r failed"
		note "round $r $rt: boot $ms ms ($state, $failed failed), stop $stop_ms ms"
		BOOT[$rt]+="$ms "
		STOP[$rt]+="$stop_ms "
		STATE[$rt]=$state
		FAILED[$rt]=$failed
	done
done
check_eq "LXC container stopped" "$(lxc-info "${LXC[@]}" -sH 2>/dev/null)" STOPPED
for rt in burrow lxc; do
	BOOT[$rt]=$(tr ' ' '\n' <<<"${BOOT[$rt]}" | grep . | median)
	STOP[$rt]=$(tr ' ' '\n' <<<"${STOP[$rt]}" | grep . | median)
done

# ---- one command -------------------------------------------------------------------
# runc gets the cached rootfs through a read-only bind: same bytes, never written.
RO=$T_TMP/ro-rootfs
mkdir "$RO"
mount --bind "$ROOTFS" "$RO" || die "bind of the rootfs"
defer "umount '$RO'"
mount -o remount,bind,ro "$RO" || die "read-only remount of the rootfs"
BUNDLE=$T_TMP/runc
RUNC=(runc --root "$T_TMP/runc-state")
mkdir "$BUNDLE"
(cd "$BUNDLE" && runc spec) || die "runc spec"
"$PYTHON" - "$BUNDLE/config.json" "$RO" "/$CG_BASE/runc" <<'EOF' || die "runc bundle"
import json, sys
path, root, cg = sys.argv[1:]
c = json.load(open(path))
c["root"] = {"path": root, "readonly": True}
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
c["linux"]["cgroupsPath"] = cg
json.dump(c, open(path, "w"))
EOF
defer "${RUNC[*]} delete --force lb$$ >/dev/null 2>&1"

CMD_burrow=("$BURROW" run --rootfs "$ROOTFS" -c burrowfs=yes -c burrowfs-path="$BFS_MNT" -- /bin/true)
CMD_bwrap=(bwrap --unshare-all --ro-bind "$ROOTFS" / /bin/true)
CMD_runc=("${RUNC[@]}" run --bundle "$BUNDLE" "lb$$")
CMD_lxc=(lxc-execute "${LXC[@]}" -- /bin/true)

# measure RUNS CMD...: prints "MEDIAN_MS MEAN_MS".
measure() {
	local runs=$1 json=$T_TMP/hyperfine.json i t0
	shift
	if command -v hyperfine >/dev/null; then
		hyperfine -N --style none --warmup 1 --runs "$runs" --export-json "$json" \
			"$(printf '%q ' "$@")" >/dev/null 2>"$T_TMP/hyperfine.err" || {
			sed 's/^/# hyperfine: /' "$T_TMP/hyperfine.err" >&2
			return 1
		}
		"$PYTHON" -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.1f %.1f" % (r["median"] * 1000, r["mean"] * 1000))' "$json"
	else
		"$@" >/dev/null 2>&1 || return 1
		for ((i = 0; i < runs; i++)); do
			t0=$(now_us)
			"$@" >/dev/null 2>&1 || return 1
			echo $(($(now_us) - t0))
		done | sort -n | awk '{ v[NR] = $1; s += $1 } END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.1f %.1f\n", m / 1000, s / NR / 1000 }'
	fi
}
declare -A RUN_MED RUN_MEAN
for rt in burrow bwrap runc lxc; do
	declare -n cmd=CMD_$rt
	n=$RUNS
	[ "$rt" != lxc ] || n=$LXC_RUNS
	"${cmd[@]}" >"$T_TMP/$rt.out" 2>&1 || {
		sed 's/^/# /' "$T_TMP/$rt.out"
		die "$rt: ${cmd[*]} failed"
	}
	read -r med mean <<<"$(measure "$n" "${cmd[@]}")" || die "$rt: measurement failed"
	[ -n "$med" ] || die "$rt: no measurement"
	note "run $rt: median $med ms, mean $mean ms over $n runs"
	RUN_MED[$rt]=$med
	RUN_MEAN[$rt]=$mean
	unset -n cmd
done
check_eq "no runc container left" "$("${RUNC[@]}" list -q 2>/dev/null)" ""

# ---- table -------------------------------------------------------------------------
note "load average at end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
note ""
printf '# %-18s %9s %9s  %-16s %19s\n' runtime "boot ms" "stop ms" "state / failed" "run ms (med/mean)"
row() {
	printf '# %-18s %9s %9s  %-16s %9s / %-7s\n' "$@"
}
row burrow "${BOOT[burrow]}" "${STOP[burrow]}" "${STATE[burrow]} / ${FAILED[burrow]}" \
	"${RUN_MED[burrow]}" "${RUN_MEAN[burrow]}"
row "LXC 5 + lxcfs" "${BOOT[lxc]}" "${STOP[lxc]}" "${STATE[lxc]} / ${FAILED[lxc]}" \
	"${RUN_MED[lxc]}" "${RUN_MEAN[lxc]}"
row "bwrap" - - - "${RUN_MED[bwrap]}" "${RUN_MEAN[bwrap]}"
row "runc" - - - "${RUN_MED[runc]}" "${RUN_MEAN[runc]}"
note "(boot and stop: median of $BOOTS; run: LXC's is lxc-execute, $LXC_RUNS runs, the others $RUNS)"
ratio() {
	awk -v a="$2" -v b="$3" -v t="$4" 'BEGIN { printf "# %-26s %6.2f   (target %s)\n", "'"$1"'", a / b, t }'
}
ratio "burrow/LXC boot" "${BOOT[burrow]}" "${BOOT[lxc]}" "<= 1, 0 failed units"
ratio "burrow/LXC stop" "${STOP[burrow]}" "${STOP[lxc]}" "< 1"
ratio "burrow-run/bwrap" "${RUN_MED[burrow]}" "${RUN_MED[bwrap]}" "<= 2"
ratio "burrow-run/runc" "${RUN_MED[burrow]}" "${RUN_MED[runc]}" "-"
ratio "burrow-run/lxc-execute" "${RUN_MED[burrow]}" "${RUN_MED[lxc]}" "-"
t_ok "boot, stop and run measured"
