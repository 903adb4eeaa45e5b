/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The operations of a per-container connection: the rendered files of one
 * container and the directories leading to them (static nodes), and below
 * sys/devices/system/cpu the host's nodes it may see (pconn-sys.c).
 *
 * The kernel caches all it can here, since every reader of the connection
 * is the same container:
 *   - OPEN and OPENDIR answer ENOSYS: the kernel stops sending them (and
 *     RELEASE), and keeps file pages across opens (no-open's keep-cache);
 *     FLUSH is ENOSYS (libfuse's answer without a flush op);
 *   - lookups and attributes of files live one render TTL (--cache-ms),
 *     static directories' for long (the cpu directory's one TTL: its
 *     listing follows the cpuset);
 *   - a file's size is its render's length and its mtime is new with every
 *     render the connection shows, so auto_inval_data drops the old pages
 *     when the kernel's next getattr sees a new render.
 * A value is then at most cache-ms (render) + cache-ms (attributes) old.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "content.h"
#include "daemon.h"
#include "macro.h"
#include "ops.h"
#include "pconn-keep.h"
#include "pconn-tree.h"
#include "pconn.h"
#include "reply.h"

/* Static directories never change. */
#define DIR_TIMEOUT 3600.0
/* readdir entries of dynamic nodes: their inodes are only assigned at lookup. */
#define UNKNOWN_INO 0xffffffffu

static struct pconn *req_pconn(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* The static nodes: every rendered file and its directories, not (yet) cgroup/. */
bool pconn_ino_served(fuse_ino_t ino)
{
	return ino_is_static(ino) && snode_get(ino) && ino != INO_CGROUP;
}

void pconn_reply_fail(fuse_req_t req, struct pconn *c, int r, const char *what)
{
	log_ratelimited(&c->d->log, r, "per-container %s for pid %d: %m", what,
			(int)c->x->init_pid);
	fuse_reply_err(req, r == -ENOMEM ? ENOMEM : EIO);
}

void pconn_reply_err(fuse_req_t req, struct pconn *c, int r, const char *what)
{
	if (r >= 0 || r < -4095 || r == -ENOMEM || r == -EIO)
		pconn_reply_fail(req, c, r >= 0 || r < -4095 ? -EIO : r, what);
	else
		fuse_reply_err(req, -r);
}

/*
 * The vpath of dynamic node ino, below sys/devices/system/cpu: the only
 * provider this connection hands out nodes of. -ESTALE for a number no
 * daemon remembers (the kernel looks its path up again).
 */
static int dyn_vpath(struct pconn *c, fuse_ino_t ino, char *buf, size_t size)
{
	const struct provider *p;
	int r;

	r = nodes_path(&c->d->nodes, ino, buf, size, &p);
	if (r >= 0 && p != &sysfs_cpu_provider)
		r = -ENOENT;
	return r;
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
		if (ino == INO_SYS_CPU) {
			pconn_sys_cpu_dir_attr(c, st);
			*ret_timeout = file_timeout(c->d);
		}
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
	char vpath[PATH_MAX];
	double t;
	int r;

	if (!ino_is_static(parent)) {
		r = dyn_vpath(c, parent, vpath, sizeof(vpath));
		if (r < 0)
			pconn_reply_err(req, c, r, "lookup");
		else
			pconn_sys_lookup(req, c, vpath, name);
		return;
	}
	e.ino = pconn_ino_served(parent) ? snode_child(parent, name) : 0;
	if (!e.ino && parent == INO_SYS_CPU) {
		pconn_sys_lookup(req, c, "", name);
		return;
	}
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
	struct pconn *c = req_pconn(req);
	char vpath[PATH_MAX];
	struct stat st;
	double t;
	int r;

	if (!ino_is_static(ino)) {
		r = dyn_vpath(c, ino, vpath, sizeof(vpath));
		if (r < 0)
			pconn_reply_err(req, c, r, "getattr");
		else
			pconn_sys_getattr(req, c, ino, vpath);
		return;
	}
	r = node_attr(c, ino, &st, &t);
	if (r == -ENOENT)
		fuse_reply_err(req, ENOENT);
	else if (r < 0)
		pconn_reply_fail(req, c, r, "getattr");
	else
		fuse_reply_attr(req, &st, t);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct pconn *c = req_pconn(req);
	char vpath[PATH_MAX];
	int r;

	if (ino_is_static(ino)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	r = dyn_vpath(c, ino, vpath, sizeof(vpath));
	if (r < 0)
		pconn_reply_err(req, c, r, "readlink");
	else
		pconn_sys_readlink(req, c, vpath);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct pconn *c = req_pconn(req);
	const struct snode *s = snode_get(ino);
	char vpath[PATH_MAX];
	struct timespec mtime;
	struct blob *b;
	size_t len;
	int r;

	if (!ino_is_static(ino)) {
		r = dyn_vpath(c, ino, vpath, sizeof(vpath));
		if (r < 0)
			pconn_reply_err(req, c, r, "read");
		else
			pconn_sys_read(req, c, vpath, size, off);
		return;
	}
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
			pconn_reply_fail(req, c, r, vfile_host_path((enum vfile)s->vfile));
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

/* The static children of static directory ino that the connection serves. */
static int list_static(fuse_ino_t ino, struct dirlist *l)
{
	for (size_t i = INO_ROOT + 1; i < SNODES_N; i++) {
		fuse_ino_t child = snode_slot_ino(i);
		const struct snode *cs = snode_get(child);
		int r;

		if (!cs || !cs->name || cs->parent != ino || !pconn_ino_served(child))
			continue;
		r = dirlist_add(l, cs->name, cs->vfile < 0 ? S_IFDIR : S_IFREG);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Directory ino as its container sees it, listed anew on every READDIR
 * (there is no OPENDIR, so no handle to keep it in): the kernel caches the
 * listing itself until the directory's mtime changes.
 */
static int list_dir(struct pconn *c, fuse_ino_t ino, struct dirlist *l)
{
	char vpath[PATH_MAX];
	int r;

	if (!ino_is_static(ino)) {
		r = dyn_vpath(c, ino, vpath, sizeof(vpath));
		return r < 0 ? r : pconn_sys_list(c, vpath, l);
	}
	if (!pconn_ino_served(ino) || snode_get(ino)->vfile >= 0)
		return -ENOTDIR;
	r = list_static(ino, l);
	if (r >= 0 && ino == INO_SYS_CPU)
		r = pconn_sys_list(c, "", l);
	return r;
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct pconn *c = req_pconn(req);
	_cleanup_free_ char *buf = malloc(size ? size : 1);
	struct dirlist l = { 0 };
	size_t pos = 0;
	int r;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	r = list_dir(c, ino, &l);
	if (r < 0) {
		free(l.e);
		pconn_reply_err(req, c, r, "readdir");
		return;
	}
	/* Offsets: 0 ".", 1 "..", then the listing; each entry's offset is the next one's. */
	for (size_t i = off < 0 ? 0 : (size_t)off; i < l.n + 2; i++) {
		const char *name = i == 0 ? "." : i == 1 ? ".." : l.e[i - 2].name;
		fuse_ino_t s = i >= 2 && ino_is_static(ino) ? snode_child(ino, name) : 0;
		struct stat st = { .st_ino = s ? s : UNKNOWN_INO };
		size_t need;

		st.st_mode = i < 2 ? S_IFDIR : l.e[i - 2].type;
		need = fuse_add_direntry(req, buf + pos, size - pos, name, &st, (off_t)(i + 1));
		if (need > size - pos)
			break;
		pos += need;
	}
	for (size_t i = 0; i < l.n; i++)
		free(l.e[i].name);
	free(l.e);
	fuse_reply_buf(req, buf, pos);
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
	.forget = pconn_op_forget,
	.forget_multi = pconn_op_forget_multi,
	.getattr = op_getattr,
	.readlink = op_readlink,
	.open = op_open,
	.read = op_read,
	.opendir = op_opendir,
	.readdir = op_readdir,
};
