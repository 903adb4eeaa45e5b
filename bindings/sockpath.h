/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * Unix sockets at paths outlive the process that listened: the path stays
 * until someone removes it, and a client (LXC, runc, the next burrowfs)
 * takes a path that is there for a listener that runs. One probe decides,
 * for the daemon binding its sockets and for the keeper leaving them.
 */

enum sockpath_state {
	SOCKPATH_LIVE,	     /* a listener of that type accepts (or its backlog is full) */
	SOCKPATH_STALE,	     /* a socket nobody listens on */
	SOCKPATH_OTHER_TYPE, /* a socket whose listener is of another type */
};

/*
 * What listens at path for a client of type (SOCK_STREAM, SOCK_SEQPACKET).
 * Never waits on the listener. -ENOENT: nothing there; -ENOTSOCK: not a
 * socket; another -errno when it cannot tell.
 */
int sockpath_probe(const char *path, int type);

/* Removes path if it is a stale socket for type: 1 removed, 0 left, or -errno. */
int sockpath_unlink_stale(const char *path, int type);

/*
 * A listening socket of type (SOCK_NONBLOCK may be or'ed in) bound at path,
 * made mode and with backlog; the fd, close-on-exec, or -errno. A stale
 * socket at path, or one of another type, is replaced; a live one gives
 * -EADDRINUSE unless replace (its owner is on its way out), and anything
 * but a socket -EEXIST (never removed). A path that fails halfway is
 * removed again.
 */
int sockpath_listen(const char *path, int type, mode_t mode, int backlog, bool replace);
