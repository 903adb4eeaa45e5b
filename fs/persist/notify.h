/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * sd_notify() without libsystemd: one datagram to $NOTIFY_SOCKET (a path,
 * or an abstract socket written "@name"). 0 when the variable is unset.
 */
int notify_send(const char *state);
/* The same with file descriptors attached (FDSTORE=1). */
int notify_send_fds(const char *state, const int *fds, size_t nfds);
bool notify_enabled(void);
