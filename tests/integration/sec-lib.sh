# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for the security tests of burrowfs acting for a caller (sourced
# after lib.sh): a throwaway ordinary user, v1 cgroups the test made and
# gave to that user as pam_cgfs gives a user its cgroups at login, and one
# write reported by the errno of the syscall that failed.

# A write as one syscall each for open and write: prints "ok", or
# "open:ERRNO" / "write:ERRNO" (EACCES, EPERM, ...).
SEC_WRITE_PY='
import errno, os, sys
try:
    fd = os.open(sys.argv[2], os.O_WRONLY)
except OSError as e:
    print("open:" + errno.errorcode[e.errno]); sys.exit(0)
try:
    os.write(fd, sys.argv[1].encode())
    print("ok")
except OSError as e:
    print("write:" + errno.errorcode[e.errno])
'

# try_write DATA FILE: DATA written to FILE, the outcome as above.
try_write() {
	"$PYTHON" -c "$SEC_WRITE_PY" "$@"
}

# sec_user: a new ordinary user with a group of its own, removed at exit.
# Sets SEC_USER, SEC_UID, SEC_GID.
sec_user() {
	command -v useradd >/dev/null && command -v setpriv >/dev/null ||
		skip "needs useradd and setpriv"
	SEC_USER=bsec$$
	useradd -M -U -s /usr/sbin/nologin "$SEC_USER" || die "useradd $SEC_USER"
	defer "userdel '$SEC_USER' 2>/dev/null; groupdel '$SEC_USER' 2>/dev/null"
	SEC_UID=$(id -u "$SEC_USER")
	SEC_GID=$(id -g "$SEC_USER")
	# The user must reach the mounts in the test's (0700) directory, not list it.
	chmod 0711 "$T_TMP"
}

# as_user CMD...: CMD as SEC_USER, with no capabilities.
as_user() {
	setpriv --reuid="$SEC_UID" --regid="$SEC_GID" --init-groups -- "$@"
}

# capless_root CMD...: CMD as uid 0 with an empty effective (and every) capability set.
capless_root() {
	setpriv --reuid=0 --regid=0 --clear-groups --inh-caps=-all --bounding-set=-all -- "$@"
}

# sec_v1_mount CTRL: where the v1 hierarchy of CTRL is mounted (its root), if any.
sec_v1_mount() {
	awk -v c="$1" '{
		split($0, a, " - "); n = split(a[2], b, " ")
		if (b[1] == "cgroup" && $4 == "/" && ("," b[n] ",") ~ ("," c ",")) { print $5; exit }
	}' /proc/self/mountinfo
}

# sec_user_cgroup MOUNT: MOUNT/CG_BASE/u, owned (with its tasks and
# cgroup.procs) by SEC_USER as pam_cgfs makes them; removed at exit.
sec_user_cgroup() {
	local dir=$1/$CG_BASE/u
	if [ ! -d "$1/$CG_BASE" ]; then
		mkdir "$1/$CG_BASE" || die "mkdir $1/$CG_BASE"
		defer "rmdir '$1/$CG_BASE'"
	fi
	mkdir "$dir" || die "mkdir $dir"
	defer "cg_rmdir_patient '$dir'"
	chown "$SEC_UID:$SEC_GID" "$dir" "$dir/tasks" "$dir/cgroup.procs" || die "chown $dir"
}

# cg_line PID CTRL: PID's cgroup in CTRL's v1 hierarchy, by its /proc/PID/cgroup.
cg_line() {
	awk -F: -v c="$2" '("," $2 ",") ~ ("," c ",") { print $3 }' "/proc/$1/cgroup"
}

# threads_clean PID: every thread of PID has the same ids, groups and
# capabilities as its main thread: no worker was left acting for a caller.
threads_clean() {
	local pid=$1 t want got bad=""
	want=$(grep -E '^(Uid|Gid|Groups|CapEff|CapPrm):' "/proc/$pid/status")
	for t in /proc/"$pid"/task/*; do
		got=$(grep -E '^(Uid|Gid|Groups|CapEff|CapPrm):' "$t/status" 2>/dev/null) || continue
		[ "$got" == "$want" ] || bad+=" ${t##*/}: $(tr '\n\t' '  ' <<<"$got")"
	done
	if [ -z "$bad" ]; then
		t_ok "every thread of burrowfs has its own credentials ($(ls /proc/"$pid"/task | wc -l) threads)"
	else
		t_not_ok "threads of burrowfs left with other credentials:$bad (main: $(tr '\n\t' '  ' <<<"$want"))"
	fi
}

# unit_bounding_set: the unit's CapabilityBoundingSet= as setpriv's --bounding-set.
unit_bounding_set() {
	local caps c out="-all"
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$T_DIR/../../share/burrowfs.service.in")
	[ -n "$caps" ] || return 1
	for c in $caps; do
		c=${c#CAP_}
		out+=",+${c,,}"
	done
	echo "$out"
}
