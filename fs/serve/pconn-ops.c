/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The operations of a per-container connection: the rendered proc files of
 * one container, and the directories leading to them, all static nodes.
 *
 * The kernel caches all it can here, since every reader of the connection
 * is the same container:
 *   - OPEN and OPENDIR answer ENOSYS: the kernel stops sending them (and
 *     RELEASE), and keeps file pages across opens (no-open's keep-cache);
 *     FLUSH is ENOSYS (libfuse's answer without a flush op);
 *   - lookups and attributes of files live one render TTL (--cache-ms),
 *     directories' for long;
 *   - a file's size is its render's length and its mtime is new with every
 *     render the connection shows, so auto_inval_data drops the old pages
 *     when the kernel's next getattr sees a new render.
 * A value is then at most cache-ms (render) + cache-ms (attributes) old.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "content.h"
#include "daemon.h"
#include "macro.h"
#include "ops.h"
#include "pconn-keep.h"
#include "pconn.h"
#include "reply.h"

/* Directories never change. */
#define DIR_TIMEOUT 3600.0

static struct pconn *req_pconn(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

bool pconn_ino_served(fuse_ino_t ino)
{
	const struct snode *s;

	if (ino == INO_ROOT || ino == INO_PROC || ino == INO_PROC_PRESSURE)
		return true;
	s = snode_get(ino);
	return s && s->vfile >= 0 &&
	       strncmp(vfile_host_path((enum vfile)s->vfile), "proc/", 5) == 0;
}

static double file_timeout(const struct daemon *d)
{
	return (double)d->cache_ns / 1e9;
}

static bool ts_after(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/*
 * File k as the kernel is now told it: the container's current render
 * (content_get() renders again past the TTL), remembered for READ.
 */
static int show(struct pconn *c, enum vfile k, size_t *ret_len, struct timespec *ret_mtime)
{
	struct pconn_shown *s = &c->shown[k];
	struct blob *b;
	int r;

	r = content_get(c->d, c->x, k, &b);
	if (r < 0)
		return r;
	pthread_mutex_lock(&c->lock);
	if (s->blob != b) {
		struct timespec now;

		/* A new render gets a later mtime than the last, even within one clock tick. */
		clock_gettime(CLOCK_REALTIME, &now);
		if (!ts_after(&now, &s->mtime)) {
			now = s->mtime;
			if (++now.tv_nsec == 1000000000) {
				now.tv_sec++;
				now.tv_nsec = 0;
			}
		}
		blob_unref(s->blob);
		s->blob = b;
		s->mtime = now;
		/* Before the kernel hears of it: the next daemon serves READ from it too. */
		pconn_rec_shown(c, k);
	} else
		blob_unref(b);
	*ret_len = s->blob->len;
	*ret_mtime = s->mtime;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static void attr_of(struct pconn *c, fuse_ino_t ino, size_t size, const struct timespec *mtime,
		    struct stat *st)
{
	/* The host file's owner and mode: the kernel checks them (default_permissions). */
	static_attr(c->d, ino, size, st);
	/* A file's mtime is its render's, for auto_inval_data; a directory keeps the mount's. */
	if (mtime && S_ISREG(st->st_mode))
		st->st_mtim = st->st_ctim = *mtime;
}

/*
 * Attributes of a served node and how long they hold. A file that cannot
 * be rendered now is shown empty and not cached: its reads then fail as on
 * the shared mount, and the next access asks again.
 */
static int node_attr(struct pconn *c, fuse_ino_t ino, struct stat *st, double *ret_timeout)
{
	const struct snode *s = snode_get(ino);
	struct timespec mtime;
	size_t len;
	int r;

	if (!pconn_ino_served(ino))
		return -ENOENT;
	if (s->vfile < 0) {
		attr_of(c, ino, 0, NULL, st);
		*ret_timeout = DIR_TIMEOUT;
		return 0;
	}
	r = show(c, (enum vfile)s->vfile, &len, &mtime);
	if (r < 0) {
		attr_of(c, ino, 0, NULL, st);
		*ret_timeout = 0;
		return r;
	}
	attr_of(c, ino, len, &mtime, st);
	*ret_timeout = file_timeout(c->d);
	return 0;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct pconn *c = req_pconn(req);
	struct fuse_entry_param e = { 0 };
	double t;

	e.ino = pconn_ino_served(parent) ? snode_child(parent, name) : 0;
	if (!e.ino || !pconn_ino_served(e.ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	(void)node_attr(c, e.ino, &e.attr, &t);
	e.attr_timeout = e.entry_timeout = t;
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	double t;
	int r;

	r = node_attr(req_pconn(req), ino, &st, &t);
	if (r == -ENOENT)
		fuse_reply_err(req, ENOENT);
	else if (r < 0)
		reply_fail(req, r, "getattr");
	else
		fuse_reply_attr(req, &st, t);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct pconn *c = req_pconn(req);
	const struct snode *s = snode_get(ino);
	struct timespec mtime;
	struct blob *b;
	size_t len;
	int r;

	if (!pconn_ino_served(ino) || s->vfile < 0) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	pthread_mutex_lock(&c->lock);
	b = c->shown[s->vfile].blob ? blob_ref(c->shown[s->vfile].blob) : NULL;
	pthread_mutex_unlock(&c->lock);
	if (!b) {
		/* Never shown yet (its render failed at lookup): render it now. */
		r = show(c, (enum vfile)s->vfile, &len, &mtime);
		if (r < 0) {
			reply_fail(req, r, vfile_host_path((enum vfile)s->vfile));
			return;
		}
		pthread_mutex_lock(&c->lock);
		b = blob_ref(c->shown[s->vfile].blob);
		pthread_mutex_unlock(&c->lock);
	}
	reply_slice(req, b, size, off);
	blob_unref(b);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	/* No handles here: the kernel opens by itself from now on, keeping the pages. */
	fuse_reply_err(req, ENOSYS);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, ENOSYS);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	_cleanup_free_ char *buf = malloc(size ? size : 1);
	const struct snode *s = snode_get(ino);
	size_t pos = 0, i = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (!pconn_ino_served(ino) || s->vfile >= 0) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	/* Offsets: 0 ".", 1 "..", then the served children in slot order. */
	for (size_t slot = 0; slot < SNODES_N + 2; slot++) {
		fuse_ino_t child = slot < 2 ? ino : snode_slot_ino(slot - 2);
		const struct snode *cs = slot < 2 ? s : snode_get(child);
		const char *name = slot == 0 ? "." : slot == 1 ? ".." : cs ? cs->name : NULL;
		struct stat st = { .st_ino = child };
		size_t need;

		if (slot >= 2 && (child == INO_ROOT || !cs || !name || cs->parent != ino ||
				  !pconn_ino_served(child)))
			continue;
		if ((off_t)i++ < off)
			continue;
		st.st_mode = slot < 2 || cs->vfile < 0 ? S_IFDIR : S_IFREG;
		need = fuse_add_direntry(req, buf + pos, size - pos, name, &st, (off_t)i);
		if (need > size - pos)
			break;
		pos += need;
	}
	fuse_reply_buf(req, buf, pos);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	/* Static nodes only: nothing to forget. */
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	fuse_reply_none(req);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	/* Nothing is ever written; reads of a large cpuinfo still come in few requests. */
	conn->max_write = PCONN_MAX_WRITE;
	conn->want &=
		~(unsigned)(FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO | FUSE_CAP_ASYNC_DIO);
	/* The point of the connection: a new render drops the cached pages by its size and mtime.
	 */
	if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
}

const struct fuse_lowlevel_ops pconn_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.open = op_open,
	.read = op_read,
	.opendir = op_opendir,
	.readdir = op_readdir,
};
