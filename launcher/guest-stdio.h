/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/*
 * What a command in a guest (run, attach) gets of the caller's fds and
 * terminal. A guest must never hold the caller's terminal: as its
 * controlling tty, TIOCSTI types into the caller's shell (bubblewrap's
 * CVE-2017-5226), and even as a plain fd it can change the terminal's modes
 * and line discipline. So each of fds 0-2 that is a terminal is replaced by
 * a pty of the guest's own devpts, which the launcher relays; the command
 * always starts in a session of its own. No other fd crosses into a guest
 * (runc's CVE-2024-21626: an inherited directory fd escapes the rootfs).
 */

/* Bit N set: the caller's fd N (0, 1, 2) is a terminal. */
unsigned guest_tty_mask(void);

/*
 * Opens a pty in the devpts at /dev/pts of the caller's mount namespace (the
 * guest's) and returns its master (close-on-exec), or -errno. The window
 * size is copied from the first terminal of mask. No allocation: safe
 * between clone() and exec.
 */
int guest_pty_open(unsigned mask);

/*
 * In the command's process, before exec: a new session; when mask is not 0,
 * the slave of master (from guest_pty_open()) as its controlling tty and
 * over each fd of mask. Async-signal-safe.
 */
int guest_stdio_take(unsigned mask, int master);

/*
 * The caller's side of guest_pty_open(): relays the terminal of mask to
 * master until the process of pidfd has exited (then drains what it left)
 * or the terminal goes away. Raw mode and window size as in console_proxy().
 */
int guest_pty_relay(int master, unsigned mask, int pidfd);

/* pidfd_open(), or -errno. */
int guest_pidfd(int pid);
