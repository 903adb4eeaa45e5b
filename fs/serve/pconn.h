/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "fuse-ll.h"
#include "vfile.h"

struct ctr;
struct daemon;
struct strbuf;

/*
 * Per-container FUSE connections (issue 14). Each is a superblock of its
 * own that serves one container's rendered proc files, so the kernel may
 * cache their pages and attributes: every reader of the connection is the
 * same container, and no cached byte can reach another one.
 *
 * A fixed pool of workers (--threads) waits in one epoll set that holds
 * every connection's /dev/fuse fd (EPOLLIN | EPOLLONESHOT: one request is
 * with one worker at a time, and is re-armed as soon as it is read) and a
 * pidfd of every container's init (its end ends the connection). Threads
 * do not grow with containers.
 *
 * epoll events carry a connection's slot and generation, never a pointer:
 * a worker looks the connection up under the lock and takes a reference,
 * so an event that comes out of epoll_wait() after its connection ended
 * finds nothing rather than freed memory.
 */

/*
 * libfuse makes one pthread key per session (its splice pipe), and glibc
 * has PTHREAD_KEYS_MAX (1024) keys in all: the daemon's own session and
 * libfuse's other keys need some. So at most this many connections at once,
 * whatever --max-containers says.
 */
#define PCONN_HARD_MAX	  960u
/*
 * fds each connection holds: the device, its detached root mount, the
 * init's pidfd, and its record for the next daemon (pconn-keep.h).
 */
#define PCONN_FDS	  4u
/* Largest request the kernel may send us; nothing is ever written here. */
#define PCONN_MAX_WRITE	  (128u << 10)
/* A worker's read buffer: the kernel wants max_write plus room for the headers. */
#define PCONN_BUF_SIZE	  (PCONN_MAX_WRITE + 4096u)
#define PCONN_MAX_WORKERS 64u

enum pconn_req {
	PCONN_REQ_LOOKUP,
	PCONN_REQ_GETATTR,
	PCONN_REQ_READ,
	PCONN_REQ_OTHER,
	_PCONN_REQ_MAX,
};

/*
 * The lookups of dynamic nodes (d->nodes, shared with the shared mount and
 * every other connection) that one connection's kernel holds, sorted by
 * inode: FORGET comes per superblock, and a connection that ends without
 * one (its container gone) gives back what it still holds (pconn-nodes.c).
 */
struct pconn_lookups {
	struct pconn_lookup {
		fuse_ino_t ino;
		uint64_t n;
		uint32_t slot; /* its slot in the connection's record, PCONN_REC_NO_SLOT: none */
	} * v;
	size_t n, cap;
	/*
	 * The record's lookup slots (pconn-keep.h): those below hw have been
	 * used, and free ones among them are reused first, so that the next
	 * daemon reads back only hw slots.
	 */
	uint32_t hw;
	uint32_t *free;
	size_t n_free, free_cap;
};

/* One connection. Fields above lock are fixed once it is made. */
struct pconn {
	struct daemon *d;
	struct ctr *x; /* its container, for its whole life */
	struct fuse_session *se;
	int fuse_fd;	  /* the session's (closed by fuse_session_destroy()) */
	int root_fd;	  /* the detached root mount: open_tree() clones come from it */
	int pidfd;	  /* the init's, a copy of x->pidfd for the epoll set */
	int rec_fd;	  /* its record (pconn-keep.h), -1 when none could be made */
	int replay_error; /* the replayed INIT's answer, while it is taken over */
	/* gen is its id with the keeper and the fd store too: kept across daemons. */
	uint32_t slot, gen;
	unsigned refs; /* atomic: the table's, and each worker's or caller's */
	bool dead;     /* under the table lock */
	pthread_mutex_t lock;
	/*
	 * Per file, the render whose size and time the kernel was last told
	 * (lookup, getattr): READ serves that one, so the bytes in the page
	 * cache always belong to the attributes the kernel holds.
	 */
	struct pconn_shown {
		struct blob *blob;
		struct timespec mtime; /* distinct per render: auto_inval_data drops old pages */
	} shown[_VF_MAX];
	/* Under lock. */
	struct pconn_lookups lookups;
	/*
	 * The container's cgroup tree (pconn-cgroup.c's operations) rather
	 * than its rendered files: a superblock of its own, whose files are
	 * opened (a write is judged as its opener), which no-open forbids.
	 */
	bool cgroup;
};

struct pconns {
	bool running;
	bool closing; /* under lock: pconns_stop() has begun */
	int no_clone; /* the errno with which this kernel refuses to clone a detached mount */
	int epoll_fd;
	int stop_fd; /* eventfd: the workers end */
	pthread_t workers[PCONN_MAX_WORKERS];
	unsigned n_workers;
	pthread_mutex_t lock; /* the slots and live */
	struct pconn **slots;
	uint32_t max; /* slots: the bound */
	uint32_t live;
	uint32_t next_gen;
	/* Counters for STATS (atomic). */
	uint64_t made, ended, refused, busy;
	uint64_t adopted, adopt_dropped; /* taken over from an earlier daemon, or not */
	uint64_t req[_PCONN_REQ_MAX];
};

/* The operations of a per-container connection (pconn-ops.c); userdata is its struct pconn. */
extern const struct fuse_lowlevel_ops pconn_ops;
/* The same for a connection of the cgroup tree (pconn-cgroup.c). */
extern const struct fuse_lowlevel_ops pconn_cg_ops;

/* Sets up the bound (at most max connections) and starts n workers. */
int pconns_start(struct daemon *d, unsigned n, unsigned max);
/*
 * Takes over the connections an earlier daemon left with the keeper or the
 * fd store (d->conn.pconns): those whose container still lives are served
 * again, the others end. With no connections served here (pconns_start()
 * not run), all of them end.
 */
void pconns_adopt(struct daemon *d);
/* Hands every live connection to a new keeper (the last one was killed). */
void pconns_keep_all(struct daemon *d);
/*
 * Joins the workers, each after it answered what it read. Then, on a stop
 * that leaves the shared mount to a holder (STOP_DETACH with a keeper or the
 * fd store, STOP_HANDOVER), the connections stay with that holder for the
 * next daemon; on any other, they end (their mounts get ENOTCONN).
 */
void pconns_stop(struct daemon *d);

/*
 * The served files of container x as detached mounts of its own
 * connection, made now or the one it has: up to max fds into ret_fds, and
 * each one's path ("proc/meminfo") NUL-terminated one after the other into
 * paths (size bytes). With cgroup, also its cgroup tree ("cgroup/memory"),
 * from a second connection. Returns the number of fds, -EBUSY past the
 * bound, or another -errno; text says why in one line on failure.
 */
int pconn_attach(struct daemon *d, struct ctr *x, bool cgroup, int *ret_fds, size_t max,
		 char *paths, size_t size, size_t *ret_len, char *text, size_t text_size);

/* "name value\n" lines of the counters, for the control socket's STATS. */
int pconns_stats(struct daemon *d, struct strbuf *out);

/* c's libfuse session (its kind's operations) on c->fuse_fd, which it then owns. */
int pconn_session_make(struct pconn *c);
void pconn_unref(struct pconn *c);
/*
 * Gives the shared node table back what c's kernel still holds, unless the
 * daemon stops for a successor (the connection then lives on, and so do
 * its nodes); frees c->lookups.
 */
void pconn_lookups_release(struct pconn *c);
/* Whether ino is a node that a per-container connection serves. */
bool pconn_ino_served(fuse_ino_t ino);
