# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Throwaway unprivileged users for the launcher and runtime tests, on top of
# lib.sh (defer, die, skip): a fresh user, its subordinate ids, a pam_cgfs
# login held open as a user's shell is, and commands run as the user inside
# that login. Everything is undone at exit: the user's processes, its
# cgroups, its subordinate ids, the PAM configuration.

CGFS_CONTROLLERS=freezer,memory,name=systemd,cpuset,cpu,cpuacct,pids,blkio

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
