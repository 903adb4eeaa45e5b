/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
 *     time, checked again by the next daemon, which has never seen it) and
 *     the kernel's FUSE_INIT request, replayed to the next daemon's libfuse
 *     session, since the kernel sends INIT once per connection.
 *
 * The init's pidfd is not kept: the next daemon opens one for the recorded
 * pid and proves it the same process by its namespace and start time.
 */

#define PCONN_REC_INIT_MAX 512u

struct pconn_rec {
	uint32_t magic;
	uint32_t size; /* of this struct: another layout is not ours */
	uint64_t pidns;
	uint64_t init_start;
	int32_t init_pid;
	/* The kernel's INIT, once answered; 0 until then. */
	uint32_t init_len;
	unsigned char init[PCONN_REC_INIT_MAX];
};

/* A new record for container x: a memfd. */
int pconn_rec_create(const struct ctr *x, int *ret_fd);
/* The kernel's INIT (buf, len), answered: written into the record. */
void pconn_rec_note_init(int fd, const void *buf, size_t len);
int pconn_rec_read(int fd, struct pconn_rec *ret);

/* Hands connection id's fds (device, root, record) to the keeper and the fd store. */
void pconn_keep(struct daemon *d, uint32_t id, const int *fds);
/* Connection id has ended: its holders let go of it. */
void pconn_unkeep(struct daemon *d, uint32_t id);

/*
 * A session for a connection that an earlier daemon served (c's device and
 * record set): the recorded INIT is fed to libfuse and its reply dropped,
 * the kernel forgets the attributes it holds of every served file (they
 * describe the earlier daemon's renders, which this one does not have), and
 * it is asked to resend the requests the earlier daemon read but never
 * answered. *ret_resent: whether the kernel does that (Linux 6.9).
 */
int pconn_session_adopt(struct pconn *c, const struct pconn_rec *rec, int *ret_resent);
