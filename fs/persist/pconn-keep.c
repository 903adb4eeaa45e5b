/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What keeps a per-container connection alive between daemons, and how the
 * next daemon takes it over. See pconn-keep.h; who calls it is pconn.c.
 */
#include "pconn-keep.h"

#include <errno.h>
#include <linux/fuse.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "daemon.h"
#include "keeper.h"
#include "macro.h"
#include "notify.h"
#include "tree.h"

#define REC_MAGIC	  0x31524350u /* "PCR1" */
/* As sessio.c's: the kernel's uniques are even, so 1 is never a real request. */
#define SYNTH_INIT_UNIQUE 1
/* Linux 6.9: requeue every request read but not answered. */
#define NOTIFY_RESEND	  7
#ifndef FUSE_HAS_RESEND
#define FUSE_HAS_RESEND (1ULL << 39)
#endif

static const char *const fd_names[PCONN_KEPT_FDS] = { "fuse", "root", "rec" };

/* ---- the record ------------------------------------------------------------- */

int pconn_rec_create(const struct ctr *x, int *ret_fd)
{
	struct pconn_rec rec = { .magic = REC_MAGIC,
				 .size = sizeof(rec),
				 .pidns = x->pidns,
				 .init_start = x->init_start,
				 .init_pid = x->init_pid };
	_cleanup_close_ int fd = -1;

	fd = memfd_create("burrowfs-pconn", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pwrite(fd, &rec, sizeof(rec), 0) != (ssize_t)sizeof(rec))
		return -EIO;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

void pconn_rec_note_init(int fd, const void *buf, size_t len)
{
	uint32_t l = (uint32_t)len;

	/* A longer INIT (a future kernel's) is not replayable: the next daemon ends it. */
	if (fd < 0 || len > PCONN_REC_INIT_MAX)
		return;
	/* The bytes first, then their length: a reader never sees a length without them. */
	if (pwrite(fd, buf, len, offsetof(struct pconn_rec, init)) == (ssize_t)len)
		(void)pwrite(fd, &l, sizeof(l), offsetof(struct pconn_rec, init_len));
}

int pconn_rec_read(int fd, struct pconn_rec *ret)
{
	struct pconn_rec rec;

	if (pread(fd, &rec, sizeof(rec), 0) != (ssize_t)sizeof(rec))
		return -EPROTO;
	if (rec.magic != REC_MAGIC || rec.size != sizeof(rec) ||
	    rec.init_len > PCONN_REC_INIT_MAX ||
	    (rec.init_len && rec.init_len < sizeof(struct fuse_in_header)))
		return -EPROTO;
	*ret = rec;
	return 0;
}

/* ---- its holders ------------------------------------------------------------- */

void pconn_keep(struct daemon *d, uint32_t id, const int *fds)
{
	char state[96];
	int r = 0;

	if (d->conn.link_fd >= 0)
		r = kmsg_send(d->conn.link_fd, KMSG_PCONN, id, fds, PCONN_KEPT_FDS);
	if (r < 0)
		log_errno(&d->log, LOG_WARNING, r,
			  "Failed to hand a per-container connection to the keeper: a restart "
			  "ends it: %m");
	if (!d->conn.fdstore)
		return;
	/* FDPOLL=0: see fdstore_push() in conn.c; the root is O_PATH, which epoll refuses. */
	for (size_t i = 0; i < PCONN_KEPT_FDS; i++) {
		snprintf(state, sizeof(state), "FDSTORE=1\nFDNAME=pconn-%u-%s\nFDPOLL=0", id,
			 fd_names[i]);
		r = notify_send_fds(state, &fds[i], 1);
		if (r < 0) {
			log_errno(&d->log, LOG_WARNING, r,
				  "Failed to hand a per-container connection to systemd: %m");
			return;
		}
	}
}

void pconn_unkeep(struct daemon *d, uint32_t id)
{
	char state[96];

	if (d->conn.link_fd >= 0)
		(void)kmsg_send(d->conn.link_fd, KMSG_UNPCONN, id, NULL, 0);
	for (size_t i = 0; d->conn.fdstore && i < PCONN_KEPT_FDS; i++) {
		snprintf(state, sizeof(state), "FDSTOREREMOVE=1\nFDNAME=pconn-%u-%s", id,
			 fd_names[i]);
		(void)notify_send(state);
	}
}

/* ---- taking one over ----------------------------------------------------------- */

static ssize_t adopt_read(int fd, void *buf, size_t len, void *ud)
{
	return read(fd, buf, len);
}

/* libfuse's replies; that to the replayed INIT is for nobody: the kernel has its own. */
static ssize_t adopt_writev(int fd, struct iovec *iov, int count, void *ud)
{
	const struct fuse_out_header *out = iov[0].iov_base;
	struct pconn *c = ud;
	size_t total = 0;

	if (out->unique != SYNTH_INIT_UNIQUE)
		return writev(fd, iov, count);
	for (int i = 0; i < count; i++)
		total += iov[i].iov_len;
	c->replay_error = out->error ? out->error : 1;
	return (ssize_t)total;
}

static const struct fuse_custom_io adopt_io = {
	.read = adopt_read,
	.writev = adopt_writev,
};

/* FUSE_HAS_RESEND in the recorded INIT (as journal_kernel_resends()). */
static bool rec_resends(const struct pconn_rec *rec)
{
	struct fuse_init_in in = { 0 };
	size_t n;

	if (rec->init_len <= sizeof(struct fuse_in_header))
		return false;
	n = MIN((size_t)rec->init_len - sizeof(struct fuse_in_header), sizeof(in));
	memcpy(&in, rec->init + sizeof(struct fuse_in_header), n);
	if (in.major != 7 || in.minor < 36 || !(in.flags & FUSE_INIT_EXT) ||
	    n < offsetof(struct fuse_init_in, flags2) + sizeof(in.flags2))
		return false;
	return (((uint64_t)in.flags2 << 32) & FUSE_HAS_RESEND) != 0;
}

static int replay_init(struct pconn *c, const struct pconn_rec *rec)
{
	unsigned char buf[PCONN_REC_INIT_MAX];
	struct fuse_buf fb = { .mem = buf, .size = rec->init_len };

	memcpy(buf, rec->init, rec->init_len);
	((struct fuse_in_header *)buf)->unique = SYNTH_INIT_UNIQUE;
	c->replay_error = 0;
	fuse_session_process_buf(c->se, &fb);
	if (c->replay_error == 0)
		return -EIO;
	return c->replay_error == 1 ? 0 : -EPROTO;
}

/*
 * Attributes only (offset -1): no page is waited for, so this cannot block
 * on a read that waits for us. The pages the kernel keeps go at the next
 * getattr, which sees a new mtime (auto_inval_data).
 */
static void forget_attrs(struct pconn *c)
{
	for (size_t i = 1; i < SNODES_N; i++) {
		fuse_ino_t ino = snode_slot_ino(i);
		const struct snode *s = snode_get(ino);

		if (s && s->vfile >= 0 && pconn_ino_served(ino))
			(void)fuse_lowlevel_notify_inval_inode(c->se, ino, -1, 0);
	}
}

int pconn_session_adopt(struct pconn *c, const struct pconn_rec *rec, int *ret_resent)
{
	char *argv[] = { "burrowfs", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct fuse_out_header oh = { .len = sizeof(oh), .error = NOTIFY_RESEND };
	int r;

	c->se = fuse_session_new(&args, &pconn_ops, sizeof(pconn_ops), c);
	fuse_opt_free_args(&args);
	if (!c->se)
		return -ENOMEM;
	/* From here the session owns the device (fuse_session_destroy() closes it). */
	if (fuse_session_custom_io(c->se, &adopt_io, c->fuse_fd) < 0) {
		fuse_session_destroy(c->se);
		c->se = NULL;
		return -EINVAL;
	}
	/* No INIT answered yet: the kernel's is still queued (or requeued below). */
	if (rec->init_len) {
		r = replay_init(c, rec);
		if (r < 0)
			return r;
		forget_attrs(c);
	}
	*ret_resent = 0;
	/*
	 * Without FUSE_NOTIFY_RESEND (Linux < 6.9) a request the earlier daemon
	 * read and did not answer (a kill -9 mid-request) is lost: its reader
	 * waits until it is killed or the connection ends. A SIGTERM or an
	 * upgrade never leaves one (the workers finish what they read first).
	 */
	if ((!rec->init_len || rec_resends(rec)) &&
	    write(c->fuse_fd, &oh, sizeof(oh)) == (ssize_t)sizeof(oh))
		*ret_resent = 1;
	return 0;
}
