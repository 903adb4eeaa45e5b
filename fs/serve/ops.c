/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The FUSE low-level operations. Static nodes are answered from the fixed
 * table, rendered files from content_get(), provider nodes from the host
 * path their provider maps them to for the reader.
 */
#include "ops.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "content.h"
#include "daemon.h"
#include "macro.h"
#include "reply.h"

/* What never changes may be cached by the kernel for long. */
#define STATIC_TIMEOUT 3600.0
/* Provider nodes the same for every reader; a second keeps lscpu's bursts cheap. */
#define SHARED_TIMEOUT 1.0
/* readdir entries of provider nodes: their inodes are only assigned at lookup. */
#define UNKNOWN_INO    0xffffffffu

static struct daemon *req_daemon(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/*
 * Errors readers cause (a reader that exited, a container whose cgroup is
 * gone) are EIO to the reader and a rate-limited debug line here: never the
 * host's values instead.
 */
/*
 * ESTALE to the kernel means "this nodeid is unknown, look the path up
 * again"; a cgroup file that vanished under a read is something else.
 */
static int host_error(int r)
{
	return r == -ESTALE ? -EIO : r;
}

static int reader_ctr(fuse_req_t req, struct ctr **ret)
{
	return ctr_get(req_daemon(req), fuse_req_ctx(req)->pid, ret);
}

/*
 * The hooks of the provider that serves ino, and the node's path below the
 * provider's root into buf; NULL when ops.c serves ino itself. A static
 * directory with a provider is that provider's root (vpath ""): root says
 * whether the operation goes to the provider there too.
 */
static const struct provider_ops *node_ops(fuse_req_t req, fuse_ino_t ino, bool root, char *buf,
					   size_t size)
{
	const struct provider *p;

	if (ino_is_static(ino)) {
		const struct snode *s = snode_get(ino);

		if (!root || !s || !s->provider)
			return NULL;
		buf[0] = '\0';
		return s->provider->ops;
	}
	if (nodes_path(&req_daemon(req)->nodes, ino, buf, size, &p) < 0)
		return NULL;
	return p->ops;
}

/*
 * A rendered file has the host file's owner and mode, without write bits:
 * /proc/slabinfo is 0400 root (slab counts help heap exploits), and what
 * the host's file does not give a reader, ours must not either (may_read()
 * at open). A host file we cannot stat (no PSI) is served as 0444 root.
 */
void vfile_attrs_load(struct daemon *d)
{
	for (size_t k = 0; k < _VF_MAX; k++) {
		struct stat host;

		if (fstatat(d->root_fd, vfile_host_path((enum vfile)k), &host, 0) < 0)
			host = (struct stat){ .st_mode = 0444 };
		d->vfile_attr[k] =
			(struct vfile_attr){ host.st_mode & 0555, host.st_uid, host.st_gid };
	}
}

void static_attr(const struct daemon *d, fuse_ino_t ino, size_t size, struct stat *st)
{
	const struct snode *s = snode_get(ino);

	*st = (struct stat){ .st_ino = ino };
	if (s->vfile < 0) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else {
		const struct vfile_attr *a = &d->vfile_attr[s->vfile];

		st->st_mode = S_IFREG | a->mode;
		st->st_uid = a->uid;
		st->st_gid = a->gid;
		st->st_nlink = 1;
		st->st_size = (off_t)size;
	}
	st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec = (time_t)d->start_sec;
}

static void reply_static_entry(fuse_req_t req, fuse_ino_t ino)
{
	const struct snode *s = snode_get(ino);
	struct fuse_entry_param e = { .ino = ino, .entry_timeout = STATIC_TIMEOUT };

	static_attr(req_daemon(req), ino, 0, &e.attr);
	/* A rendered file's size depends on who asks: getattr must always come to us. */
	e.attr_timeout = s->vfile < 0 ? STATIC_TIMEOUT : 0;
	fuse_reply_entry(req, &e);
}

/* Provider node: its host path for this reader. */
static int dyn_host_path(fuse_req_t req, const struct provider *p, const char *vpath, char *buf,
			 size_t size)
{
	struct daemon *d = req_daemon(req);
	struct ctr *x;
	int r;

	r = reader_ctr(req, &x);
	if (r < 0)
		return host_error(r);
	r = p->map(d, x, vpath, buf, size);
	ctr_unref(x);
	return r == -ENOENT ? r : host_error(r);
}

static int dyn_stat(fuse_req_t req, const struct provider *p, const char *vpath, fuse_ino_t ino,
		    struct stat *st)
{
	struct daemon *d = req_daemon(req);
	char host[PATH_MAX];
	int r;

	r = dyn_host_path(req, p, vpath, host, sizeof(host));
	if (r < 0)
		return r;
	if (fstatat(d->root_fd, host, st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	st->st_ino = ino;
	/* Read-only view: no write bits, so tools don't offer what open() refuses. */
	if (!S_ISLNK(st->st_mode))
		st->st_mode &= ~(mode_t)0222;
	return 0;
}

/*
 * The kernel's check for the mode bits we report, done here since the mount
 * has no default_permissions. Host root may read anything, as with
 * CAP_DAC_OVERRIDE; a container's root is another uid on the host and, like
 * on the real sysfs, only gets what the mode gives others.
 */
static bool may_read(fuse_req_t req, const struct stat *st)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	if (ctx->uid == 0)
		return true;
	if (ctx->uid == st->st_uid)
		return st->st_mode & S_IRUSR;
	if (ctx->gid == st->st_gid)
		return st->st_mode & S_IRGRP;
	return st->st_mode & S_IROTH;
}

static void lookup_dynamic(fuse_req_t req, const struct provider *p, const char *parent_vpath,
			   const char *name)
{
	struct daemon *d = req_daemon(req);
	struct fuse_entry_param e = { 0 };
	char vpath[PATH_MAX];
	double timeout;
	int r, n;

	if (p->ops && p->ops->lookup) {
		p->ops->lookup(req, parent_vpath, name);
		return;
	}
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strchr(name, '/')) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	n = snprintf(vpath, sizeof(vpath), "%s%s%s", parent_vpath, *parent_vpath ? "/" : "", name);
	if (n < 0 || (size_t)n >= sizeof(vpath)) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	r = dyn_stat(req, p, vpath, 0, &e.attr);
	if (r >= 0)
		r = nodes_lookup(&d->nodes, p, vpath, &e.ino);
	if (r < 0) {
		reply_err(req, r, "lookup");
		return;
	}
	e.attr.st_ino = e.ino;
	timeout = p->shared(vpath) ? SHARED_TIMEOUT : 0;
	e.entry_timeout = e.attr_timeout = timeout;
	/* The kernel may drop the reply (interrupted): then it never forgets, so count nothing. */
	if (fuse_reply_entry(req, &e) < 0)
		nodes_forget(&d->nodes, e.ino, 1);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct daemon *d = req_daemon(req);
	const struct provider *p;
	char vpath[PATH_MAX];
	fuse_ino_t child;
	int r;

	if (ino_is_static(parent)) {
		const struct snode *s = snode_get(parent);

		child = snode_child(parent, name);
		if (child) {
			reply_static_entry(req, child);
			return;
		}
		if (!s || !s->provider) {
			fuse_reply_err(req, ENOENT);
			return;
		}
		lookup_dynamic(req, s->provider, "", name);
		return;
	}
	r = nodes_path(&d->nodes, parent, vpath, sizeof(vpath), &p);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	lookup_dynamic(req, p, vpath, name);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	if (!ino_is_static(ino))
		nodes_forget(&req_daemon(req)->nodes, ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		if (!ino_is_static(forgets[i].ino))
			nodes_forget(&req_daemon(req)->nodes, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void getattr_static(fuse_req_t req, fuse_ino_t ino)
{
	struct daemon *d = req_daemon(req);
	const struct snode *s = snode_get(ino);
	struct blob *b = NULL;
	struct ctr *x;
	struct stat st;
	size_t size = 0;

	/* The exact size this reader would read, so `tail -c` and friends seek right. */
	static_attr(d, ino, 0, &st);
	if (s->vfile >= 0 && may_read(req, &st) && reader_ctr(req, &x) >= 0) {
		if (content_get(d, x, (enum vfile)s->vfile, &b) >= 0) {
			size = b->len;
			blob_unref(b);
		}
		ctr_unref(x);
	}
	static_attr(d, ino, size, &st);
	fuse_reply_attr(req, &st, s->vfile < 0 ? STATIC_TIMEOUT : 0);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct daemon *d = req_daemon(req);
	const struct provider *p;
	char vpath[PATH_MAX];
	struct stat st;
	int r;

	if (ino_is_static(ino)) {
		getattr_static(req, ino);
		return;
	}
	r = nodes_path(&d->nodes, ino, vpath, sizeof(vpath), &p);
	if (r >= 0 && p->ops && p->ops->getattr) {
		p->ops->getattr(req, ino, vpath);
		return;
	}
	if (r >= 0)
		r = dyn_stat(req, p, vpath, ino, &st);
	if (r < 0) {
		reply_err(req, r, "getattr");
		return;
	}
	fuse_reply_attr(req, &st, p->shared(vpath) ? SHARED_TIMEOUT : 0);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct daemon *d = req_daemon(req);
	char vpath[PATH_MAX], host[PATH_MAX], target[PATH_MAX];
	const struct provider *p;
	ssize_t n;
	int r;

	if (ino_is_static(ino)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	r = nodes_path(&d->nodes, ino, vpath, sizeof(vpath), &p);
	if (r >= 0 && p->ops && p->ops->readlink) {
		p->ops->readlink(req, vpath);
		return;
	}
	if (r >= 0)
		r = dyn_host_path(req, p, vpath, host, sizeof(host));
	if (r < 0) {
		reply_err(req, r, "readlink");
		return;
	}
	n = readlinkat(d->root_fd, host, target, sizeof(target) - 1);
	if (n < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	target[n] = '\0';
	fuse_reply_readlink(req, target);
}

/* The bytes of static node s for this reader, or NULL with the error replied. */
static struct blob *render_for_reader(fuse_req_t req, const struct snode *s)
{
	struct stat st;
	struct blob *b;
	struct ctr *x;
	int r;

	if (!s || s->vfile < 0) {
		fuse_reply_err(req, EISDIR);
		return NULL;
	}
	static_attr(req_daemon(req), vfile_ino((enum vfile)s->vfile), 0, &st);
	if (!may_read(req, &st)) {
		fuse_reply_err(req, EACCES);
		return NULL;
	}
	r = reader_ctr(req, &x);
	if (r >= 0) {
		r = content_get(req_daemon(req), x, (enum vfile)s->vfile, &b);
		ctr_unref(x);
	}
	if (r < 0) {
		reply_fail(req, r, vfile_host_path((enum vfile)s->vfile));
		return NULL;
	}
	return b;
}

static void open_static(fuse_req_t req, const struct snode *s, struct fuse_file_info *fi)
{
	/* Rendered once, at open: every read of this handle slices the same bytes. */
	struct blob *b = render_for_reader(req, s);

	if (b)
		reply_open_handle(req, fi, &(struct handle){ .kind = HANDLE_BLOB, .blob = b },
				  NULL);
}

/* The host file of dynamic node ino for this reader, opened for reading. */
static int open_dynamic(fuse_req_t req, fuse_ino_t ino, int *ret_fd)
{
	struct daemon *d = req_daemon(req);
	char vpath[PATH_MAX], host[PATH_MAX];
	const struct provider *p;
	struct stat st;
	int r, fd;

	r = nodes_path(&d->nodes, ino, vpath, sizeof(vpath), &p);
	if (r >= 0)
		r = dyn_host_path(req, p, vpath, host, sizeof(host));
	if (r < 0)
		return r;
	fd = openat(d->root_fd, host, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !may_read(req, &st)) {
		close(fd);
		return -EACCES;
	}
	*ret_fd = fd;
	return 0;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	const struct provider_ops *po;
	char vpath[PATH_MAX];
	int r, fd;

	po = node_ops(req, ino, true, vpath, sizeof(vpath));
	if (po && po->open) {
		po->open(req, vpath, fi);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	/* Sizes are not known before reading: the kernel must pass every read through. */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	/* Nothing to flush on close: spare the round trip. */
	fi->noflush = 1;
	if (ino_is_static(ino)) {
		open_static(req, snode_get(ino), fi);
		return;
	}
	r = open_dynamic(req, ino, &fd);
	if (r < 0) {
		reply_err(req, r, "open");
		return;
	}
	reply_open_handle(req, fi, &(struct handle){ .kind = HANDLE_FD, .fd = fd }, NULL);
}

/*
 * A handle opened by an earlier daemon: serve the read as a fresh open
 * would. A rendered file is rendered again for the reader, so a file read in
 * pieces across a restart may join two renders; most readers take it whole.
 */
static void read_foreign(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off)
{
	const struct provider_ops *po;
	char vpath[PATH_MAX];
	struct blob *b;
	int r, fd;

	po = node_ops(req, ino, true, vpath, sizeof(vpath));
	if (po && po->read_foreign) {
		po->read_foreign(req, vpath, size, off);
		return;
	}
	if (ino_is_static(ino)) {
		b = render_for_reader(req, snode_get(ino));
		if (b) {
			reply_slice(req, b, size, off);
			blob_unref(b);
		}
		return;
	}
	r = open_dynamic(req, ino, &fd);
	if (r < 0) {
		reply_err(req, r, "read");
		return;
	}
	reply_pread(req, fd, size, off);
	close(fd);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct handle h;
	int r;

	r = handles_get(&req_daemon(req)->handles, fi->fh, &h);
	if (r == -ESTALE) {
		read_foreign(req, ino, size, off);
		return;
	}
	if (r < 0 || (h.kind != HANDLE_BLOB && h.kind != HANDLE_FD)) {
		fuse_reply_err(req, EBADF);
		return;
	}
	if (h.kind == HANDLE_BLOB) {
		reply_slice(req, h.blob, size, off);
		blob_unref(h.blob);
	} else
		reply_pread(req, h.fd, size, off);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle h;

	/* A foreign handle holds nothing here. */
	if (handles_remove(&req_daemon(req)->handles, fi->fh, &h) >= 0)
		handle_drop(&h);
	fuse_reply_err(req, 0);
}

static int list_static(fuse_req_t req, fuse_ino_t ino, struct dirlist *l)
{
	const struct snode *s = snode_get(ino);
	struct ctr *x;
	int r;

	for (size_t i = INO_ROOT + 1; i < SNODES_N; i++) {
		const struct snode *c = snode_get(snode_slot_ino(i));

		if (c->parent != ino)
			continue;
		r = dirlist_add(l, c->name, c->vfile < 0 ? S_IFDIR : S_IFREG);
		if (r < 0)
			return r;
	}
	if (!s->provider)
		return 0;
	r = reader_ctr(req, &x);
	if (r < 0)
		return host_error(r);
	r = s->provider->list_root(req_daemon(req), x, l);
	ctr_unref(x);
	return host_error(r);
}

/* The listing of directory ino for this reader. */
static int list_dir(fuse_req_t req, fuse_ino_t ino, struct dirlist **ret)
{
	struct daemon *d = req_daemon(req);
	char vpath[PATH_MAX], host[PATH_MAX];
	const struct provider *p;
	struct dirlist *l;
	int r;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	if (ino_is_static(ino)) {
		const struct snode *s = snode_get(ino);

		r = s && s->vfile < 0 ? list_static(req, ino, l) : -ENOTDIR;
	} else {
		r = nodes_path(&d->nodes, ino, vpath, sizeof(vpath), &p);
		if (r >= 0 && p->ops && p->ops->list)
			r = p->ops->list(req, vpath, l);
		else if (r >= 0) {
			r = dyn_host_path(req, p, vpath, host, sizeof(host));
			if (r >= 0)
				r = dirlist_add_host(l, d->root_fd, host, NULL, NULL);
		}
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

	r = list_dir(req, ino, &l);
	if (r < 0) {
		reply_err(req, r, "opendir");
		return;
	}
	reply_open_handle(req, fi, &(struct handle){ .kind = HANDLE_DIR, .dir = l }, NULL);
}

static void reply_dir(fuse_req_t req, fuse_ino_t ino, const struct dirlist *l, size_t size,
		      off_t off)
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

		if (i < 2)
			st.st_mode = S_IFDIR;
		else {
			fuse_ino_t s = ino_is_static(ino) ? snode_child(ino, name) : 0;

			st.st_mode = l->e[i - 2].type;
			if (s)
				st.st_ino = s;
		}
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
	struct dirlist *l;
	struct handle h;
	int r;

	r = handles_get(&req_daemon(req)->handles, fi->fh, &h);
	if (r == -ESTALE) {
		/* Opened by an earlier daemon: list again; offsets are positions in the listing. */
		r = list_dir(req, ino, &l);
		if (r < 0) {
			reply_err(req, r, "readdir");
			return;
		}
		reply_dir(req, ino, l, size, off);
		dirlist_free(l);
		return;
	}
	if (r < 0 || h.kind != HANDLE_DIR) {
		fuse_reply_err(req, EBADF);
		return;
	}
	reply_dir(req, ino, h.dir, size, off);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle h;

	if (handles_remove(&req_daemon(req)->handles, fi->fh, &h) >= 0)
		handle_drop(&h);
	fuse_reply_err(req, 0);
}

/* access(2): nothing here is writable; reading follows the modes, as open() does. */
static void op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct daemon *d = req_daemon(req);
	const struct provider_ops *po;
	const struct provider *p;
	char vpath[PATH_MAX];
	struct stat st;
	int r;

	po = node_ops(req, ino, false, vpath, sizeof(vpath));
	if (po && po->access) {
		po->access(req, vpath, mask);
		return;
	}
	if (mask & W_OK) {
		fuse_reply_err(req, EACCES);
		return;
	}
	if (ino_is_static(ino)) {
		fuse_reply_err(req, 0);
		return;
	}
	r = nodes_path(&d->nodes, ino, vpath, sizeof(vpath), &p);
	if (r >= 0)
		r = dyn_stat(req, p, vpath, ino, &st);
	if (r < 0) {
		reply_err(req, r, "access");
		return;
	}
	fuse_reply_err(req, (mask & R_OK) && !may_read(req, &st) ? EACCES : 0);
}

/*
 * Nothing here may be changed: say so, rather than the ENOSYS that missing
 * operations get. A writable subtree (cgroup/) dispatches to its provider.
 */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	const struct provider_ops *po;
	char vpath[PATH_MAX];

	po = node_ops(req, ino, false, vpath, sizeof(vpath));
	if (po && po->setattr) {
		po->setattr(req, ino, vpath, attr, to_set);
		return;
	}
	fuse_reply_err(req, EACCES);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	fuse_reply_err(req, EACCES);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	const struct provider_ops *po;
	char vpath[PATH_MAX];

	po = node_ops(req, parent, true, vpath, sizeof(vpath));
	if (po && po->mkdir) {
		po->mkdir(req, vpath, name, mode);
		return;
	}
	fuse_reply_err(req, EACCES);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	const struct provider_ops *po;
	char vpath[PATH_MAX];

	po = node_ops(req, parent, true, vpath, sizeof(vpath));
	if (po && po->rmdir) {
		po->rmdir(req, vpath, name);
		return;
	}
	fuse_reply_err(req, EACCES);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	const struct provider_ops *po;
	char vpath[PATH_MAX];

	po = node_ops(req, ino, false, vpath, sizeof(vpath));
	if (po && po->write) {
		po->write(req, ino, buf, size, off, fi);
		return;
	}
	fuse_reply_err(req, EBADF);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EACCES);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	fuse_reply_err(req, EACCES);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EACCES);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	fuse_reply_err(req, EACCES);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	fuse_reply_err(req, EACCES);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct daemon *d = userdata;
	uint32_t max_write = d->conn.journal.base ? journal_max_write(&d->conn.journal) : 0;

	/*
	 * The kernel keeps the max_write of the connection's first INIT, and a
	 * daemon attaching later must read with buffers that large. Ours is
	 * what a journal slot holds; writes here are a few bytes into cgroup
	 * files.
	 */
	conn->max_write = max_write ? max_write : JOURNAL_MAX_WRITE;
	/* Entries differ per reader: READDIRPLUS would cache one reader's attributes for all. */
	conn->want &= ~(unsigned)FUSE_CAP_READDIRPLUS;
	conn->want &= ~(unsigned)FUSE_CAP_READDIRPLUS_AUTO;
	/*
	 * No async direct I/O. With it an io_submit()'ed write on a direct_io
	 * file (all of ours) goes out as a background request: the submitter
	 * does not wait for our answer, may exit, and its pid be reused while
	 * we serve the request, which would then be resolved (container, pid
	 * namespace, credentials) as another process. A synchronous request
	 * holds its sender in the kernel until we answer, even when killed, so
	 * the pid in it names the process that made it.
	 */
	conn->want &= ~(unsigned)FUSE_CAP_ASYNC_DIO;
}

const struct fuse_lowlevel_ops burrowfs_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
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
	.releasedir = op_releasedir,
};
