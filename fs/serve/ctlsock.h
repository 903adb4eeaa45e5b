/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

struct daemon;

/*
 * The control socket (control.c): /run/burrowfs/control.sock by default,
 * SOCK_SEQPACKET, mode 0666, one request per connection, the messages of
 * bindings/control.h. Any local user may connect: every ATTACH is checked
 * against who sent it (SO_PEERPIDFD) and the container it names.
 *
 * One thread serves it with non-blocking sockets, so a client that
 * connects and sends nothing holds one slot until CTL_CONN_TIMEOUT_MS,
 * never the socket.
 */
#define CTL_CONNS_MAX	    64
#define CTL_CONNS_PER_UID   8
#define CTL_CONN_TIMEOUT_MS 2000

struct ctl_conn;

struct ctlsock {
	char path[108];
	int sock_fd; /* -1: no control socket */
	int epoll_fd;
	int stop_fd;
	dev_t dev; /* the path's inode as we bound it: removed at the end only if still ours */
	ino_t ino;
	bool running;
	bool thread_started;
	pthread_t thread;
	struct ctl_conn *conns;
	unsigned n_conns;
};

/* Listens on path (its directory made 0755) and starts the thread. */
int ctlsock_start(struct daemon *d, const char *path);
/* Joins the thread and removes the socket's path. */
void ctlsock_stop(struct daemon *d);
