/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct daemon;

/*
 * LXC's seccomp proxy (lxc.seccomp.notify.proxy = unix:PATH): LXC keeps the
 * listener itself and, for each notification, sends the proxy one
 * SOCK_SEQPACKET message on a connection it holds for the container's
 * life: a header, the kernel's struct seccomp_notif and a blank struct
 * seccomp_notif_resp (the sizes the header names), then the optional
 * cookie, with three fds by SCM_RIGHTS: the caller's /proc/PID directory,
 * its /proc/PID/mem opened read-write, and the listener. The proxy sends
 * the header, the notification and the filled response back on the same
 * connection (no cookie); LXC hands the response to the kernel.
 *
 * It is a socket of its own (--seccomp-lxc-socket): LXC connects with
 * SOCK_SEQPACKET, which a stream socket such as the OCI agent's refuses.
 */

#define LXCP_WORKERS	   2
#define LXCP_CONNS_MAX	   512
/* LXC holds one connection per running container, so this is per user's containers. */
#define LXCP_CONNS_PER_UID 128
#define LXCP_COOKIE_MAX	   4096

/* The header, as LXC lays it out (src/lxc/lxcseccomp.h, struct seccomp_notify_proxy_msg). */
struct lxcp_msg {
	uint64_t reserved;
	int32_t monitor_pid;
	int32_t init_pid;
	uint16_t notif_size, resp_size, data_size; /* struct seccomp_notif_sizes */
	uint16_t pad;
	uint64_t cookie_len;
};

struct lxcp_conn;

struct lxcp {
	char path[108];
	bool running;
	bool kept; /* the socket came from the keeper */
	int sock_fd, epoll_fd, stop_fd;
	uint16_t notif_size, resp_size; /* the kernel's */
	pthread_t workers[LXCP_WORKERS];
	unsigned n_workers;
	pthread_mutex_t lock; /* the connections */
	struct lxcp_conn *conns;
	unsigned n_conns;
	uint64_t answered, refused; /* for the log at exit */
};

/*
 * Listens on path (0666, SOCK_SEQPACKET) and starts the workers. A live
 * socket there: -EADDRINUSE, unless this daemon took over from that one.
 */
int lxcp_start(struct daemon *d, const char *path);
void lxcp_stop(struct daemon *d);
/*
 * Hands the listening socket to the keeper (lxcp_start() does for a new
 * one; a new keeper needs it too): while no daemon runs, LXC's reconnects
 * wait in its backlog for the next one.
 */
void lxcp_keep(struct daemon *d);
