/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/*
 * sd_notify() without libsystemd: one datagram to $NOTIFY_SOCKET (a path,
 * or an abstract socket written "@name"). 0 when the variable is unset.
 */
int notify_send(const char *state);
/* The same with file descriptors attached (FDSTORE=1). */
int notify_send_fds(const char *state, const int *fds, size_t nfds);
bool notify_enabled(void);
/*
 * Attach nfds descriptors (SCM_RIGHTS) to mh, in buf: CMSG_SPACE(sizeof(int) *
 * nfds) bytes aligned for a struct cmsghdr. Nothing when nfds is 0.
 */
void msg_attach_fds(struct msghdr *mh, void *buf, const int *fds, size_t nfds);
