/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who sees what in cgroup/: the reader's container is the init of its pid
 * namespace, and the container's cgroup in each hierarchy is that init's
 * (without the init.scope systemd moves itself into). Paths are the ones
 * the reader's /proc/self/cgroup names, so systemd finds itself: without a
 * cgroup namespace that is the host path, the directories above it showing
 * only the way down; with one, the container's cgroup is the root.
 */
#include "cgroup-view.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caller.h"
#include "clock.h"
#include "daemon.h"
#include "fileio.h"
#include "macro.h"
#include "resolve.h"
#include "serving.h"

static const struct burrow_hierarchy *find_hierarchy(struct daemon *d, const char *name, size_t len)
{
	for (size_t i = 0; i < d->layout->n; i++) {
		char hn[256];

		if (burrow_cgtree_hier_name(d->layout->h[i].controllers, d->layout->h[i].v2, hn,
					    sizeof(hn)) < 0)
			continue;
		if (strlen(hn) == len && memcmp(hn, name, len) == 0)
			return &d->layout->h[i];
	}
	return NULL;
}

int cgview_list_hierarchies(struct daemon *d, struct dirlist *l)
{
	for (size_t i = 0; i < d->layout->n; i++) {
		char hn[256];
		int r;

		if (burrow_cgtree_hier_name(d->layout->h[i].controllers, d->layout->h[i].v2, hn,
					    sizeof(hn)) < 0)
			continue;
		r = dirlist_add(l, hn, S_IFDIR);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The container's cgroup in hierarchy h, below h's mount. */
static int container_cgroup(const char *proc_cgroup, const struct burrow_hierarchy *h, char *buf,
			    size_t size)
{
	char root[BURROW_CGTREE_PATH_MAX];
	size_t rn;
	int r;

	r = burrow_cgtree_proc_path(proc_cgroup, h->controllers, h->v2, buf, size);
	if (r < 0)
		return r;
	/* The daemon's mount may show a subtree only: paths are relative to it. */
	r = burrow_cgtree_normalize(h->root[0] == '/' ? h->root + 1 : h->root, root, sizeof(root));
	if (r < 0)
		return r;
	rn = strlen(root);
	if (rn > 0) {
		if (strncmp(buf, root, rn) != 0 || (buf[rn] != '\0' && buf[rn] != '/'))
			return -ENOENT;
		memmove(buf, buf + rn + (buf[rn] == '/'), strlen(buf + rn + (buf[rn] == '/')) + 1);
	}
	burrow_cgtree_strip_init_scope(buf);
	return 0;
}

static int join(char *buf, size_t size, const char *a, const char *b)
{
	int n = snprintf(buf, size, "%s%s%s", a, *a && *b ? "/" : "", b);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int view_fill(fuse_req_t req, const struct burrow_hierarchy *h, struct cgview *v)
{
	struct daemon *d = serving_daemon(req);
	char base[BURROW_CGTREE_PATH_MAX] = "";
	struct ctr *x;
	struct pconn *pc = serving_pconn();
	bool cgns = false;
	int r;

	/*
	 * A container's own connection shows its container's tree whoever
	 * looks (host root through /proc/PID/root too): the kernel caches
	 * what it is told there for every later reader.
	 */
	if (pc)
		x = ctr_ref(pc->x);
	else {
		r = ctr_get(d, fuse_req_ctx(req)->pid, &x);
		if (r < 0)
			return r == -ENOENT ? -ESRCH : r;
	}
	v->host = ctr_is_host(x);
	if (!v->host) {
		const struct burrow_container *c;

		pthread_mutex_lock(&x->lock);
		r = ctr_container_locked(d, x, &c);
		if (r < 0)
			r = r == -ENODATA || r == -ENOENT ? -ESRCH : r;
		else {
			cgns = x->cgns;
			r = container_cgroup(c->proc_cgroup, h, v->top, sizeof(v->top));
		}
		pthread_mutex_unlock(&x->lock);
	}
	ctr_unref(x);
	if (r < 0)
		return r;
	if (cgns) {
		memcpy(base, v->top, sizeof(base));
		v->top[0] = '\0';
	}
	v->where = burrow_cgtree_where(v->top, v->rel, &v->next, &v->next_len);
	return join(v->host_rel, sizeof(v->host_rel), base, v->rel);
}

int cgview_resolve(fuse_req_t req, const char *vpath, struct cgview *v)
{
	struct daemon *d = serving_daemon(req);
	const struct burrow_hierarchy *h;
	size_t hl = strcspn(vpath, "/");
	const char *slash;
	int r;

	*v = (struct cgview){ .hier_fd = -EBADF };
	h = find_hierarchy(d, vpath, hl);
	if (!h)
		return -ENOENT;
	v->v2 = h->v2;
	/* Paths come from our own node table; normalizing again costs little and guards it. */
	r = burrow_cgtree_normalize(vpath[hl] ? vpath + hl + 1 : "", v->rel, sizeof(v->rel));
	if (r < 0)
		return r == -EPERM ? -ENOENT : r;
	slash = strrchr(v->rel, '/');
	v->name = slash ? slash + 1 : v->rel;
	r = view_fill(req, h, v);
	if (r < 0)
		return r;
	v->hier_fd = openat(d->root_fd, h->mount, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (v->hier_fd < 0)
		return -errno;
	return 0;
}

void cgview_done(struct cgview *v)
{
	if (v->hier_fd >= 0)
		close(v->hier_fd);
	v->hier_fd = -EBADF;
}

int cgview_open(const struct cgview *v, int flags)
{
	return burrow_cgtree_open_beneath(v->hier_fd, v->host_rel, flags, 0);
}

int cgview_req_pidns(fuse_req_t req, struct burrow_pidns *ret)
{
	struct daemon *d = serving_daemon(req);

	return burrow_pidns_of(d->root_fd, fuse_req_ctx(req)->pid, ret);
}

bool cgview_is_pidfile(const char *name)
{
	return strcmp(name, "cgroup.procs") == 0 || strcmp(name, "tasks") == 0 ||
	       strcmp(name, "cgroup.threads") == 0;
}

int cgcred_caller(fuse_req_t req, struct caller *ret)
{
	struct daemon *d = serving_daemon(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	return caller_read(d->root_fd, &d->self_cred, ctx->pid, ctx->uid, ctx->gid, ret);
}

int cgcred_begin_as(struct daemon *d, const struct caller *who, struct cgcred *c)
{
	int r;

	c->switched = false;
	c->log = &d->log;
	if (who->host_root)
		return 0;
	r = thread_cred_save(&c->self);
	if (r < 0)
		return r;
	r = thread_cred_become(who, &c->self);
	if (r < 0)
		return r;
	c->switched = true;
	return 0;
}

int cgcred_begin(fuse_req_t req, struct cgcred *c)
{
	struct caller who;
	int r;

	c->switched = false;
	r = cgcred_caller(req, &who);
	if (r < 0)
		return r;
	return cgcred_begin_as(serving_daemon(req), &who, c);
}

void cgcred_end(struct cgcred *c)
{
	if (!c->switched)
		return;
	c->switched = false;
	if (thread_cred_restore(&c->self) >= 0)
		return;
	/*
	 * A worker thread that keeps a caller's credentials would serve the
	 * next request, perhaps host root's, as that caller, or a caller's
	 * request with what is left of ours. Neither may happen: end the
	 * daemon (the keeper holds the connection for its restart).
	 */
	log_full(c->log, LOG_ERR, "Could not restore a worker thread's credentials, aborting");
	abort();
}
