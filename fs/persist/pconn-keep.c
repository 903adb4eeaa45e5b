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
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "daemon.h"
#include "keeper.h"
#include "macro.h"
#include "notify.h"
#include "tree.h"

#define REC_MAGIC      0x31524350u /* "PCR1" */
/* Where the files' slots begin in the record (sparse: only what is written takes memory). */
#define REC_DATA_OFF   ((off_t)1 << 16)
/* The lookup slots, after the files' (sparse too). */
#define REC_LOOKUP_OFF (REC_DATA_OFF + (off_t)PCONN_REC_FILES * PCONN_REC_SLOT)
enum { REC_NONE, REC_WRITING, REC_KEPT };

/* One lookup slot: one pwrite, never torn by a kill (shmem copies it whole). */
struct rec_lookup {
	uint64_t ino, n;
};
_Static_assert(sizeof(struct pconn_rec) <= REC_DATA_OFF, "the record's head fits before the slots");
_Static_assert(_VF_MAX <= PCONN_REC_FILES, "every served file has a slot in the record");
/* As sessio.c's: the kernel's uniques are even, so 1 is never a real request. */
#define SYNTH_INIT_UNIQUE 1
/* Linux 6.9: requeue every request read but not answered. */
#define NOTIFY_RESEND	  7
#ifndef FUSE_HAS_RESEND
#define FUSE_HAS_RESEND (1ULL << 39)
#endif

static const char *const fd_names[PCONN_KEPT_FDS] = { "fuse", "root", "rec" };

/* ---- the record ------------------------------------------------------------- */

int pconn_rec_create(const struct ctr *x, bool cgroup, int *ret_fd)
{
	struct pconn_rec rec = { .magic = REC_MAGIC,
				 .size = sizeof(rec),
				 .pidns = x->pidns,
				 .init_start = x->init_start,
				 .init_pid = x->init_pid,
				 .cgroup = cgroup };
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

void pconn_rec_lookup(struct pconn *c, uint32_t slot, fuse_ino_t ino, uint64_t n)
{
	struct rec_lookup e = { .ino = n ? ino : 0, .n = n };

	if (c->rec_fd < 0 || slot >= PCONN_REC_LOOKUPS)
		return;
	(void)pwrite(c->rec_fd, &e, sizeof(e), REC_LOOKUP_OFF + (off_t)slot * (off_t)sizeof(e));
	/* hw only grows, and is written after its last slot: every slot below it is whole. */
	if (slot + 1 == c->lookups.hw)
		(void)pwrite(c->rec_fd, &c->lookups.hw, sizeof(c->lookups.hw),
			     offsetof(struct pconn_rec, lookups_hw));
}

/* Sorts by inode, as pconn-nodes.c keeps them. */
static int by_ino(const void *a, const void *b)
{
	const struct pconn_lookup *x = a, *y = b;

	return (x->ino > y->ino) - (x->ino < y->ino);
}

/* The recorded lookup slots (hw of them, *ret_hw), or none: 0 with *ret NULL. */
static int rec_lookups_load(int fd, const struct pconn_rec *rec, struct rec_lookup **ret,
			    uint32_t *ret_hw)
{
	uint32_t hw = MIN(rec->lookups_hw, PCONN_REC_LOOKUPS);
	_cleanup_free_ struct rec_lookup *v = NULL;

	*ret = NULL;
	*ret_hw = 0;
	if (!hw)
		return 0;
	v = calloc(hw, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (pread(fd, v, hw * sizeof(*v), REC_LOOKUP_OFF) != (ssize_t)(hw * sizeof(*v)))
		return -EPROTO;
	*ret = TAKE_PTR(v);
	*ret_hw = hw;
	return 0;
}

int pconn_rec_lookups_read(struct pconn *c, const struct pconn_rec *rec)
{
	struct pconn_lookups *l = &c->lookups;
	_cleanup_free_ struct rec_lookup *v = NULL;
	size_t n = 0, n_free = 0;
	uint32_t hw;
	int r;

	r = rec_lookups_load(c->rec_fd, rec, &v, &hw);
	if (r < 0 || !hw)
		return r;
	l->v = calloc(hw, sizeof(*l->v));
	l->free = calloc(hw, sizeof(*l->free));
	if (!l->v || !l->free)
		return -ENOMEM;
	l->cap = l->free_cap = hw;
	for (uint32_t i = 0; i < hw; i++)
		if (v[i].n && v[i].ino)
			l->v[n++] =
				(struct pconn_lookup){ .ino = v[i].ino, .n = v[i].n, .slot = i };
		else
			l->free[n_free++] = i;
	qsort(l->v, n, sizeof(*l->v), by_ino);
	/* One node in two slots (cannot happen, but a record is input): merged, one slot freed. */
	for (size_t i = 1; i < n;)
		if (l->v[i].ino == l->v[i - 1].ino) {
			l->v[i - 1].n += l->v[i].n;
			pconn_rec_lookup(c, l->v[i - 1].slot, l->v[i - 1].ino, l->v[i - 1].n);
			pconn_rec_lookup(c, l->v[i].slot, 0, 0);
			l->free[n_free++] = l->v[i].slot;
			memmove(l->v + i, l->v + i + 1, (n - i - 1) * sizeof(*l->v));
			n--;
		} else
			i++;
	l->n = n;
	l->n_free = n_free;
	l->hw = hw;
	return 0;
}

void pconn_rec_lookups_drop(struct daemon *d, int fd, const struct pconn_rec *rec)
{
	_cleanup_free_ struct rec_lookup *v = NULL;
	uint32_t hw;

	if (rec_lookups_load(fd, rec, &v, &hw) < 0)
		return;
	for (uint32_t i = 0; i < hw; i++)
		if (v[i].n && v[i].ino)
			nodes_forget(&d->nodes, v[i].ino, v[i].n);
}

int pconn_rec_read(int fd, struct pconn_rec *ret)
{
	struct pconn_rec rec;

	if (pread(fd, &rec, sizeof(rec), 0) != (ssize_t)sizeof(rec))
		return -EPROTO;
	/* A newer daemon's record may be longer (fields are only ever added at its end). */
	if (rec.magic != REC_MAGIC || rec.size < sizeof(rec) || rec.init_len > PCONN_REC_INIT_MAX ||
	    (rec.init_len && rec.init_len < sizeof(struct fuse_in_header)))
		return -EPROTO;
	*ret = rec;
	return 0;
}

void pconn_rec_shown(struct pconn *c, unsigned k)
{
	const struct pconn_shown *s = &c->shown[k];
	off_t at = (off_t)(offsetof(struct pconn_rec, files) + k * sizeof(struct pconn_rec_file));
	struct pconn_rec_file f = { .state = REC_WRITING };

	if (c->rec_fd < 0 || k >= PCONN_REC_FILES)
		return;
	/*
	 * Marked unusable first: a daemon killed while the bytes are half
	 * written leaves a file the next one does not serve from (it has the
	 * kernel forget its attributes instead).
	 */
	snprintf(f.path, sizeof(f.path), "%s", vfile_host_path((enum vfile)k));
	if (pwrite(c->rec_fd, &f, sizeof(f), at) != (ssize_t)sizeof(f) ||
	    s->blob->len > PCONN_REC_SLOT ||
	    pwrite(c->rec_fd, s->blob->data, s->blob->len,
		   REC_DATA_OFF + (off_t)k * PCONN_REC_SLOT) != (ssize_t)s->blob->len)
		return;
	f.state = REC_KEPT;
	f.len = (uint32_t)s->blob->len;
	f.sec = s->mtime.tv_sec;
	f.nsec = s->mtime.tv_nsec;
	(void)pwrite(c->rec_fd, &f, sizeof(f), at);
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

/*
 * Whether the connections outlive this daemon: as the shared mount does
 * (conn_close()), whenever a keeper or the fd store holds them and the stop
 * is not for good. A failed start (STOP_NONE) keeps them too.
 */
bool pconns_stop_keeps(struct daemon *d)
{
	int mode = __atomic_load_n(&d->stop_mode, __ATOMIC_ACQUIRE);

	return mode != STOP_FULL && (d->conn.link_fd >= 0 || d->conn.fdstore);
}

/*
 * The container of a kept connection, proven the one it was made for: the
 * recorded init pid may name another process by now, so its pid namespace
 * and start time must match the record.
 */
int pconn_rec_ctr(struct daemon *d, const struct pconn_rec *rec, struct ctr **ret)
{
	struct ctr *x = NULL;
	int r;

	if (rec->init_pid <= 0)
		return -ESRCH;
	r = ctr_get(d, rec->init_pid, &x);
	if (r >= 0 && (ctr_is_host(x) || x->pidns != rec->pidns ||
		       x->init_start != rec->init_start || x->pidfd < 0))
		r = -ESRCH;
	if (r < 0) {
		ctr_unref(x);
		return r;
	}
	*ret = x;
	return 0;
}

/* ---- taking one over ----------------------------------------------------------- */

static ssize_t adopt_read(int fd, void *buf, size_t len, void *ud)
{
	return read(fd, buf, len);
}

/* libfuse's replies; that to a replayed INIT is for nobody: the kernel has its own. */
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

const struct fuse_custom_io pconn_io = {
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

/* This daemon's number of the file at path, or -1. */
static int vfile_of(const char *path)
{
	for (unsigned k = 0; k < _VF_MAX; k++)
		if (strcmp(vfile_host_path((enum vfile)k), path) == 0)
			return (int)k;
	return -1;
}

/* The recorded render of entry i as c's shown file; false when there is none. */
static bool restore_one(struct pconn *c, const struct pconn_rec *rec, unsigned i)
{
	const struct pconn_rec_file *f = &rec->files[i];
	char path[sizeof(f->path) + 1] = { 0 };
	struct blob *b;
	char *data;
	int k;

	memcpy(path, f->path, sizeof(f->path));
	k = vfile_of(path);
	if (f->state != REC_KEPT || f->len > PCONN_REC_SLOT || k < 0 || c->shown[k].blob)
		return false;
	data = malloc(f->len ? f->len : 1);
	if (!data)
		return false;
	if (pread(c->rec_fd, data, f->len, REC_DATA_OFF + (off_t)i * PCONN_REC_SLOT) !=
		    (ssize_t)f->len ||
	    !(b = blob_new(data, f->len))) {
		free(data);
		return false;
	}
	c->shown[k].blob = b;
	c->shown[k].mtime = (struct timespec){ .tv_sec = f->sec, .tv_nsec = f->nsec };
	return true;
}

/*
 * The renders the kernel was last told of. For a served file without one,
 * the kernel forgets the attributes it holds: attributes only (offset -1),
 * so no page is waited for and this cannot block on a read that waits for
 * us; its pages go at the next getattr, which sees a new mtime
 * (auto_inval_data).
 */
static void restore_shown(struct pconn *c, const struct pconn_rec *rec)
{
	unsigned n = 0;

	for (unsigned i = 0; i < PCONN_REC_FILES; i++)
		n += restore_one(c, rec, i);
	log_full(&c->d->log, LOG_DEBUG, "per-container connection of pid %d: %u render(s) kept",
		 (int)c->x->init_pid, n);
	for (unsigned k = 0; k < _VF_MAX; k++) {
		fuse_ino_t ino = vfile_ino((enum vfile)k);

		if (!c->shown[k].blob && pconn_ino_served(ino))
			(void)fuse_lowlevel_notify_inval_inode(c->se, ino, -1, 0);
	}
}

int pconn_session_adopt(struct pconn *c, const struct pconn_rec *rec, int *ret_resent)
{
	struct fuse_out_header oh = { .len = sizeof(oh), .error = NOTIFY_RESEND };
	int r;

	/* From here the session owns the device (fuse_session_destroy() closes it). */
	r = pconn_session_make(c);
	if (r < 0)
		return r;
	/* No INIT answered yet: the kernel's is still queued (or requeued below). */
	if (rec->init_len) {
		r = replay_init(c, rec);
		if (r < 0)
			return r;
		/* A cgroup tree's files are read as they are, and never shown (kept). */
		if (!c->cgroup)
			restore_shown(c, rec);
	}
	*ret_resent = 0;
	/*
	 * Without FUSE_NOTIFY_RESEND (Linux < 6.9) a request the earlier daemon
	 * read and did not answer (a kill -9 mid-request) is lost: its reader
	 * waits, unkillable (the kernel waits out a request it has sent), until
	 * the connection ends; its container cannot finish stopping meanwhile
	 * (its init waits for that reader, and we end a connection when the init
	 * is gone): burrowfs --stop ends it. There is no journal here. A SIGTERM or an
	 * upgrade never leaves one (the workers finish what they read first).
	 * BURROWFS_NO_RESEND (for tests, as on the shared connection) shows it.
	 */
	if ((!rec->init_len || rec_resends(rec)) && !getenv("BURROWFS_NO_RESEND") &&
	    write(c->fuse_fd, &oh, sizeof(oh)) == (ssize_t)sizeof(oh))
		*ret_resent = 1;
	return 0;
}
