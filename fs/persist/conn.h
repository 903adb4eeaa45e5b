/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fuse-ll.h"
#include "journal.h"

struct log;

/* Seconds a keeper waits for the next daemon before it ends the connection. */
#define DEFAULT_RESTART_TIMEOUT 30

/*
 * How a daemon ends.
 *   DETACH   (SIGTERM, SIGINT, SIGHUP) the mount and the connection stay
 *            with the keeper and systemd's fd store: containers' bind
 *            mounts, and containers that bind it meanwhile, wait for the
 *            next burrowfs. With neither holder, the mount goes.
 *   HANDOVER a newer burrowfs asked for the connection: the mount stays.
 *   FULL     burrowfs --stop, or the mountpoint was unmounted: the
 *            connection ends with the keeper; containers get ENOTCONN.
 */
enum stop_mode {
	STOP_NONE,
	STOP_DETACH,
	STOP_HANDOVER,
	STOP_FULL,
};

/* The seccomp agent's fds a keeper gave back: the agent takes them over. */
struct agent_kept {
	int sock_fd, journal_fd; /* -1: none */
	int lxc_sock_fd;	 /* LXC's seccomp proxy socket, -1: none */
	struct agent_kept_listener {
		int fd;
		uint32_t id;
	} * listeners;
	size_t n;
};

/* Closes what the agent did not take. */
void agent_kept_drop(struct agent_kept *k);

/*
 * Per-container connections a keeper or the fd store gave back: device,
 * detached root mount, record (pconn-keep.h), by id. pconns_adopt() takes
 * them over; what it leaves, conn_close() closes.
 */
#define PCONN_KEPT_FDS 3
struct pconn_kept {
	int fds[PCONN_KEPT_FDS];
	uint32_t id;
};

struct pconns_kept {
	struct pconn_kept *v;
	size_t n;
};

/* Adds one (fds then owned by k); closes them on failure. */
void pconns_kept_add(struct pconns_kept *k, uint32_t id, const int *fds);
void pconns_kept_drop(struct pconns_kept *k);

/* The connection to the kernel and everything that keeps it across restarts. */
struct conn {
	char *mountpoint; /* canonical */
	unsigned restart_timeout;
	int fuse_fd;   /* the session closes it */
	int tree_fd;   /* a detached copy of the mount, -1 when none */
	dev_t dev;     /* the superblock: which mount at the mountpoint is ours */
	int link_fd;   /* to the keeper, -1 when none */
	bool attached; /* took over a live connection rather than mounting */
	bool fdstore;  /* under systemd: the fd store holds the connection too */
	bool from_keeper;
	char sock[108];
	char lock[PATH_MAX];
	struct journal journal;
	struct agent_kept agent;
	struct pconns_kept pconns;
};

/*
 * Gets the connection for mountpoint: from a keeper (asking a running
 * daemon to hand over), from systemd's fd store (LISTEN_FDS), or by
 * mounting anew. Puts the mount back on the mountpoint when it is not
 * there (the keeper timed out under systemd), and makes sure a keeper and
 * the fd store hold it. Removes the sockets of keepers that are gone.
 */
int conn_open(struct conn *c, struct log *log, struct fuse_session *se, const char *mountpoint,
	      unsigned restart_timeout);
/* Ends this daemon's part; see enum stop_mode. */
void conn_close(struct conn *c, struct log *log, enum stop_mode mode);

/* Whether the mountpoint still shows our mount (false after an unmount). */
bool conn_mounted(const struct conn *c);
/* A new keeper after the last one died (killed by hand): the connection must keep a holder. */
int conn_respawn_keeper(struct conn *c);

/* burrowfs --stop MOUNTPOINT. */
int conn_stop(const char *mountpoint, struct log *log);
