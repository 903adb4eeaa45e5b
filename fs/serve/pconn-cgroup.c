/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The operations of a container's cgroup-tree connection: cgroup/ as the
 * shared mount serves it (cgroup-ops.c's hooks do every request below it,
 * with the caller's credentials), for the connection's container whoever
 * looks (cgroup-view.c), with entries and attributes cached by the kernel
 * for one render TTL (--cache-ms). Only the mount's way down to cgroup/NAME
 * is answered here.
 *
 * Files are opened here, unlike on the rendered files' connection: a write
 * is judged as its opener (the handle's), as cgroupfs judges it, and reads
 * pass through (direct_io, as on the shared mount): a cgroup file's size
 * says nothing. Listings are not cached either (no FOPEN_CACHE_DIR).
 *
 * What the daemon changes through this connection the kernel sees at once:
 * mkdir, rmdir and setattr replies update its dentries and attributes
 * itself, and the attributes of the parent are invalidated besides. A write
 * that moves a process may move the container's init, whose cgroup is the
 * root of the view: every attribute the kernel holds here is invalidated
 * after one. Changes made elsewhere (the host, a nested container's own
 * connection) show within the TTL.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup-view.h"
#include "daemon.h"
#include "handles.h"
#include "macro.h"
#include "ops.h"
#include "pconn-tree.h"
#include "pconn.h"
#include "reply.h"

/* The root and cgroup/ never change. */
#define DIR_TIMEOUT 3600.0
/* readdir entries: inodes are only assigned at lookup. */
#define UNKNOWN_INO 0xffffffffu

static const struct provider_ops *cg(void)
{
	return cgroup_provider.ops;
}

/* The path below cgroup/ of node ino: "" for cgroup/ itself; -ENOENT for the root. */
static int cg_vpath(struct pconn *c, fuse_ino_t ino, char *buf, size_t size)
{
	const struct provider *p;
	int r;

	if (ino == INO_CGROUP) {
		buf[0] = '\0';
		return 0;
	}
	if (ino_is_static(ino))
		return -ENOENT;
	r = nodes_path(&c->d->nodes, ino, buf, size, &p);
	return r < 0 ? r : p == &cgroup_provider ? 0 : -ENOENT;
}

/* Attributes of what the kernel may hold here besides the provider's nodes. */
static void inval_attrs(struct pconn *c, fuse_ino_t ino)
{
	(void)fuse_lowlevel_notify_inval_inode(c->se, ino, -1, 0);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct pconn *c = fuse_req_userdata(req);
	char vpath[PATH_MAX];
	int r;

	if (parent == INO_ROOT) {
		struct fuse_entry_param e = { .ino = INO_CGROUP, .entry_timeout = DIR_TIMEOUT };

		if (strcmp(name, "cgroup") != 0) {
			fuse_reply_err(req, ENOENT);
			return;
		}
		static_attr(c->d, INO_CGROUP, 0, &e.attr);
		e.attr_timeout = DIR_TIMEOUT;
		fuse_reply_entry(req, &e);
		return;
	}
	r = cg_vpath(c, parent, vpath, sizeof(vpath));
	if (r < 0)
		reply_err(req, r, "cgroup/ lookup");
	else
		cg()->lookup(req, vpath, name);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pconn *c = fuse_req_userdata(req);
	char vpath[PATH_MAX];
	struct stat st;
	int r;

	if (ino == INO_ROOT || ino == INO_CGROUP) {
		static_attr(c->d, ino, 0, &st);
		fuse_reply_attr(req, &st, DIR_TIMEOUT);
		return;
	}
	r = cg_vpath(c, ino, vpath, sizeof(vpath));
	if (r < 0)
		reply_err(req, r, "cgroup/ getattr");
	else
		cg()->getattr(req, ino, vpath);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char vpath[PATH_MAX];
	int r;

	r = ino == INO_CGROUP ? -EINVAL
			      : cg_vpath(fuse_req_userdata(req), ino, vpath, sizeof(vpath));
	if (r < 0)
		reply_err(req, r == -ENOENT ? -EINVAL : r, "cgroup/ readlink");
	else
		cg()->readlink(req, vpath);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	char vpath[PATH_MAX];
	int r;

	r = cg_vpath(fuse_req_userdata(req), ino, vpath, sizeof(vpath));
	if (r < 0)
		reply_err(req, ino_is_static(ino) ? -EISDIR : r, "cgroup/ open");
	else
		cg()->open(req, vpath, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct pconn *c = fuse_req_userdata(req);
	char vpath[PATH_MAX];
	struct handle h;
	int r;

	r = handles_get(&c->d->handles, fi->fh, &h);
	if (r == -ESTALE) {
		/* Opened by an earlier daemon: open again, as the shared mount does. */
		r = cg_vpath(c, ino, vpath, sizeof(vpath));
		if (r < 0)
			reply_err(req, r, "cgroup/ read");
		else
			cg()->read_foreign(req, vpath, size, off);
		return;
	}
	if (r < 0 || (h.kind != HANDLE_BLOB && h.kind != HANDLE_FD)) {
		if (r >= 0 && h.kind == HANDLE_DIR)
			r = -EISDIR;
		fuse_reply_err(req, r < 0 ? -r : EBADF);
		return;
	}
	if (h.kind == HANDLE_BLOB) {
		reply_slice(req, h.blob, size, off);
		blob_unref(h.blob);
	} else
		reply_pread(req, h.fd, size, off);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct pconn *c = fuse_req_userdata(req);
	char vpath[PATH_MAX];
	const char *name;
	int r;

	r = cg_vpath(c, ino, vpath, sizeof(vpath));
	if (r < 0) {
		reply_err(req, r == -ENOENT ? -EBADF : r, "cgroup/ write");
		return;
	}
	cg()->write(req, ino, buf, size, off, fi);
	name = strrchr(vpath, '/');
	/* A process moved, perhaps the init whose cgroup roots the view. */
	if (name && cgview_is_pidfile(name + 1))
		pconn_inval_held(c);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pconn *c = fuse_req_userdata(req);
	struct handle h;

	if (handles_remove(&c->d->handles, fi->fh, &h) >= 0)
		handle_drop(&h);
	fuse_reply_err(req, 0);
}

/* Directory ino for the connection's container; the root holds cgroup/ only. */
static int list_dir(fuse_req_t req, struct pconn *c, fuse_ino_t ino, struct dirlist **ret)
{
	struct dirlist *l = calloc(1, sizeof(*l));
	char vpath[PATH_MAX];
	int r;

	if (!l)
		return -ENOMEM;
	if (ino == INO_ROOT)
		r = dirlist_add(l, "cgroup", S_IFDIR);
	else {
		r = cg_vpath(c, ino, vpath, sizeof(vpath));
		if (r >= 0)
			r = cg()->list(req, vpath, l);
	}
	if (r < 0) {
		dirlist_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dirlist *l;
	int r;

	r = list_dir(req, fuse_req_userdata(req), ino, &l);
	if (r < 0) {
		reply_err(req, r, "cgroup/ opendir");
		return;
	}
	reply_open_handle(req, fi, &(struct handle){ .kind = HANDLE_DIR, .dir = l }, NULL);
}

static void reply_dir(fuse_req_t req, const struct dirlist *l, size_t size, off_t off)
{
	_cleanup_free_ char *buf = malloc(size ? size : 1);
	size_t pos = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* Offsets: 0 ".", 1 "..", then the listing; each entry's offset is the next one's. */
	for (size_t i = off < 0 ? 0 : (size_t)off; i < l->n + 2; i++) {
		const char *name = i == 0 ? "." : i == 1 ? ".." : l->e[i - 2].name;
		struct stat st = { .st_ino = UNKNOWN_INO };
		size_t need;

		st.st_mode = i < 2 ? S_IFDIR : l->e[i - 2].type;
		need = fuse_add_direntry(req, buf + pos, size - pos, name, &st, (off_t)(i + 1));
		if (need > size - pos)
			break;
		pos += need;
	}
	fuse_reply_buf(req, buf, pos);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct pconn *c = fuse_req_userdata(req);
	struct dirlist *l;
	struct handle h;
	int r;

	r = handles_get(&c->d->handles, fi->fh, &h);
	if (r == -ESTALE) {
		r = list_dir(req, c, ino, &l);
		if (r < 0) {
			reply_err(req, r, "cgroup/ readdir");
			return;
		}
		reply_dir(req, l, size, off);
		dirlist_free(l);
		return;
	}
	if (r < 0 || h.kind != HANDLE_DIR) {
		if (r >= 0 && h.kind == HANDLE_BLOB)
			blob_unref(h.blob);
		fuse_reply_err(req, EBADF);
		return;
	}
	reply_dir(req, h.dir, size, off);
}

static void op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	char vpath[PATH_MAX];
	int r;

	if (ino == INO_ROOT) {
		fuse_reply_err(req, (mask & W_OK) ? EACCES : 0);
		return;
	}
	r = cg_vpath(fuse_req_userdata(req), ino, vpath, sizeof(vpath));
	if (r < 0)
		reply_err(req, r, "cgroup/ access");
	else if (ino == INO_CGROUP)
		fuse_reply_err(req, (mask & W_OK) ? EACCES : 0);
	else
		cg()->access(req, vpath, mask);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	char vpath[PATH_MAX];
	int r;

	r = ino_is_static(ino) ? -EACCES
			       : cg_vpath(fuse_req_userdata(req), ino, vpath, sizeof(vpath));
	if (r < 0)
		reply_err(req, r, "cgroup/ setattr");
	else
		cg()->setattr(req, ino, vpath, attr, to_set);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct pconn *c = fuse_req_userdata(req);
	char vpath[PATH_MAX];
	int r;

	r = cg_vpath(c, parent, vpath, sizeof(vpath));
	if (r < 0) {
		reply_err(req, r == -ENOENT ? -EACCES : r, "cgroup/ mkdir");
		return;
	}
	cg()->mkdir(req, vpath, name, mode);
	inval_attrs(c, parent);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct pconn *c = fuse_req_userdata(req);
	char vpath[PATH_MAX];
	int r;

	r = cg_vpath(c, parent, vpath, sizeof(vpath));
	if (r < 0) {
		reply_err(req, r == -ENOENT ? -EACCES : r, "cgroup/ rmdir");
		return;
	}
	cg()->rmdir(req, vpath, name);
	inval_attrs(c, parent);
}

static void op_refuse(fuse_req_t req)
{
	fuse_reply_err(req, EACCES);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	op_refuse(req);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	op_refuse(req);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	op_refuse(req);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	op_refuse(req);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	op_refuse(req);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	op_refuse(req);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	conn->max_write = PCONN_MAX_WRITE;
	/* Entries are looked up one by one, each counted (READDIRPLUS would count none). */
	conn->want &= ~(unsigned)(FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO);
	/*
	 * No async direct I/O: a background write's sender may exit and its
	 * pid be reused while we serve it, and then be judged as another
	 * process (ops.c's op_init says more).
	 */
	conn->want &= ~(unsigned)FUSE_CAP_ASYNC_DIO;
}

const struct fuse_lowlevel_ops pconn_cg_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = pconn_op_forget,
	.forget_multi = pconn_op_forget_multi,
	.getattr = op_getattr,
	.readlink = op_readlink,
	.access = op_access,
	.setattr = op_setattr,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.rename = op_rename,
	.symlink = op_symlink,
	.link = op_link,
	.create = op_create,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.release = op_release,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_release,
};
