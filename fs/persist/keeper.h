/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The keeper: a small process, started by the first burrowfs on a
 * mountpoint and detached from it, that holds what must outlive any one
 * daemon: the /dev/fuse connection, a detached copy of the mount
 * (open_tree), and the journal. A daemon that starts on the same mountpoint
 * gets them from it over a unix socket (SCM_RIGHTS); the keeper asks a daemon
 * still serving to hand over first. It ends when the connection ends, on an
 * explicit stop (burrowfs --stop, an unmount), or when no daemon has
 * attached for --restart-timeout seconds after the last one went away: then
 * the connection ends with it and readers get ENOTCONN, never a wait forever.
 *
 * Between daemons the mount stays on the mountpoint, so that a container
 * started then binds it (its lookups wait in the kernel for the next
 * daemon); when the keeper ends with no daemon serving, it takes the mount
 * away with it. Only under systemd, ended by a signal (the unit stopping or
 * restarting, its ExecStop= having told them apart), does it leave the
 * mount to the fd store, which holds the connection too.
 *
 * It is the same binary, run as "burrowfs --keeper", and its protocol is
 * versioned: a keeper started by an older burrowfs serves a newer one.
 */

#define KEEPER_VERSION 1

enum kmsg_type {
	KMSG_ATTACH = 1, /* daemon → keeper: give me the connection */
	KMSG_FDS,	 /* keeper → daemon: fuse, journal[, tree] */
	KMSG_BUSY,	 /* keeper → daemon: the serving daemon did not hand over */
	KMSG_HANDOVER,	 /* keeper → daemon: finish in-flight requests and exit, mount left */
	KMSG_TREE,	 /* daemon → keeper: a fresh detached copy of the mount */
	KMSG_STOP,	 /* either way: end for good */
	KMSG_READY,	 /* keeper → daemon, once: it runs */
	/*
	 * The seccomp agent's fds (seccomp-agent.h), kept like the connection:
	 * a sysinfo call made while no daemon runs waits in the kernel, since
	 * the keeper still holds its listener, and the next daemon answers it.
	 * Both ways: the daemon hands each to the keeper as it gets it, and
	 * the keeper hands all back after KMSG_FDS (flag KMSG_HAS_AGENT), then
	 * KMSG_AGENT_END. An older keeper ignores them (and never sets the flag).
	 */
	KMSG_AGENT,	/* the agent's socket and its journal; replaces the kept ones */
	KMSG_LISTENER,	/* one listener; flags: its id */
	KMSG_UNLISTEN,	/* daemon → keeper: listener id (flags) is done for */
	KMSG_AGENT_END, /* keeper → daemon: that was all */
	/* LXC's seccomp proxy socket (seccomp-lxc.h), both ways; before KMSG_AGENT_END. */
	KMSG_LXC_SOCK,
	/*
	 * A per-container connection (pconn-keep.h): its device, its detached
	 * root mount and its record, flags its id. Both ways, like a listener:
	 * handed over as each is made, all given back before KMSG_AGENT_END.
	 */
	KMSG_PCONN,
	KMSG_UNPCONN, /* daemon → keeper: connection id (flags) has ended */
};

#define KMSG_HAS_TREE  1u
#define KMSG_HAS_AGENT 2u

struct kmsg {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	int32_t pid;
	uint32_t flags;
};

/* Paths of the keeper's socket and of the start lock for a canonical mountpoint. */
int keeper_paths(const char *mountpoint, char *sock, size_t sock_size, char *lock,
		 size_t lock_size);

int kmsg_send(int fd, enum kmsg_type type, uint32_t flags, const int *fds, size_t nfds);
/*
 * One message, waiting at most timeout_ms (-1: forever). Received fds go to
 * fds (up to *nfds, which becomes the count). -ECONNRESET when the peer is
 * gone, -ETIMEDOUT, -EPROTO for a message not ours (its size, magic or
 * version, or more fds than *nfds: all its fds closed).
 */
int kmsg_recv(int fd, struct kmsg *ret, int *fds, size_t *nfds, int timeout_ms);

/* Connects to the keeper of sock; -ECONNREFUSED or -ENOENT when there is none. */
int keeper_connect(const char *sock, int *ret_fd);

struct keeper_args {
	const char *mountpoint; /* canonical */
	const char *sock;
	unsigned restart_timeout;
	dev_t dev;    /* of the mount: the one the keeper may take away */
	bool fdstore; /* systemd's fd store holds the connection too */
	int fuse_fd, journal_fd, tree_fd;
};

/*
 * Starts a keeper for the connection, listening on a->sock. Returns the
 * daemon's end of its link. Safe to call from a threaded process.
 */
int keeper_spawn(const struct keeper_args *a, int *ret_link);

/*
 * Removes the sockets in sock's directory that no keeper listens on any
 * more (connect() refused: a keeper killed before it could remove its own).
 * Call with the start lock held, which every keeper takes to bind its socket.
 * Returns how many went.
 */
int keeper_sweep(const char *sock);

/* The keeper itself: "burrowfs --keeper MOUNTPOINT SOCKET TIMEOUT HAS_TREE [DEV FDSTORE]". */
int keeper_main(int argc, char **argv);
