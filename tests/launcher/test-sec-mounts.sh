#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 10, finding 8: mount targets and the entries made for them are
# resolved inside the rootfs. A rootfs whose bind destination, /run, /proc,
# /dev or /sys is a symlink to a host path (absolute, or a "../" chain) makes
# `burrow run` either mount onto the in-rootfs resolution or fail clearly; no
# host path gets a new entry or a mount. The victims are a directory of the
# container's own ids (as another container's rootfs of the same range is)
# and a sticky world-writable one (as /tmp is): the places where the
# container's root could write. And bind= with ".." is refused, naming bind.

. "$(dirname "$0")/lib.sh"

l_init
l_rootfs
l_root_home
B=$BURROW
UP=../../../../../../../../../..

mkdir -p "$T_TMP/own" "$T_TMP/sticky" "$T_TMP/bindsrc"
chown 100000:100000 "$T_TMP/own"
chmod 1777 "$T_TMP/sticky"
echo data >"$T_TMP/bindsrc/file"
echo data >"$T_TMP/bindfile"

# The cached rootfs under an overlay, so each case changes its own copy: in r.
N=0
overlay() {
	N=$((N + 1))
	local d=$T_TMP/ov$N
	mkdir -p "$d/upper" "$d/work" "$d/root"
	mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$d/upper,workdir=$d/work" "$d/root" ||
		die "overlay mount"
	defer "umount '$d/root'"
	r=$d/root
}

# victims_intact DESC: both victims empty, and no mount on any of them.
victims_intact() {
	local v
	for v in own sticky; do
		check_eq "$1: $v victim stays empty" "$(ls -A "$T_TMP/$v")" ""
		find "$T_TMP/$v" -mindepth 1 -delete
	done
	check_eq "$1: no host mount on a victim" \
		"$(grep -c -e " $T_TMP/own" -e " $T_TMP/sticky" /proc/self/mountinfo)" 0
}

# run_case DESC ROOTFS BIND: runs a command that shows the guest's view.
run_case() {
	local out rc
	out=$("$B" run --rootfs "$2" ${3:+-c "bind=$3"} -- sh -c 'echo guest-ran' 2>&1)
	rc=$?
	note "$1: run exited $rc: ${out//$'\n'/ | }"
	if [ "$rc" -eq 0 ]; then
		check_eq "$1: the guest ran" "$out" guest-ran
	else
		if grep -q "container setup failed: cannot" <<<"$out"; then
			t_ok "$1: fails clearly"
		else
			t_not_ok "$1: unclear failure: $out"
		fi
	fi
	victims_intact "$1"
}

for v in own sticky; do
	for how in abs rel; do
		if [ $how = abs ]; then link=$T_TMP/$v; else link=$UP$T_TMP/$v; fi
		overlay
		ln -s "$link" "$r/data"
		run_case "bind dest below a link ($v, $how)" "$r" "$T_TMP/bindsrc:/data/x"
		overlay
		ln -s "$link" "$r/data"
		run_case "file bind dest below a link ($v, $how)" "$r" "$T_TMP/bindfile:/data/f"
		overlay
		ln -s "$link" "$r/data"
		run_case "bind dest is a link ($v, $how)" "$r" "$T_TMP/bindsrc:/data"
		for t in run proc dev; do
			overlay
			rm -rf "${r:?}/$t"
			ln -s "$link" "$r/$t"
			run_case "/$t is a link ($v, $how)" "$r"
		done
	done
done

# start takes the same path: a created container whose bind destination
# lies below a link to the sticky victim.
overlay
ln -s "$T_TMP/sticky" "$r/data"
if "$B" create st$$ --from-dir "$r" -c "bind=$T_TMP/bindsrc:/data/x" >/dev/null 2>&1; then
	out=$("$B" start --wait st$$ 2>&1)
	rc=$?
	note "start: exited $rc: ${out//$'\n'/ | }"
	if [ "$rc" -ne 0 ]; then
		log=$(cat "$BURROW_HOME/st$$/monitor.log" 2>/dev/null)
		if grep -q "cannot create the directory data/x" <<<"$out$log"; then
			t_ok "start: fails clearly"
		else
			t_not_ok "start: unclear failure: $out"
		fi
	fi
	"$B" stop st$$ >/dev/null 2>&1
	victims_intact "start, bind dest below a link"
	"$B" destroy --force st$$ >/dev/null 2>&1
else
	t_not_ok "create st$$ from the overlay"
fi

# A link that stays inside the rootfs is followed there, as the guest sees it:
# /run -> /srv/run gets the tmpfs at the rootfs's srv/run, not the host's.
overlay
rm -rf "${r:?}/run"
mkdir -p "$r/srv/run"
ln -s /srv/run "$r/run"
[ -e /srv/run ] && note "the host has /srv/run: it must stay as it is"
out=$("$B" run --rootfs "$r" -- sh -c 'stat -f -c %T /run/; stat -f -c %T /srv/run' 2>&1)
check_eq "/run -> /srv/run: the guest's /run is a tmpfs" "$out" $'tmpfs\ntmpfs'
check_eq "no host mount on /srv/run" "$(grep -c ' /srv/run ' /proc/self/mountinfo)" 0

# A link to the rootfs itself can't make a mount hide the whole tree.
overlay
rm -rf "${r:?}/run"
ln -s "$UP" "$r/run"
out=$("$B" run --rootfs "$r" -- true 2>&1)
check_num "/run -> ../..: run fails" "$?" "!=" 0
if grep -q "on run: Too many levels of symbolic links" <<<"$out"; then
	t_ok "/run -> ../..: says why"
else
	t_not_ok "/run -> ../..: unclear: $out"
fi

# bind= with "..": refused before anything starts, naming the setting.
for dest in /../etc /data/../../etc /data/.. /; do
	out=$("$B" run --rootfs "$ROOTFS" -c "bind=$T_TMP/bindsrc:$dest" -- true 2>&1)
	check_num "bind dest '$dest' refused" "$?" "!=" 0
	if grep -q "\[mounts\] bind: '$T_TMP/bindsrc:$dest'" <<<"$out"; then
		t_ok "bind dest '$dest': the message names bind and the value"
	else
		t_not_ok "bind dest '$dest': message '$out'"
	fi
done
out=$("$B" create b$$ --from-dir "$T_TMP/bindsrc" -c "bind=/tmp:/a/../../x" 2>&1)
check_num "create with bind dest '..' refused" "$?" "!=" 0
check_eq "create with bind dest '..' leaves nothing" "$(ls -A "$BURROW_HOME" 2>/dev/null)" ""

# run's search of the command in the guest's PATH happens inside the rootfs
# too: /usr/local/sbin and /usr/local/bin (searched first) linked to a host
# dir holding the command, by absolute path and by a "../" chain, must not
# pick it (the guest could not reach it, and the launcher would be probing
# host paths as root for the rootfs's author). The guest's own one runs.
overlay
mkdir -p "$T_TMP/hostcmd"
printf '#!/bin/sh\necho host-dir\n' >"$T_TMP/hostcmd/burrowprobe"
printf '#!/bin/sh\necho guest-own\n' >"$r/usr/bin/burrowprobe"
chmod 755 "$T_TMP/hostcmd/burrowprobe" "$r/usr/bin/burrowprobe"
rm -rf "$r/usr/local/sbin" "$r/usr/local/bin"
ln -s "$T_TMP/hostcmd" "$r/usr/local/sbin"
ln -s "$UP$T_TMP/hostcmd" "$r/usr/local/bin"
out=$("$B" run --rootfs "$r" -- burrowprobe 2>&1)
check_eq "run: PATH dirs linked to a host dir don't pick the command; the guest's own runs" \
	"$out" guest-own
rm "$r/usr/local/sbin"
out=$("$B" run --rootfs "$r" -- burrowprobe 2>&1)
check_eq "run: the same through a \"../\" chain" "$out" guest-own
