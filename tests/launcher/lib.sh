# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for the launcher tests, on top of the integration tests' lib.sh
# (assertions, defer, burrowfs): the cached Debian 12 rootfs, a throwaway
# unprivileged user with subordinate ids and a pam_cgfs login, and waits on
# containers. Every test cleans up what it made, containers, users, cgroups,
# mounts, on success and on failure.

L_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/lib.sh
. "$L_DIR/../lib/lib.sh"

BURROW=${BURROW:-$L_DIR/../../build/launcher/burrow}
CACHE=${BURROW_TEST_CACHE:-/var/cache/burrow-tests}
ROOTFS=$CACHE/bookworm
ROOTFS_TAR=$CACHE/bookworm.tar.gz
CGFS_CONTROLLERS=freezer,memory,name=systemd,cpuset,cpu,cpuacct,pids,blkio

l_init() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -x "$BURROW" ] || {
		echo "not ok - burrow not built at $BURROW"
		exit 1
	}
	for tool in newuidmap newgidmap debootstrap; do
		command -v "$tool" >/dev/null || skip "$tool is not installed (uidmap, debootstrap)"
	done
	t_init
	chmod 755 "$T_TMP"
	# root's containers go below burrow/ in each hierarchy: the parents this
	# test makes go again at its end, if they are empty (never others').
	local d
	for d in /sys/fs/cgroup/*/; do
		[ -L "${d%/}" ] || [ -e "$d/burrow" ] || defer "rmdir '${d}burrow' 2>/dev/null"
	done
}

# The debootstrapped Debian 12 rootfs, made once and kept between runs (1-2
# minutes the first time), and a world-readable tarball of it for users.
l_rootfs() {
	mkdir -p "$CACHE"
	(
		flock 9
		if [ ! -x "$ROOTFS/sbin/init" ] && [ ! -L "$ROOTFS/sbin/init" ]; then
			rm -rf --one-file-system "$ROOTFS.tmp"
			note "debootstrapping Debian 12 into $ROOTFS (once)"
			debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,procps \
				bookworm "$ROOTFS.tmp" "${BURROW_MIRROR:-http://deb.debian.org/debian}" \
				>"$CACHE/debootstrap.log" 2>&1 || exit 1
			mv "$ROOTFS.tmp" "$ROOTFS"
		fi
		if [ ! -s "$ROOTFS_TAR" ]; then
			tar --numeric-owner -czf "$ROOTFS_TAR.tmp" -C "$ROOTFS" . && mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
			chmod 644 "$ROOTFS_TAR"
		fi
	) 9>"$CACHE/bookworm.lock" || die "cannot prepare the cached rootfs (see $CACHE/debootstrap.log)"
}

# l_subids USER FIRST: give USER 65536 subordinate ids from FIRST, unless it has some.
l_subids() {
	local user=$1 first=$2 last=$(($2 + 65535))
	if ! grep -q "^$user:" /etc/subuid; then
		usermod --add-subuids "$first-$last" "$user" || die "usermod --add-subuids"
		# usermod refuses to edit root while it runs processes: remove the line itself.
		defer "sed -i '/^$user:$first:65536\$/d' /etc/subuid"
	fi
	if ! grep -q "^$user:" /etc/subgid; then
		usermod --add-subgids "$first-$last" "$user" || die "usermod --add-subgids"
		defer "sed -i '/^$user:$first:65536\$/d' /etc/subgid"
	fi
}

# l_root_home: root's containers, as the tests make them: subordinate ids
# for root (burrow maps root's containers too) and a BURROW_HOME of the test's own.
l_root_home() {
	l_subids root 100000
	export BURROW_HOME=$T_TMP/home
}

# pam_cgfs delegates /user/NAME/0 in each listed hierarchy at login; Debian's
# default list lacks cpuset, cpu, cpuacct, pids and blkio.
l_pam_cgfs() {
	local f
	[ -e /lib/x86_64-linux-gnu/security/pam_cgfs.so ] || [ -e /usr/lib/x86_64-linux-gnu/security/pam_cgfs.so ] ||
		skip "libpam-cgfs is not installed"
	for f in /etc/pam.d/common-session /etc/pam.d/common-session-noninteractive; do
		grep -q "pam_cgfs.so -c $CGFS_CONTROLLERS\$" "$f" && continue
		cp -p "$f" "$T_TMP/$(basename "$f").orig"
		defer "cp -p '$T_TMP/$(basename "$f").orig' '$f'"
		if grep -q pam_cgfs.so "$f"; then
			sed -i "s/pam_cgfs.so.*/pam_cgfs.so -c $CGFS_CONTROLLERS/" "$f"
		else
			printf 'session\toptional\tpam_cgfs.so -c %s\n' "$CGFS_CONTROLLERS" >>"$f"
		fi
	done
}

# l_user NAME: a fresh user with no subordinate ids yet; removed at exit with
# everything it still runs.
l_user() {
	local user=$1
	id "$user" >/dev/null 2>&1 && userdel -r -f "$user" >/dev/null 2>&1
	useradd -m -s /bin/bash -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$user" || die "useradd $user"
	defer "l_user_remove $user"
}

l_user_remove() {
	local user=$1 i
	for ((i = 0; i < 50; i++)); do
		pkill -KILL -u "$user" 2>/dev/null || break
		sleep 0.1
	done
	# The user's containers hold ids of its range: only the launcher may remove them.
	userdel -r -f "$1" >/dev/null 2>&1
	rm -rf --one-file-system "/home/$user"
	find /sys/fs/cgroup/*/user/"$user" -depth -type d -exec rmdir {} \; 2>/dev/null
	rmdir /sys/fs/cgroup/*/user 2>/dev/null
}

# l_login USER: one PAM login of USER (su -l, through pam_cgfs), held open
# until the test ends, as a user's shell is; `as` then runs each command in
# it. pam_cgfs prunes every empty cgroup below /user/USER when any of the
# user's sessions opens or closes, and that takes the cgroups a running
# guest's systemd has just made for a unit it is starting (the unit fails,
# 219/CGROUP). A user working in one shell meets that only at login and
# logout; a login per command, polled during a reboot, met it every time.
l_login() {
	local user=$1 i
	su -l "$user" -s /bin/bash -c 'exec sleep 100000' </dev/null &
	L_LOGIN_SU=$!
	L_LOGIN_USER=$user
	defer "kill $L_LOGIN_SU 2>/dev/null; wait $L_LOGIN_SU 2>/dev/null"
	for ((i = 0; i < 100; i++)); do
		L_LOGIN_PID=$(pgrep -P "$L_LOGIN_SU" -x sleep)
		[ -n "$L_LOGIN_PID" ] && grep -q "/user/$user/" "/proc/$L_LOGIN_PID/cgroup" && return 0
		sleep 0.05
	done
	die "the login of $user did not start (pam_cgfs)"
}

# l_in_login: move this (sub)shell, a process of the test's own, into the
# held login's cgroups, the ones pam_cgfs made for the user.
l_in_login() {
	local line ctrls path dir
	while IFS= read -r line; do
		ctrls=${line#*:}
		path=${ctrls#*:}
		ctrls=${ctrls%%:*}
		[[ $path == */user/"$L_LOGIN_USER"/* ]] || continue
		case $ctrls in
		"") dir=/sys/fs/cgroup/unified ;;
		name=*) dir=/sys/fs/cgroup/${ctrls#name=} ;;
		*) dir=/sys/fs/cgroup/$ctrls ;;
		esac
		echo "$BASHPID" >"$dir$path/cgroup.procs" || return 1
	done <"/proc/$L_LOGIN_PID/cgroup"
}

# as USER "CMDLINE": a shell command line as USER: in its held login (l_login)
# if there is one, else through a PAM login of its own (su -l).
as() {
	if [ "${L_LOGIN_USER:-}" = "$1" ]; then
		(
			l_in_login || die "cannot join the login of $1"
			exec setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups --reset-env \
				bash -c 'cd && eval "$1"' bash "$2"
		)
	else
		su -l "$1" -s /bin/bash -c "$2"
	fi
}

# as_argv USER ARGV...: the same for one command, each argument kept whole.
as_argv() {
	local user=$1
	shift
	as "$user" "$(printf '%q ' "$@")"
}

# l_wait_running AS_PREFIX NAME: systemctl is-system-running --wait inside.
l_is_running() {
	timeout 60 "$@" systemctl is-system-running --wait 2>/dev/null
}
