#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 10, findings 1, 4 and 9, through `burrow run`: a guest never gets the
# caller's terminal (TIOCSTI typed into the caller's shell, bubblewrap's
# CVE-2017-5226), nor any fd of the caller's but 0-2 (an inherited directory
# fd escapes the rootfs, runc's CVE-2024-21626), and the default seccomp
# policy denies TIOCSTI, TIOCLINUX (whatever the request's upper 32 bits)
# and io_uring.

. "$(dirname "$0")/lib.sh"
. "$L_DIR/sec-lib.sh"

sec_init
B=$BURROW
BIND=bind=$SEC_BIN:/mnt:ro
: >"$T_TMP/empty.policy"

# ---- finding 1: the terminal -------------------------------------------------

# With the default policy (seccomp denies TIOCSTI), then with an empty one:
# the pty alone must keep the caller's shell clean.
for policy in default empty; do
	marker=$T_TMP/pwned-$policy
	set -- -c "$BIND"
	[ "$policy" = default ] || set -- "$@" -c seccomp="$T_TMP/empty.policy"
	sec_tty -- "$B" run --rootfs "$ROOTFS" "$@" -- /mnt/sec-guest sti "touch $marker" \
		>"$T_TMP/sti-$policy.out"
	check_eq "run ($policy policy): the guest's TIOCSTI typed nothing into the caller's shell" \
		"$(if [ -e "$marker" ]; then echo "injected: $(tr '\n' '|' <"$T_TMP/sti-$policy.out")"; else echo clean; fi)" clean
	check_eq "run ($policy policy): the command ran" "$(grep -c '^sti-' "$T_TMP/sti-$policy.out")" 4
done
for fd in fd0 fd1 fd2 devtty; do
	check_eq "run: TIOCSTI on $fd denied by the default policy" \
		"$(sec_has "$T_TMP/sti-default.out" "sti-$fd EPERM")" yes
done

# The command's terminal: a pty of the guest's own devpts, its controlling
# tty, with the caller's window size, resized with it; the exit code kept.
# shellcheck disable=SC2016
inner='echo "tty=$(tty)"; echo "devs=$(stat -c %d "$(tty)" /dev/pts/ptmx 2>&1 | tr "\n" " ")"
echo "sid=$(cut -d" " -f6 /proc/$$/stat)"; echo "size=$(stty size)"; echo @@size1
sleep 1; echo "size2=$(stty size)"; exit 3'
sec_tty --resize-after @@size1 -- "$B" run --rootfs "$ROOTFS" -- sh -c "$inner" >"$T_TMP/tty.out"
val() { sed -n "s/^$1=//p" "$2"; }
check_eq "run on a terminal: the command's tty is a pty" \
	"$(val tty "$T_TMP/tty.out" | grep -cx '/dev/pts/[0-9]*')" 1
devs=$(val devs "$T_TMP/tty.out")
check_eq "run on a terminal: that pty is of the guest's devpts (its device, /dev/pts/ptmx's)" \
	"$(awk 'NF == 2 && $1 == $2 && $1 ~ /^[0-9]+$/ { print "same" }' <<<"$devs")" same
check_eq "run on a terminal: the command leads its own session (pid 1)" \
	"$(val sid "$T_TMP/tty.out")" 1
check_eq "run on a terminal: the window size" "$(val size "$T_TMP/tty.out")" "33 101"
check_eq "run on a terminal: the window size after SIGWINCH" "$(val size2 "$T_TMP/tty.out")" "40 120"
check_eq "run on a terminal: the exit code" "$(sec_has "$T_TMP/tty.out" "@@exited 3")" yes

# The relay ends with the command, but only once all it wrote is out.
sec_tty -- "$B" run --rootfs "$ROOTFS" -- seq 1 200000 >"$T_TMP/seq.out"
check_eq "run on a terminal: the last of 200000 lines arrives" "$(grep -c -x 200000 "$T_TMP/seq.out")" 1

# stdin not a terminal, stdout one: the guest still never holds the caller's.
# shellcheck disable=SC2016
inner='echo "devs=$(stat -L -c %d /proc/$$/fd/1 /proc/$$/fd/2 /dev/pts/ptmx | uniq | wc -l)"
echo "tty=$(tty)"'
sec_tty -- sh -c '"$@" </dev/null' sh "$B" run --rootfs "$ROOTFS" -- sh -c "$inner" >"$T_TMP/mixed.out"
check_eq "run with only stdout on a terminal: stdout and stderr are the guest's pty" \
	"$(val devs "$T_TMP/mixed.out")" 1
check_eq "run with only stdout on a terminal: stdin stays what it was" \
	"$(val tty "$T_TMP/mixed.out")" "not a tty"

# No terminal at all: no pty, but a session of its own.
# shellcheck disable=SC2016
"$B" run --rootfs "$ROOTFS" -- sh -c 'echo "tty=$(tty)"; echo "sid=$(cut -d" " -f6 /proc/$$/stat)"' \
	</dev/null >"$T_TMP/notty.out" 2>&1
check_eq "run without a terminal: none for the command" "$(val tty "$T_TMP/notty.out")" "not a tty"
check_eq "run without a terminal: the command leads its own session" \
	"$(val sid "$T_TMP/notty.out")" 1

# ---- finding 4: inherited fds ---------------------------------------------------

# World-writable like /tmp, so that a leaked fd would let guest root write there.
mkdir -m 1777 "$T_TMP/hostdir"
echo host-secret >"$T_TMP/hostdir/secret"
: >"$T_TMP/hostfile"
# shellcheck disable=SC2016
inner='ls /proc/self/fd | tr "\n" " "; echo; cat /proc/self/fd/7/secret 2>&1
echo x 2>/dev/null >/proc/self/fd/7/written; echo y 2>/dev/null >&8; exit 0'
"$B" run --rootfs "$ROOTFS" -- sh -c "$inner" 7<"$T_TMP/hostdir" 8>"$T_TMP/hostfile" </dev/null \
	>"$T_TMP/fds.out" 2>&1
mapfile -t o <"$T_TMP/fds.out"
check_eq "run: the guest's fds (ls's own: 3)" "${o[0]}" "0 1 2 3 "
check_eq "run: the host's directory unread through fd 7" "$(grep -c host-secret "$T_TMP/fds.out")" 0
check_eq "run: nothing written into the host's directory" "$(ls "$T_TMP/hostdir")" secret
check_eq "run: nothing written into the host's file through fd 8" "$(stat -c %s "$T_TMP/hostfile")" 0

# ---- finding 9: seccomp -----------------------------------------------------------

"$B" run --rootfs "$ROOTFS" -c "$BIND" -- /mnt/sec-guest seccomp </dev/null >"$T_TMP/sc.out" 2>&1
check_eq "seccomp: TCGETS still works" "$(sec_has "$T_TMP/sc.out" "tcgets ok")" yes
check_eq "seccomp: TIOCSTI on the guest's own ctty denied" "$(sec_has "$T_TMP/sc.out" "tiocsti EPERM")" yes
check_eq "seccomp: TIOCSTI with the request's upper 32 bits set denied" \
	"$(sec_has "$T_TMP/sc.out" "tiocsti-high EPERM")" yes
check_eq "seccomp: TIOCLINUX denied" "$(sec_has "$T_TMP/sc.out" "tioclinux EPERM")" yes
check_eq "seccomp: io_uring_setup denied" "$(sec_has "$T_TMP/sc.out" "io_uring_setup EPERM")" yes

# The policy syntax: a condition on an argument, with its own errno ...
printf 'ioctl errno:EACCES arg1&0xffffffff==0x5401  # TCGETS\n' >"$T_TMP/custom.policy"
"$B" run --rootfs "$ROOTFS" -c "$BIND" -c seccomp="$T_TMP/custom.policy" -- /mnt/sec-guest seccomp \
	</dev/null >"$T_TMP/custom.out" 2>&1
check_eq "seccomp policy: argN&MASK==VALUE with errno:EACCES" "$(sec_has "$T_TMP/custom.out" "tcgets EACCES")" yes
check_eq "seccomp policy: other requests pass" "$(sec_has "$T_TMP/custom.out" "tiocsti ok")" yes
# ... and conditions it refuses, before anything runs.
for bad in 'ioctl errno arg6==1' 'ioctl errno arg1==1 arg1==2' 'ioctl errno arg1&0xzz==1' \
	'ioctl errno arg1=1' 'ioctl errno arg1==-1' 'ioctl arg1==1 errno'; do
	printf '%s\n' "$bad" >"$T_TMP/bad.policy"
	"$B" run --rootfs "$ROOTFS" -c seccomp="$T_TMP/bad.policy" -- /bin/true </dev/null >"$T_TMP/bad.out" 2>&1
	rc=$?
	check_eq "seccomp policy '$bad' refused" "$rc:$(grep -c 'argN==VALUE' "$T_TMP/bad.out")" 1:1
done
