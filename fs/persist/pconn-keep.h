/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fuse-ll.h"

struct ctr;
struct daemon;
struct pconn;

/*
 * Per-container connections across restarts (issue 14), as the shared
 * mount's (keeper.h, conn.h). Each connection is three fds, handed to the
 * keeper (KMSG_PCONN, id in flags) and, under systemd, to the fd store
 * ("pconn-ID-fuse", "-root", "-rec") as soon as it is made, and dropped from
 * both when it ends:
 *
 *   - the /dev/fuse device: its last holder's close ends the connection, so
 *     while the keeper or the fd store holds it, the container's mounts stay
 *     and their reads wait in the kernel for the next daemon;
 *   - the detached root mount, which later attaches clone (open_tree);
 *   - the record, a memfd: the container (pid namespace, init pid and start
 *     time, checked again by the next daemon, which has never seen it), the
 *     kernel's FUSE_INIT request, replayed to the next daemon's libfuse
 *     session, since the kernel sends INIT once per connection, and each
 *     file's render as the kernel was last told of it (its size and mtime):
 *     the next daemon serves READ from those same bytes, so the pages the
 *     kernel reads then fit the attributes it holds, as without a restart.
 *
 * The init's pidfd is not kept: the next daemon opens one for the recorded
 * pid and proves it the same process by its namespace and start time.
 */

#define PCONN_REC_INIT_MAX 512u
/* Files a record has room for, and the largest render it keeps (larger: not kept). */
#define PCONN_REC_FILES	   64u
#define PCONN_REC_SLOT	   (1u << 20)

/* One file's render, as the kernel was last told of it; its bytes are in the file's slot. */
struct pconn_rec_file {
	uint32_t state; /* REC_NONE, REC_WRITING (not usable), REC_KEPT */
	uint32_t len;
	int64_t sec, nsec; /* its mtime */
	char path[48];	   /* "proc/stat": the next daemon's numbering may differ */
};

struct pconn_rec {
	uint32_t magic;
	uint32_t size; /* of this struct: a smaller one is not ours */
	uint64_t pidns;
	uint64_t init_start;
	int32_t init_pid;
	/* 1: the container's cgroup tree (pconn_cg_ops), 0: its rendered files. */
	uint32_t cgroup;
	/* The kernel's INIT, once answered; 0 until then. */
	uint32_t init_len;
	/* Lookup slots ever used (pconn_rec_lookup()): the next daemon reads these. */
	uint32_t lookups_hw;
	unsigned char init[PCONN_REC_INIT_MAX];
	struct pconn_rec_file files[PCONN_REC_FILES];
};

/* A new record for container x's connection (its cgroup tree or not): a memfd. */
int pconn_rec_create(const struct ctr *x, bool cgroup, int *ret_fd);
/* The kernel's INIT (buf, len), answered: written into the record. */
void pconn_rec_note_init(int fd, const void *buf, size_t len);
int pconn_rec_read(int fd, struct pconn_rec *ret);
/* Under c->lock: c->shown[k] is what the kernel is told now; into the record first. */
void pconn_rec_shown(struct pconn *c, unsigned k);

/*
 * The lookups of dynamic nodes (sys/devices/system/cpu, the cgroup tree)
 * that a connection's kernel holds, as pconn-nodes.c counts them: one slot
 * of the record per node, written as it changes, so that a connection
 * taken over after any restart, a kill -9 included, still gives back what
 * its kernel held when its container ends. Past PCONN_REC_LOOKUPS nodes at
 * once, the rest are not recorded (and stay in the node table after a
 * restart until the daemon stops for good).
 */
#define PCONN_REC_LOOKUPS 65536u
#define PCONN_REC_NO_SLOT UINT32_MAX
/* Under c->lock: slot now says ino with n lookups (n 0: free); hw, the slots used. */
void pconn_rec_lookup(struct pconn *c, uint32_t slot, fuse_ino_t ino, uint64_t n);
/* The recorded lookups of an earlier daemon's connection into c->lookups (empty before). */
int pconn_rec_lookups_read(struct pconn *c, const struct pconn_rec *rec);
/* A connection that is not taken over (its container ended): its kernel's lookups given back. */
void pconn_rec_lookups_drop(struct daemon *d, int fd, const struct pconn_rec *rec);

/*
 * The container of a kept connection's record, with a reference: -ESRCH
 * when it has ended (its init pid names another process or none).
 */
int pconn_rec_ctr(struct daemon *d, const struct pconn_rec *rec, struct ctr **ret);

/* Hands connection id's fds (device, root, record) to the keeper and the fd store. */
void pconn_keep(struct daemon *d, uint32_t id, const int *fds);
/* Connection id has ended: its holders let go of it. */
void pconn_unkeep(struct daemon *d, uint32_t id);
/* Whether this daemon's stop leaves its connections with their holders. */
bool pconns_stop_keeps(struct daemon *d);

/*
 * The device I/O of every connection's session (fuse_session_custom_io());
 * its userdata is the struct pconn. A reply to the replayed INIT goes nowhere.
 */
extern const struct fuse_custom_io pconn_io;

/*
 * A session for a connection that an earlier daemon served (c's device and
 * record set): the recorded INIT is fed to libfuse and its reply dropped,
 * the recorded renders become c's shown ones, the kernel forgets the
 * attributes of any served file without one (they describe a render this
 * daemon does not have), and it is asked to resend the requests the earlier
 * daemon read but never answered. *ret_resent: whether the kernel does that
 * (Linux 6.9).
 */
int pconn_session_adopt(struct pconn *c, const struct pconn_rec *rec, int *ret_resent);
