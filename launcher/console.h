/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Ctrl-a q detaches from a console, as in lxc-console. */
#define CONSOLE_ESCAPE	    0x01
#define CONSOLE_ESCAPE_QUIT 'q'

/*
 * Shuttles bytes between the terminal (in_fd, out_fd) and a pty master
 * until the escape sequence (when escape), the terminal closes, or
 * watch_fd (the monitor's control connection) hangs up. The terminal is in
 * raw mode meanwhile. Returns 1 on detach, 0 when the container ended,
 * negative errno on error.
 */
int console_proxy(int master, int in_fd, int out_fd, bool escape, int watch_fd);

/* Copies the terminal's window size to the pty master. */
void console_sync_size(int tty, int master);

/*
 * The same for a command of run or attach on a pty of its own: no escape;
 * in_fd or out_fd -1 when that end is not the terminal; ends once the
 * process of pidfd has exited, after copying what the pty still holds.
 */
int console_relay(int master, int in_fd, int out_fd, int pidfd);
