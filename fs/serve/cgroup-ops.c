/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The FUSE operations of cgroup/. Every check the kernel would make on the
 * real cgroupfs is made by the kernel, on the real cgroupfs: the worker
 * thread takes the caller's ids, groups and (no more than its) capabilities
 * (cgcred_begin, caller.c) around each open, write, mkdir, rmdir, chmod and
 * access, so a delegated cgroup is writable by the container's root exactly
 * when its files say so, and a pid moves only when the kernel would move it
 * for the caller. What the kernel cannot know is added here: the
 * confinement to the reader's cgroups, and pids translated between the
 * caller's pid namespace and ours.
 *
 * These are the hooks of the cgroup provider (struct provider_ops): ops.c
 * hands every request on a node below cgroup/ to them, and each replies to
 * req itself. vpath is the node's path below cgroup/ ("" for cgroup/
 * itself, which ops.c answers as a static directory but for open, mkdir,
 * rmdir and its listing).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-view.h"
#include "daemon.h"
#include "macro.h"
#include "pconn-tree.h"
#include "reply.h"
#include "resolve.h"
#include "serving.h"

/* The largest pid list we translate at open: 4M pids of 8 digits. */
#define PIDFILE_MAX (32u << 20)

static int join_vpath(char *buf, size_t size, const char *parent, const char *name)
{
	int n;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strchr(name, '/') || !*name)
		return -ENOENT;
	n = snprintf(buf, size, "%s%s%s", parent, *parent ? "/" : "", name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The attributes of a resolved path; ABOVE shows a bare directory. */
static int view_stat(const struct cgview *v, struct stat *st)
{
	_cleanup_close_ int fd = -EBADF;

	if (v->where == BURROW_CGTREE_OUTSIDE)
		return -ENOENT;
	fd = cgview_open(v, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0)
		return -errno;
	if (v->where == BURROW_CGTREE_ABOVE)
		st->st_mode = S_IFDIR | 0555;
	return 0;
}

static int stat_vpath(fuse_req_t req, const char *vpath, struct stat *st)
{
	_cleanup_cgview_ struct cgview v = CGVIEW_INIT;
	int r;

	r = cgview_resolve(req, vpath, &v);
	if (r < 0)
		return r;
	return view_stat(&v, st);
}

/*
 * How long the kernel may keep entries and attributes. On the shared mount
 * every reader sees its own tree: nothing may be cached across readers. A
 * container's own connection shows one container's tree to whoever looks
 * (cgroup-view.c): there they live one render TTL (--cache-ms).
 */
static double cache_timeout(fuse_req_t req)
{
	return serving_pconn() ? (double)serving_daemon(req)->cache_ns / 1e9 : 0;
}

/* Owners stay host ids: the kernel maps them into the reader's user namespace itself. */
static void reply_entry(fuse_req_t req, const char *vpath, struct stat *st)
{
	struct daemon *d = serving_daemon(req);
	struct pconn *pc = serving_pconn();
	struct fuse_entry_param e = { .attr = *st };
	int r;

	/* A connection counts its own lookups: FORGET comes per superblock. */
	r = pc ? pconn_node_lookup(pc, &cgroup_provider, vpath, &e.ino)
	       : nodes_lookup(&d->nodes, &cgroup_provider, vpath, &e.ino);
	if (r < 0) {
		reply_err(req, r, "cgroup/");
		return;
	}
	e.attr.st_ino = e.ino;
	e.entry_timeout = e.attr_timeout = cache_timeout(req);
	if (fuse_reply_entry(req, &e) >= 0)
		return;
	if (pc)
		pconn_node_forget(pc, e.ino, 1);
	else
		nodes_forget(&d->nodes, e.ino, 1);
}

static void cgops_lookup(fuse_req_t req, const char *parent_vpath, const char *name)
{
	char vpath[BURROW_CGTREE_PATH_MAX];
	struct stat st;
	int r;

	r = join_vpath(vpath, sizeof(vpath), parent_vpath, name);
	if (r >= 0)
		r = stat_vpath(req, vpath, &st);
	if (r < 0) {
		reply_err(req, r, "cgroup/");
		return;
	}
	reply_entry(req, vpath, &st);
}

static void cgops_getattr(fuse_req_t req, fuse_ino_t ino, const char *vpath)
{
	struct stat st;
	int r;

	r = stat_vpath(req, vpath, &st);
	if (r < 0) {
		reply_err(req, r, "cgroup/");
		return;
	}
	st.st_ino = ino;
	fuse_reply_attr(req, &st, cache_timeout(req));
}

/* The target of the symlink at vpath, into buf. */
static int read_link(fuse_req_t req, const char *vpath, char *buf, size_t size)
{
	_cleanup_cgview_ struct cgview v = CGVIEW_INIT;
	_cleanup_close_ int fd = -EBADF;
	ssize_t n;
	int r;

	r = cgview_resolve(req, vpath, &v);
	if (r < 0)
		return r;
	if (v.where != BURROW_CGTREE_INSIDE)
		return v.where == BURROW_CGTREE_OUTSIDE ? -ENOENT : -EINVAL;
	fd = cgview_open(&v, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return fd;
	n = readlinkat(fd, "", buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static void cgops_readlink(fuse_req_t req, const char *vpath)
{
	char target[PATH_MAX];
	int r;

	r = read_link(req, vpath, target, sizeof(target));
	if (r < 0) {
		reply_err(req, r, "cgroup/");
		return;
	}
	fuse_reply_readlink(req, target);
}

/* Takes fd. */
static int list_fd(struct dirlist *l, int fd)
{
	_cleanup_closedir_ DIR *dir = fdopendir(fd);
	struct dirent *de;

	if (!dir) {
		close(fd);
		return -ENOMEM;
	}
	while ((de = readdir(dir))) {
		mode_t type = de->d_type == DT_DIR   ? S_IFDIR
			      : de->d_type == DT_REG ? S_IFREG
			      : de->d_type == DT_LNK ? S_IFLNK
						     : 0;
		int r;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = dirlist_add(l, de->d_name, type);
		if (r < 0)
			return r;
	}
	return 0;
}

static int cgops_list(fuse_req_t req, const char *vpath, struct dirlist *l)
{
	struct daemon *d = serving_daemon(req);
	_cleanup_cgview_ struct cgview v = CGVIEW_INIT;
	char next[NAME_MAX + 1];
	int fd, r;

	if (!*vpath)
		return cgview_list_hierarchies(d, l);
	r = cgview_resolve(req, vpath, &v);
	if (r < 0)
		return r;
	switch (v.where) {
	case BURROW_CGTREE_OUTSIDE:
		return -ENOENT;
	case BURROW_CGTREE_ABOVE:
		if (v.next_len > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(next, v.next, v.next_len);
		next[v.next_len] = '\0';
		return dirlist_add(l, next, S_IFDIR);
	default:
		fd = cgview_open(&v, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		return fd >= 0 ? list_fd(l, fd) : fd;
	}
}

/* ---- files ---------------------------------------------------------------- */

/* Opens the view's file as who, the kernel checking its mode and owner. */
static int open_as(struct daemon *d, const struct caller *who, const struct cgview *v, int flags)
{
	struct cgcred c;
	int r;

	if (v->where != BURROW_CGTREE_INSIDE)
		return v->where == BURROW_CGTREE_OUTSIDE ? -ENOENT : -EISDIR;
	r = cgcred_begin_as(d, who, &c);
	if (r < 0)
		return r;
	r = cgview_open(v, flags | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	cgcred_end(&c);
	return r;
}

/* The pid list of fd, renumbered for the reader's pid namespace. */
static int read_pids(fuse_req_t req, int fd, struct blob **ret)
{
	struct daemon *d = serving_daemon(req);
	_cleanup_strbuf_ struct strbuf raw = STRBUF_INIT, out = STRBUF_INIT;
	struct burrow_pidns ns;
	char *data;
	size_t len;
	int r;

	r = cgview_req_pidns(req, &ns);
	if (r < 0)
		return r;
	for (;;) {
		ssize_t n;

		r = strbuf_reserve(&raw, 65536);
		if (r < 0)
			return r;
		n = read(fd, raw.buf + raw.len, raw.cap - raw.len - 1);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		raw.len += (size_t)n;
		raw.buf[raw.len] = '\0';
		if (raw.len > PIDFILE_MAX)
			return -EFBIG;
	}
	if (!raw.buf)
		strbuf_puts(&raw, "");
	r = burrow_cgtree_translate_pids(d->root_fd, raw.buf, &ns, &out);
	if (r < 0)
		return r;
	if (!out.buf)
		strbuf_puts(&out, "");
	data = strbuf_steal(&out, &len);
	if (!data)
		return -ENOMEM;
	*ret = blob_new(data, len);
	if (!*ret) {
		free(data);
		return -ENOMEM;
	}
	return 0;
}

/*
 * The file at vpath opened as who, into *ret_fd; a pid list opened for
 * reading is read and renumbered at once, into *ret_blob instead.
 */
static int open_file(fuse_req_t req, const char *vpath, int flags, const struct caller *who,
		     int *ret_fd, struct blob **ret_blob)
{
	_cleanup_cgview_ struct cgview v = CGVIEW_INIT;
	_cleanup_close_ int fd = -EBADF;
	int acc = flags & O_ACCMODE;
	bool pids;
	int r;

	r = cgview_resolve(req, vpath, &v);
	if (r < 0)
		return r;
	pids = !v.host && cgview_is_pidfile(v.name);
	/* A pid list is translated whole at open, for reading or for writing: not both. */
	if (pids && acc == O_RDWR)
		return -EACCES;
	fd = open_as(serving_daemon(req), who, &v, acc | (flags & O_TRUNC));
	if (fd < 0)
		return fd;
	if (pids && acc == O_RDONLY)
		return read_pids(req, fd, ret_blob);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static void cgops_open(fuse_req_t req, const char *vpath, struct fuse_file_info *fi)
{
	_cleanup_free_ struct caller *who = malloc(sizeof(*who));
	int acc = fi->flags & O_ACCMODE, fd = -EBADF;
	struct blob *b = NULL;
	struct handle h;
	int r;

	r = who ? cgcred_caller(req, who) : -ENOMEM;
	if (r >= 0)
		r = open_file(req, vpath, fi->flags, who, &fd, &b);
	if (r < 0) {
		reply_err(req, r, "cgroup/");
		return;
	}
	/* cgroup files have no size worth trusting: every read comes to us. */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->noflush = 1;
	if (b) {
		reply_open_handle(req, fi, &(struct handle){ .kind = HANDLE_BLOB, .blob = b }, who);
		return;
	}
	h = (struct handle){ .kind = HANDLE_FD, .fd = fd };
	/* Writes are judged as their opener (cgops_write), who the handle now owns. */
	if (acc != O_RDONLY)
		h.opener = who;
	reply_open_handle(req, fi, &h, who);
	if (h.opener)
		who = NULL;
}

static void cgops_read_foreign(fuse_req_t req, const char *vpath, size_t size, off_t off)
{
	_cleanup_close_ int fd = -EBADF;
	struct blob *b = NULL;
	struct caller who;
	int r;

	r = cgcred_caller(req, &who);
	if (r >= 0)
		r = open_file(req, vpath, O_RDONLY, &who, &fd, &b);
	if (r < 0) {
		reply_err(req, r, "cgroup/");
		return;
	}
	if (b) {
		reply_slice(req, b, size, off);
		blob_unref(b);
		return;
	}
	reply_pread(req, fd, size, off);
}

/* A cgroup of the container of req's caller, below the root fd; any hierarchy holds it all. */
static int caller_cgroup(fuse_req_t req, char *buf, size_t size, bool *ret_v2)
{
	struct daemon *d = serving_daemon(req);
	const struct burrow_container *c;
	const struct burrow_cgpath *p;
	struct ctr *x;
	int r;

	r = ctr_get(d, fuse_req_ctx(req)->pid, &x);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	pthread_mutex_lock(&x->lock);
	r = ctr_container_locked(d, x, &c);
	if (r >= 0) {
		/* The cgroup listing the container's tasks; none: no tid of its own. */
		p = burrow_container_tasks_cg(c);
		if (!p)
			r = -ESRCH;
		else if (snprintf(buf, size, "%s", p->path) >= (int)size)
			r = -ENAMETOOLONG;
		else
			*ret_v2 = p->v2;
	}
	pthread_mutex_unlock(&x->lock);
	ctr_unref(x);
	return r < 0 ? r : 0;
}

/*
 * The host's number of the thread tid of the caller's pid namespace ns.
 * Linux 6.11 answers with one lookup in its pid hash (the ioctl). Before
 * it, we search only the threads that the container's own cgroups list:
 * scanning every /proc/(pid)/task/(tid) of the host instead made each
 * write of a container's tasks loop cost a walk of the whole machine, and
 * a thread outside its cgroups is none the container may move anyway. A
 * tid in cgroup.procs stands for its thread group, there as on cgroupfs.
 */
static int host_tid(fuse_req_t req, const struct burrow_pidns *ns, pid_t tid, pid_t *ret)
{
	struct daemon *d = serving_daemon(req);
	char cg[PATH_MAX];
	bool v2 = false;
	int r;

	r = burrow_tid_from_ns_ioctl(d->root_fd, fuse_req_ctx(req)->pid, ns->inode, tid, ret);
	if (r != -EOPNOTSUPP)
		return r;
	r = caller_cgroup(req, cg, sizeof(cg), &v2);
	if (r < 0)
		return r;
	return burrow_pid_from_ns_in(d->root_fd, cg, v2, tid, ns, ret);
}

/*
 * "123\n" written by the caller to pid file name: the same thread, numbered
 * as the host numbers it (every pid file takes any thread id, see host_tid).
 */
static int pid_from_caller(fuse_req_t req, const char *name, const char *buf, size_t size,
			   char *out, size_t out_size)
{
	struct burrow_pidns ns;
	char text[32];
	uint64_t v;
	pid_t host;
	int r;

	if (size == 0 || size >= sizeof(text))
		return -EINVAL;
	memcpy(text, buf, size);
	text[size] = '\0';
	r = safe_atou64(text + strspn(text, " \t"), &v);
	if (r < 0 || v > INT32_MAX)
		return -EINVAL;
	r = cgview_req_pidns(req, &ns);
	if (r < 0)
		return r;
	/* 0 is "myself": the kernel would take it for the daemon's worker thread. */
	if (v == 0)
		host = fuse_req_ctx(req)->pid;
	else {
		r = host_tid(req, &ns, (pid_t)v, &host);
		if (r < 0)
			return r;
	}
	r = snprintf(out, out_size, "%d\n", (int)host);
	return r < 0 || (size_t)r >= out_size ? -EINVAL : r;
}

/*
 * v1 moves a task only for a writer whose effective uid is root's or the
 * task's real or saved uid (__cgroup1_procs_write()). The kernel checks
 * that itself, on the opener's credentials since Linux 5.16 and on the
 * writer's before, which for a thread that kept the daemon's would be
 * root's: so it is checked here too, on the opener, whatever the kernel.
 */
static int may_move(struct daemon *d, const struct caller *who, const char *name, pid_t host)
{
	uid_t t[4];
	int r;

	if (who->host_root || who->uid[1] == 0)
		return 0;
	r = caller_task_uids(d->root_fd, host, strcmp(name, "cgroup.procs") == 0, t);
	if (r < 0)
		return r;
	return who->uid[1] == t[0] || who->uid[1] == t[2] ? 0 : -EACCES;
}

static ssize_t pwrite_as(struct daemon *d, const struct caller *who, int fd, const char *buf,
			 size_t size, off_t off)
{
	struct cgcred c;
	ssize_t n;
	int r;

	r = cgcred_begin_as(d, who, &c);
	if (r < 0)
		return r;
	n = pwrite(fd, buf, size, off);
	if (n < 0)
		n = -errno;
	cgcred_end(&c);
	return n;
}

/*
 * A write is judged as the process that opened the file (the handle's
 * opener), as cgroupfs judges it, so an fd passed to or inherited by
 * another process keeps the rights it was opened with, and no more. Pids
 * are numbered as the writer numbers them, as the kernel reads them.
 */
/*
 * The fd a write goes to and the caller it is judged as: the handle's, or,
 * for a handle of an earlier daemon, the file opened again as the writer
 * (now, into *own).
 */
static int write_target(fuse_req_t req, struct fuse_file_info *fi, const struct cgview *v,
			struct caller *now, int *own, int *ret_fd, const struct caller **ret_who)
{
	struct daemon *d = serving_daemon(req);
	struct handle h = { .kind = HANDLE_NONE };
	int r;

	r = handles_get(&d->handles, fi->fh, &h);
	if (h.kind == HANDLE_BLOB)
		blob_unref(h.blob);
	if (r == -ESTALE) {
		r = cgcred_caller(req, now);
		if (r < 0)
			return r;
		*own = open_as(d, now, v, O_WRONLY);
		if (*own < 0)
			return *own;
		*ret_fd = *own;
		*ret_who = now;
		return 0;
	}
	if (r < 0)
		return r;
	if (h.kind != HANDLE_FD || !h.opener)
		return -EBADF;
	*ret_fd = h.fd;
	*ret_who = h.opener;
	return 0;
}

static ssize_t write_file(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
			  struct fuse_file_info *fi)
{
	struct daemon *d = serving_daemon(req);
	_cleanup_cgview_ struct cgview v = CGVIEW_INIT;
	_cleanup_close_ int own = -EBADF;
	char vpath[BURROW_CGTREE_PATH_MAX], pidbuf[32];
	const struct provider *p;
	const struct caller *who;
	struct caller now;
	ssize_t n;
	int r, fd;

	r = nodes_path(&d->nodes, ino, vpath, sizeof(vpath), &p);
	if (r < 0)
		return r;
	r = cgview_resolve(req, vpath, &v);
	if (r < 0)
		return r;
	r = write_target(req, fi, &v, &now, &own, &fd, &who);
	if (r < 0)
		return r;
	/* Host readers' pids too: "0" must name the writer, not the daemon's thread. */
	if (!cgview_is_pidfile(v.name))
		return pwrite_as(d, who, fd, buf, size, off);
	r = pid_from_caller(req, v.name, buf, size, pidbuf, sizeof(pidbuf));
	if (r < 0)
		return r;
	n = r;
	if (!v.v2) {
		r = may_move(d, who, v.name, (pid_t)strtol(pidbuf, NULL, 10));
		if (r < 0)
			return r;
	}
	n = pwrite_as(d, who, fd, pidbuf, (size_t)n, 0);
	return n < 0 ? n : (ssize_t)size;
}

/*
 * A write is judged as the process that opened the file (the handle's
 * opener), as cgroupfs judges it, so an fd passed to or inherited by
 * another process keeps the rights it was opened with, and no more. Pids
 * are numbered as the writer numbers them, as the kernel reads them.
 */
static void cgops_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	ssize_t n = write_file(req, ino, buf, size, off, fi);

	if (n < 0) {
		reply_err(req, (int)n, "cgroup/");
		return;
	}
	fuse_reply_write(req, (size_t)n);
}

static int access_view(fuse_req_t req, const char *vpath, int mask)
{
	_cleanup_cgview_ struct cgview v = CGVIEW_INIT;
	struct cgcred c;
	int r;

	r = cgview_resolve(req, vpath, &v);
	if (r < 0)
		return r;
	if (v.where == BURROW_CGTREE_OUTSIDE)
		return -ENOENT;
	if (v.where == BURROW_CGTREE_ABOVE)
		return (mask & W_OK) ? -EACCES : 0;
	if (mask == F_OK)
		return 0;
	r = cgcred_begin(req, &c);
	if (r < 0)
		return r;
	r = faccessat(v.hier_fd, *v.host_rel ? v.host_rel : ".", mask,
		      AT_EACCESS | AT_SYMLINK_NOFOLLOW) < 0
		    ? -errno
		    : 0;
	cgcred_end(&c);
	return r;
}

static void cgops_access(fuse_req_t req, const char *vpath, int mask)
{
	int r = access_view(req, vpath, mask);

	if (r < 0)
		reply_err(req, r, "cgroup/");
	else
		fuse_reply_err(req, 0);
}

/* ---- changes -------------------------------------------------------------- */

/*
 * chown needs CAP_CHOWN, which a container's root has in its own user
 * namespace only: the kernel would refuse it from the thread with the
 * caller's credentials. So it is checked here as the kernel checks a chown
 * by a namespaced root (the caller is uid 0 of its user namespace, holds
 * CAP_CHOWN there in its effective set, and the old and new owners are all
 * mapped there) and then done with the daemon's.
 */
static int may_chown(fuse_req_t req, const struct caller *who, const struct stat *cur, uid_t uid,
		     gid_t gid)
{
	struct daemon *d = serving_daemon(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	uint32_t in;
	int r;

	if (who->host_root)
		return 0;
	if (!(who->cap_eff & (UINT64_C(1) << CAP_CHOWN)))
		return -EPERM;
	r = burrow_id_to_ns(d->root_fd, ctx->pid, false, who->uid[1], &in);
	if (r < 0 || in != 0)
		return -EPERM;
	if (burrow_id_to_ns(d->root_fd, ctx->pid, false, cur->st_uid, &in) < 0 ||
	    burrow_id_to_ns(d->root_fd, ctx->pid, true, cur->st_gid, &in) < 0 ||
	    (uid != (uid_t)-1 && burrow_id_to_ns(d->root_fd, ctx->pid, false, uid, &in) < 0) ||
	    (gid != (gid_t)-1 && burrow_id_to_ns(d->root_fd, ctx->pid, true, gid, &in) < 0))
		return -EPERM;
	return 0;
}

/* One setattr may chown, chmod and truncate: the caller is read once for all three. */
static int do_setattr(fuse_req_t req, const struct cgview *v, const struct stat *attr, int to_set)
{
	struct daemon *d = serving_daemon(req);
	const char *path = *v->host_rel ? v->host_rel : ".";
	struct caller who;
	struct stat cur;
	struct cgcred c;
	int r;

	if (v->where != BURROW_CGTREE_INSIDE)
		return v->where == BURROW_CGTREE_OUTSIDE ? -ENOENT : -EPERM;
	r = view_stat(v, &cur);
	if (r >= 0)
		r = cgcred_caller(req, &who);
	if (r < 0)
		return r;
	if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uid_t uid = (to_set & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1;
		gid_t gid = (to_set & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1;

		r = may_chown(req, &who, &cur, uid, gid);
		if (r < 0)
			return r;
		if (fchownat(v->hier_fd, path, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	}
	if (to_set & FUSE_SET_ATTR_MODE) {
		r = cgcred_begin_as(d, &who, &c);
		if (r < 0)
			return r;
		r = fchmodat(v->hier_fd, path, attr->st_mode & 07777, 0) < 0 ? -errno : 0;
		cgcred_end(&c);
		if (r < 0)
			return r;
	}
	/* Truncation (a shell's '>' redirect): cgroup files ignore it; only the right to write
	 * counts. */
	if (to_set & FUSE_SET_ATTR_SIZE) {
		int fd = open_as(d, &who, v, O_WRONLY);

		if (fd < 0)
			return fd;
		close(fd);
	}
	return 0;
}

static int setattr_view(fuse_req_t req, const char *vpath, const struct stat *attr, int to_set,
			struct stat *ret_st)
{
	_cleanup_cgview_ struct cgview v = CGVIEW_INIT;
	int r;

	r = cgview_resolve(req, vpath, &v);
	if (r < 0)
		return r;
	r = do_setattr(req, &v, attr, to_set);
	if (r < 0)
		return r;
	return view_stat(&v, ret_st);
}

static void cgops_setattr(fuse_req_t req, fuse_ino_t ino, const char *vpath, struct stat *attr,
			  int to_set)
{
	struct stat st;
	int r;

	r = setattr_view(req, vpath, attr, to_set, &st);
	if (r < 0) {
		reply_err(req, r, "cgroup/");
		return;
	}
	st.st_ino = ino;
	fuse_reply_attr(req, &st, cache_timeout(req));
}

/* The directory that holds the view's path, opened without symlinks; ret_name: its entry. */
static int open_parent(const struct cgview *v, const char **ret_name)
{
	char dir[BURROW_CGTREE_PATH_MAX];
	const char *slash = strrchr(v->host_rel, '/');
	size_t n = slash ? (size_t)(slash - v->host_rel) : 0;

	if (!*v->host_rel)
		return -EBUSY;
	memcpy(dir, v->host_rel, n);
	dir[n] = '\0';
	*ret_name = slash ? slash + 1 : v->host_rel;
	return burrow_cgtree_open_beneath(v->hier_fd, dir, O_PATH | O_DIRECTORY, 0);
}

/* mkdir or rmdir of parent_vpath/name, as the caller, inside its own cgroups only. */
static int change_dir(fuse_req_t req, const char *parent_vpath, const char *name, bool make,
		      mode_t mode, char *vpath, size_t size, struct stat *ret_st)
{
	_cleanup_cgview_ struct cgview v = CGVIEW_INIT;
	_cleanup_close_ int dfd = -EBADF;
	const char *entry;
	struct cgcred c;
	int r;

	r = join_vpath(vpath, size, parent_vpath, name);
	if (r < 0)
		return r == -ENOENT ? -EINVAL : r;
	r = cgview_resolve(req, vpath, &v);
	if (r < 0)
		return r;
	/* Outside, above, or the container's own cgroup: not the caller's to change. */
	if (v.where != BURROW_CGTREE_INSIDE || strcmp(v.rel, v.top) == 0)
		return v.where == BURROW_CGTREE_OUTSIDE ? -ENOENT : make ? -EEXIST : -EBUSY;
	dfd = open_parent(&v, &entry);
	if (dfd < 0)
		return dfd;
	r = cgcred_begin(req, &c);
	if (r < 0)
		return r;
	if (make)
		r = mkdirat(dfd, entry, mode) < 0 ? -errno : 0;
	else
		r = unlinkat(dfd, entry, AT_REMOVEDIR) < 0 ? -errno : 0;
	cgcred_end(&c);
	if (r < 0 || !make)
		return r;
	return view_stat(&v, ret_st);
}

static void cgops_mkdir(fuse_req_t req, const char *parent_vpath, const char *name, mode_t mode)
{
	char vpath[BURROW_CGTREE_PATH_MAX];
	struct stat st;
	int r;

	r = change_dir(req, parent_vpath, name, true, mode, vpath, sizeof(vpath), &st);
	if (r < 0) {
		/* A new name outside the reader's cgroups: refused, as on a read-only tree. */
		reply_err(req, r == -ENOENT ? -EACCES : r, "cgroup/");
		return;
	}
	reply_entry(req, vpath, &st);
}

static void cgops_rmdir(fuse_req_t req, const char *parent_vpath, const char *name)
{
	char vpath[BURROW_CGTREE_PATH_MAX];
	int r;

	r = change_dir(req, parent_vpath, name, false, 0, vpath, sizeof(vpath), NULL);
	if (r < 0)
		reply_err(req, r, "cgroup/");
	else
		fuse_reply_err(req, 0);
}

/* ---- the provider --------------------------------------------------------- */

/* Every cgroup/ request goes through cgops_*: the generic passthrough never maps a path. */
static int cg_map(struct daemon *d, struct ctr *x, const char *vpath, char *buf, size_t size)
{
	return -ENOENT;
}

static int cg_list_root(struct daemon *d, struct ctr *x, struct dirlist *l)
{
	return cgview_list_hierarchies(d, l);
}

static bool cg_shared(const char *vpath)
{
	return false;
}

static const struct provider_ops cg_ops = {
	.lookup = cgops_lookup,
	.getattr = cgops_getattr,
	.readlink = cgops_readlink,
	.open = cgops_open,
	.read_foreign = cgops_read_foreign,
	.write = cgops_write,
	.access = cgops_access,
	.setattr = cgops_setattr,
	.mkdir = cgops_mkdir,
	.rmdir = cgops_rmdir,
	.list = cgops_list,
};

const struct provider cgroup_provider = {
	.id = PROVIDER_CGROUP,
	.ops = &cg_ops,
	.map = cg_map,
	.list_root = cg_list_root,
	.shared = cg_shared,
};
