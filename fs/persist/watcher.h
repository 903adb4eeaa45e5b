/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>

struct daemon;

/*
 * A thread that watches what can end the daemon besides a signal: the
 * mountpoint being unmounted (the end, for good), and the keeper asking for
 * a handover or a stop. A keeper that dies is replaced.
 */
struct watcher {
	pthread_t thread;
	int kick_fd; /* a stop was asked for, or the watcher must quit */
	bool quit;   /* atomic */
	bool running;
};

int watcher_start(struct daemon *d);
void watcher_stop(struct daemon *d);

/*
 * SIGTERM, SIGINT and SIGHUP stop the daemon with STOP_DETACH; see
 * enum stop_mode. The handlers reach the daemon through the one global a
 * signal handler needs.
 */
int signals_install(struct daemon *d);
void signals_remove(void);

/* Ends the FUSE loop for the given reason (enum stop_mode), unless one came first. */
void daemon_request_stop(struct daemon *d, int mode);
