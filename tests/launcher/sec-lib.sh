# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for the launcher's security tests (test-sec-*.sh), on top of lib.sh:
# a hostile guest program and a terminal with a shell on it.

# sec_init: what each of these tests starts with, as root: the cached rootfs,
# root's subordinate ids and home, the hostile guest program, and a note on TIOCSTI.
sec_init() {
	l_init
	l_rootfs
	l_root_home
	sec_build
	sec_note_tiocsti
}

# sec_build: sec-guest.c, static (the Debian rootfs has no python, and no
# libc of ours is sure to match it), in $SEC_BIN, readable by any guest.
sec_build() {
	command -v cc >/dev/null || skip "no C compiler"
	SEC_BIN=$T_TMP/bin
	mkdir -p "$SEC_BIN"
	chmod 755 "$SEC_BIN"
	cc -static -O2 -o "$SEC_BIN/sec-guest" "$L_DIR/sec-guest.c" >"$T_TMP/cc.log" 2>&1 ||
		skip "cannot link a static C program (libc6-dev): $(head -3 "$T_TMP/cc.log")"
	[ -n "$PYTHON" ] || skip "no python3 for the terminal harness"
}

# sec_tty [--resize-after TEXT] -- CMD...: CMD on a fresh terminal, then an
# interactive sh on it that runs whatever CMD left in its input queue.
sec_tty() {
	timeout 180 "$PYTHON" "$L_DIR/sec-tty.py" "$@" 2>&1
}

# sec_note_tiocsti: whether this kernel lets TIOCSTI inject at all.
sec_note_tiocsti() {
	local v
	v=$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null || echo "absent (always on)")
	note "dev.tty.legacy_tiocsti = $v"
}

# sec_has FILE LINE: FILE has the exact line LINE.
sec_has() {
	if grep -qxF -- "$2" "$1"; then echo yes; else echo "no: $(tr '\n' '|' <"$1")"; fi
}
