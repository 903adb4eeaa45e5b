/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fdquota.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caller.h"
#include "daemon.h"
#include "handles.h"
#include "macro.h"
#include "serving.h"

#define FDQUOTA_BUCKETS 256u
#define HOST_UID	FDQUOTA_HOST_UID
/* The kernel nests pid namespaces 32 deep at most (MAX_PID_NS_LEVEL). */
#define PIDNS_DEPTH_MAX 33

struct fdquota_ent {
	uint64_t owner;
	uint32_t n;
	struct fdquota_ent *next;
};

void fdquota_done(struct fdquota *q)
{
	if (!q->buckets)
		return;
	for (size_t i = 0; i < FDQUOTA_BUCKETS; i++)
		while (q->buckets[i]) {
			struct fdquota_ent *e = q->buckets[i];

			q->buckets[i] = e->next;
			free(e);
		}
	free(q->buckets);
	q->buckets = NULL;
}

static struct fdquota_ent **chain(struct fdquota *q, uint64_t owner)
{
	return &q->buckets[(owner * 0x9e3779b97f4a7c15ull) >> 56];
}

/*
 * Read at every charge, not once at start: an administrator (or a test)
 * may change the daemon's limit with prlimit while it runs.
 */
static void limits(const struct fdquota *q, uint32_t *ret_total, uint32_t *ret_owner)
{
	struct rlimit rl;
	uint64_t cur = 1024, reserve;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		cur = rl.rlim_cur == RLIM_INFINITY ? UINT32_MAX : rl.rlim_cur;
	reserve = MAX(cur / 8, (uint64_t)q->reserve);
	reserve = MAX(reserve, (uint64_t)FDQUOTA_RESERVE_MIN);
	reserve = MIN(reserve, cur / 2);
	*ret_total = cur > reserve ? (uint32_t)MIN(cur - reserve, (uint64_t)UINT32_MAX) : 0;
	/* No container takes more than half of what is left: a second one always finds room. */
	*ret_owner = MIN(FDQUOTA_PER_OWNER, *ret_total / 2);
}

int fdquota_charge(struct fdquota *q, uint64_t owner)
{
	struct fdquota_ent *e = NULL;
	uint32_t total, per_owner;

	limits(q, &total, &per_owner);
	if (q->total >= total)
		return -ENFILE;
	if (owner != 0) {
		if (!q->buckets) {
			q->buckets = calloc(FDQUOTA_BUCKETS, sizeof(*q->buckets));
			if (!q->buckets)
				return -ENOMEM;
		}
		for (e = *chain(q, owner); e && e->owner != owner; e = e->next)
			;
		if (e && e->n >= per_owner)
			return -EMFILE;
		if (!e) {
			e = calloc(1, sizeof(*e));
			if (!e)
				return -ENOMEM;
			e->owner = owner;
			e->next = *chain(q, owner);
			*chain(q, owner) = e;
		}
		e->n++;
	}
	q->total++;
	return 0;
}

void fdquota_release(struct fdquota *q, uint64_t owner)
{
	struct fdquota_ent **p, *e;

	if (q->total > 0)
		q->total--;
	if (owner == 0 || !q->buckets)
		return;
	for (p = chain(q, owner); (e = *p) && e->owner != owner; p = &e->next)
		;
	if (!e)
		return;
	/* An owner with nothing open holds no memory: short-lived containers cost none. */
	if (--e->n == 0) {
		*p = e->next;
		free(e);
	}
}

/*
 * NS_GET_PARENT (Linux 4.9) climbs from the reader's pid namespace; the
 * kernel refuses to climb above the daemon's own, so the loop ends there at
 * the latest. A kernel without it, or a namespace we may not climb, leaves
 * the reader's own namespace as the owner: the total bounds that case.
 */
int fdquota_owner(int root_fd, uint64_t self_pidns, pid_t pid, uid_t uid, uint64_t *ret)
{
	_cleanup_close_ int fd = -EBADF;
	char path[64];
	struct stat st;

	/* The kernel names no reader when it sits outside our pid namespace: a host reader too. */
	if (pid <= 0) {
		*ret = HOST_UID | uid;
		return 0;
	}
	snprintf(path, sizeof(path), "proc/%d/ns/pid", (int)pid);
	fd = openat(root_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_ino == self_pidns) {
		*ret = HOST_UID | uid;
		return 0;
	}
	for (unsigned i = 0; i < PIDNS_DEPTH_MAX; i++) {
		struct stat pst;
		int p = ioctl(fd, NS_GET_PARENT);

		if (p < 0)
			break;
		if (fstat(p, &pst) < 0 || (uint64_t)pst.st_ino == self_pidns) {
			close(p);
			break;
		}
		close(fd);
		fd = p;
		st = pst;
	}
	*ret = (uint64_t)st.st_ino;
	return 0;
}

/* Whether the host reader of uid 0 is host root: no share then (owner 0). */
static bool reader_host_root(fuse_req_t req, const struct caller *who)
{
	struct daemon *d = serving_daemon(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct caller c;

	if (who)
		return who->host_root;
	/* A reader gone, or no longer uid 0, gets uid 0's share. */
	return caller_read(d->root_fd, &d->self_cred, ctx->pid, ctx->uid, ctx->gid, &c) >= 0 &&
	       c.host_root;
}

int fdquota_add_handle(fuse_req_t req, const struct handle *x, const struct caller *who,
		       uint64_t *ret_fh)
{
	struct daemon *d = serving_daemon(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	pid_t pid = ctx->pid;
	struct handle h = *x;
	int r = 0;

	if (h.kind == HANDLE_FD)
		r = fdquota_owner(d->root_fd, d->self_pidns, pid, ctx->uid, &h.owner);
	if (r >= 0 && h.kind == HANDLE_FD && h.owner == HOST_UID && reader_host_root(req, who))
		h.owner = 0;
	if (r >= 0)
		r = handles_add(&d->handles, &h, ret_fh);
	if (r == -EMFILE || r == -ENFILE)
		log_ratelimited(
			&d->log, r,
			"open for pid %d refused, its container (or host user) holds too many: %m",
			(int)pid);
	return r;
}
