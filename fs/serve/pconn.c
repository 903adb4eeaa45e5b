/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-container connections: making one, the workers that serve them all,
 * and their end. The operations are pconn-ops.c's; who may ask for one is
 * control.c's.
 */
#include "pconn.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgtree.h"
#include "daemon.h"
#include "macro.h"
#include "pconn-keep.h"
#include "serving.h"
#include "strbuf.h"

/* Which fd of a connection an epoll event is about: bit 0 of its data. */
enum { EV_FUSE = 0, EV_END = 1 };
#define EV_STOP UINT64_MAX

static uint64_t ev_id(const struct pconn *c, unsigned kind)
{
	return (uint64_t)c->gen << 32 | (uint64_t)c->slot << 1 | kind;
}

/* ---- references ------------------------------------------------------------ */

static void pconn_free(struct pconn *c)
{
	/* Closes the device: mounts still left get ENOTCONN from now on. */
	if (c->se)
		fuse_session_destroy(c->se);
	else if (c->fuse_fd >= 0)
		close(c->fuse_fd);
	if (c->root_fd >= 0)
		close(c->root_fd);
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->rec_fd >= 0)
		close(c->rec_fd);
	for (size_t k = 0; k < _VF_MAX; k++)
		blob_unref(c->shown[k].blob);
	pconn_lookups_release(c);
	ctr_unref(c->x);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void pconn_unref(struct pconn *c)
{
	if (c && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
		pconn_free(c);
}

/* The live connection of an event, with a reference; NULL when it has ended. */
static struct pconn *pconn_find(struct pconns *p, uint64_t id)
{
	uint32_t slot = (uint32_t)id >> 1, gen = (uint32_t)(id >> 32);
	struct pconn *c = NULL;

	pthread_mutex_lock(&p->lock);
	if (slot < p->max && p->slots[slot] && p->slots[slot]->gen == gen) {
		c = p->slots[slot];
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&p->lock);
	return c;
}

/*
 * Closes the device now, while workers or the control socket may still
 * hold the connection: the kernel aborts it, and whatever waits on it (an
 * open_tree() of ours in the middle of a lookup, a reader in the
 * container) gets ENOTCONN instead of waiting for an answer that will not
 * come. /dev/null takes the fd's number until the last reference goes, so
 * the number is never reused under a worker.
 */
static void sever(struct pconn *c)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null < 0)
		return;
	(void)dup3(null, c->fuse_fd, O_CLOEXEC);
	close(null);
}

/*
 * The end of a connection: out of the table and the epoll set, and the
 * table's reference dropped. Whatever a worker still holds keeps it until
 * that worker is done; then the device closes.
 */
static void pconn_end(struct daemon *d, struct pconn *c, const char *why)
{
	struct pconns *p = &d->pconns;
	bool was = false;

	pthread_mutex_lock(&p->lock);
	if (!c->dead) {
		c->dead = was = true;
		p->slots[c->slot] = NULL;
		p->live--;
	}
	pthread_mutex_unlock(&p->lock);
	if (!was)
		return;
	(void)epoll_ctl(p->epoll_fd, EPOLL_CTL_DEL, c->fuse_fd, NULL);
	(void)epoll_ctl(p->epoll_fd, EPOLL_CTL_DEL, c->pidfd, NULL);
	sever(c);
	/* Its holders let go too: they would keep a gone container's connection alive. */
	pconn_unkeep(d, c->gen);
	__atomic_add_fetch(&p->ended, 1, __ATOMIC_RELAXED);
	log_full(&d->log, LOG_DEBUG, "per-container connection of pid %d ended: %s",
		 (int)c->x->init_pid, why);
	pconn_unref(c);
}

/* ---- workers --------------------------------------------------------------- */

static void count_request(struct pconns *p, const void *buf)
{
	const struct fuse_in_header *in = buf;
	enum pconn_req k;

	switch (in->opcode) {
	case FUSE_LOOKUP:
		k = PCONN_REQ_LOOKUP;
		break;
	case FUSE_GETATTR:
		k = PCONN_REQ_GETATTR;
		break;
	case FUSE_READ:
		k = PCONN_REQ_READ;
		break;
	default:
		k = PCONN_REQ_OTHER;
		break;
	}
	__atomic_add_fetch(&p->req[k], 1, __ATOMIC_RELAXED);
}

static int arm(struct pconns *p, struct pconn *c, int fd, unsigned kind, int op)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = ev_id(c, kind) };

	return epoll_ctl(p->epoll_fd, op, fd, &ev) < 0 ? -errno : 0;
}

/*
 * One request of c. The worker reads it into its own buffer rather than
 * through fuse_session_receive_buf(): libfuse sizes that buffer by the
 * session it first served, and a worker serves many sessions.
 */
static void serve_one(struct daemon *d, struct pconn *c, char *buf, uint32_t events)
{
	struct pconns *p = &d->pconns;
	struct fuse_buf fb = { .mem = buf };
	bool init;
	ssize_t n;

	n = read(c->fuse_fd, buf, PCONN_BUF_SIZE);
	if (n < 0 && (errno == EAGAIN || errno == EINTR || errno == ENOENT)) {
		/* Another holder took it, or the kernel withdrew it (interrupted). */
		if (!(events & (EPOLLHUP | EPOLLERR)))
			(void)arm(p, c, c->fuse_fd, EV_FUSE, EPOLL_CTL_MOD);
		return;
	}
	if (n < 0) {
		/* ENODEV: the last mount of it is gone, or the connection was aborted. */
		if (errno != ENODEV)
			log_errno(&d->log, LOG_ERR, -errno,
				  "per-container connection of pid %d: read failed: %m",
				  (int)c->x->init_pid);
		pconn_end(d, c, errno == ENODEV ? "unmounted" : "read error");
		return;
	}
	if ((size_t)n < sizeof(struct fuse_in_header)) {
		pconn_end(d, c, "short read");
		return;
	}
	/* Back into the set at once: the next request of c may go to another worker. */
	(void)arm(p, c, c->fuse_fd, EV_FUSE, EPOLL_CTL_MOD);
	count_request(p, buf);
	fb.size = (size_t)n;
	init = ((const struct fuse_in_header *)buf)->opcode == FUSE_INIT;
	serving_begin(c);
	fuse_session_process_buf(c->se, &fb);
	serving_end();
	/* libfuse refused the INIT (a kernel without what we want). */
	if (fuse_session_exited(c->se))
		pconn_end(d, c, "refused by libfuse");
	else if (init)
		/* Answered: the next daemon replays it to its own session (pconn-keep.h). */
		pconn_rec_note_init(c->rec_fd, buf, (size_t)n);
}

static void *worker_main(void *arg)
{
	struct daemon *d = arg;
	struct pconns *p = &d->pconns;
	_cleanup_free_ char *buf = malloc(PCONN_BUF_SIZE);

	if (!buf) {
		log_full(&d->log, LOG_ERR, "per-container connections: a worker has no memory");
		return NULL;
	}
	for (;;) {
		struct epoll_event ev;
		struct pconn *c;
		int r;

		r = epoll_wait(p->epoll_fd, &ev, 1, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || ev.data.u64 == EV_STOP)
			break;
		c = pconn_find(p, ev.data.u64);
		if (!c)
			continue;
		if ((ev.data.u64 & 1) == EV_END) {
			pconn_end(d, c, "the container's init exited");
			/* Its renders and pidfd go now, not a sweep or more later (churn). */
			ctr_table_drop(d, c->x);
		} else if (ev.events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			serve_one(d, c, buf, ev.events);
		pconn_unref(c);
	}
	return NULL;
}

/* ---- making one ------------------------------------------------------------ */

/*
 * Into a free slot, with a new generation (id 0) or an earlier daemon's
 * (taken over); -EBUSY when all are taken.
 */
static int slot_take(struct pconns *p, struct pconn *c, uint32_t id)
{
	int r = -EBUSY;

	pthread_mutex_lock(&p->lock);
	for (uint32_t i = 0; p->live < p->max && i < p->max; i++)
		if (!p->slots[i]) {
			c->slot = i;
			/*
			 * Never 0 for a live one; a wrap after 2^32 connections is
			 * harmless. Past every id taken over: ids stay unique with the
			 * keeper.
			 */
			if (id && id > p->next_gen)
				p->next_gen = id;
			c->gen = id ? id : ++p->next_gen ? p->next_gen : ++p->next_gen;
			p->slots[i] = c;
			p->live++;
			r = 0;
			break;
		}
	pthread_mutex_unlock(&p->lock);
	return r;
}

static int fsconfig_str(int fs, const char *key, const char *value)
{
	return fsconfig(fs, FSCONFIG_SET_STRING, key, value, 0) < 0 ? -errno : 0;
}

/*
 * The mount of c's device, detached. Made by us (host root), it may be
 * moved into any mount namespace by whoever gets a clone of it; the client
 * only ever calls move_mount(). default_permissions: the kernel checks
 * modes from the attributes it caches (slabinfo stays 0400 root), so opens
 * never need to come to us.
 */
static int mount_detached(struct pconn *c)
{
	_cleanup_close_ int fs = -1;
	char num[16];
	int r, m;

	fs = fsopen("fuse", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	snprintf(num, sizeof(num), "%d", c->fuse_fd);
	r = fsconfig_str(fs, "fd", num);
	if (r >= 0)
		r = fsconfig_str(fs, "rootmode", "40555");
	if (r >= 0)
		r = fsconfig_str(fs, "user_id", "0");
	if (r >= 0)
		r = fsconfig_str(fs, "group_id", "0");
	if (r >= 0)
		r = fsconfig_str(fs, "source", "burrowfs");
	if (r >= 0)
		r = fsconfig_str(fs, "subtype", "burrowfs");
	if (r >= 0 && fsconfig(fs, FSCONFIG_SET_FLAG, "allow_other", NULL, 0) < 0)
		r = -errno;
	/*
	 * The cgroup tree checks as the shared mount's does: the daemon acts
	 * with the caller's credentials and the kernel judges on cgroupfs.
	 */
	if (r >= 0 && !c->cgroup &&
	    fsconfig(fs, FSCONFIG_SET_FLAG, "default_permissions", NULL, 0) < 0)
		r = -errno;
	if (r >= 0 && fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		r = -errno;
	if (r < 0)
		return r;
	/* The cgroup tree is written to (mkdir, limits, pids): only it is read-write. */
	m = fsmount(fs, FSMOUNT_CLOEXEC,
		    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
			    (c->cgroup ? 0 : MOUNT_ATTR_RDONLY));
	return m < 0 ? -errno : m;
}

static struct pconn *pconn_alloc(struct daemon *d, struct ctr *x, bool cgroup)
{
	struct pconn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	*c = (struct pconn){ .d = d,
			     .x = ctr_ref(x),
			     .fuse_fd = -1,
			     .root_fd = -1,
			     .pidfd = -1,
			     .rec_fd = -1,
			     .cgroup = cgroup };
	c->refs = 1;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

int pconn_session_make(struct pconn *c)
{
	char *argv[] = { "burrowfs", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);

	c->se = c->cgroup ? fuse_session_new(&args, &pconn_cg_ops, sizeof(pconn_cg_ops), c)
			  : fuse_session_new(&args, &pconn_ops, sizeof(pconn_ops), c);
	/* libfuse may have copied the arguments to add its own. */
	fuse_opt_free_args(&args);
	if (!c->se)
		return -ENOMEM;
	/*
	 * libfuse adopts the fd and closes it at the end. Not by
	 * fuse_session_mount("/dev/fd/N"): its copy of that name is freed only
	 * by fuse_session_unmount(), which a connection never calls.
	 */
	if (fuse_session_custom_io(c->se, &pconn_io, c->fuse_fd) < 0) {
		fuse_session_destroy(c->se);
		c->se = NULL;
		return -EINVAL;
	}
	return 0;
}

/* The session, its device and the init's pidfd; not yet in the table. */
static int pconn_open(struct pconn *c)
{
	int r;

	if (c->x->pidfd < 0)
		return -EOPNOTSUPP;
	c->pidfd = fcntl(c->x->pidfd, F_DUPFD_CLOEXEC, 3);
	if (c->pidfd < 0)
		return -errno;
	c->fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (c->fuse_fd < 0)
		return -errno;
	r = pconn_rec_create(c->x, c->cgroup, &c->rec_fd);
	if (r < 0)
		return r;
	return pconn_session_make(c);
}

/* A new connection for x, served and mounted (detached); the caller gets a reference. */
static int pconn_new(struct daemon *d, struct ctr *x, bool cgroup, struct pconn **ret)
{
	struct pconns *p = &d->pconns;
	struct pconn *c = pconn_alloc(d, x, cgroup);
	int r;

	if (!c)
		return -ENOMEM;
	r = pconn_open(c);
	if (r >= 0)
		r = slot_take(p, c, 0);
	if (r < 0) {
		pconn_unref(c);
		return r;
	}
	/* From here the table holds the first reference; this is the caller's. */
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	/*
	 * Served once the superblock exists (before it, the device reports
	 * EPOLLERR and reads fail with EPERM), and before anything looks a
	 * path up in it: the kernel's INIT and our own lookups wait on it.
	 */
	r = mount_detached(c);
	if (r >= 0) {
		c->root_fd = r;
		/* Before it can end (its pidfd armed): an end's unkeep must come after. */
		pconn_keep(d, c->gen, (const int[]){ c->fuse_fd, c->root_fd, c->rec_fd });
		r = arm(p, c, c->fuse_fd, EV_FUSE, EPOLL_CTL_ADD);
	}
	if (r >= 0)
		r = arm(p, c, c->pidfd, EV_END, EPOLL_CTL_ADD);
	if (r < 0) {
		pconn_end(d, c, "could not be mounted");
		pconn_unref(c);
		return r;
	}
	__atomic_add_fetch(&p->made, 1, __ATOMIC_RELAXED);
	log_full(&d->log, LOG_DEBUG, "per-container connection for pid %d (slot %u)",
		 (int)x->init_pid, c->slot);
	*ret = c;
	return 0;
}

/* The live connection of x's pid namespace, with a reference; NULL when none. */
static struct pconn *pconn_of(struct pconns *p, const struct ctr *x, bool cgroup)
{
	struct pconn *c = NULL;

	pthread_mutex_lock(&p->lock);
	for (uint32_t i = 0; i < p->max && !c; i++)
		if (p->slots[i] && p->slots[i]->cgroup == cgroup &&
		    p->slots[i]->x->pidns == x->pidns &&
		    p->slots[i]->x->init_start == x->init_start) {
			c = p->slots[i];
			__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
		}
	pthread_mutex_unlock(&p->lock);
	return c;
}

/* Appends a detached clone of c's path (relative to its root) and its name. */
static int clone_one(struct pconn *c, const char *path, int *fds, size_t max, size_t *n,
		     char *paths, size_t size, size_t *len)
{
	size_t l = strlen(path) + 1;
	int fd;

	if (*n == max || *len + l > size)
		return -E2BIG;
	fd = open_tree(c->root_fd, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd < 0)
		return -errno;
	fds[(*n)++] = fd;
	memcpy(paths + *len, path, l);
	*len += l;
	return 0;
}

/*
 * One detached clone per bound entry of the served table the host has (no
 * PSI: no proc/pressure): the proc files, and sys/devices/system/cpu whole
 * (its online, possible and present come with it). For a cgroup tree's
 * connection, one per hierarchy: cgroup/NAME.
 */
static int clone_files(struct daemon *d, struct pconn *c, int *fds, size_t max, size_t *n,
		       char *paths, size_t size, size_t *len)
{
	char path[300];
	int r = 0;

	for (size_t i = 0; !c->cgroup && r >= 0 && i < BURROW_SERVED_N; i++) {
		const struct burrow_served *e = &burrow_served[i];

		if (burrow_served_bound(e) && faccessat(d->root_fd, e->path, F_OK, 0) >= 0)
			r = clone_one(c, e->path, fds, max, n, paths, size, len);
	}
	for (size_t i = 0; c->cgroup && r >= 0 && i < d->layout->n; i++) {
		const struct burrow_hierarchy *h = &d->layout->h[i];
		char name[256];

		if (burrow_cgtree_hier_name(h->controllers, h->v2, name, sizeof(name)) < 0)
			continue;
		snprintf(path, sizeof(path), "cgroup/%s", name);
		r = clone_one(c, path, fds, max, n, paths, size, len);
	}
	return r;
}

/* x's connection of one kind, the one it has or a new one; -EBUSY past the bound. */
static int pconn_get(struct daemon *d, struct ctr *x, bool cgroup, struct pconn **ret, char *text,
		     size_t text_size)
{
	struct pconns *p = &d->pconns;
	int r;

	*ret = pconn_of(p, x, cgroup);
	if (*ret)
		return 0;
	r = pconn_new(d, x, cgroup, ret);
	if (r == -EBUSY) {
		__atomic_add_fetch(&p->busy, 1, __ATOMIC_RELAXED);
		snprintf(text, text_size,
			 "burrowfs already serves %u per-container connections "
			 "(--max-containers); use the shared mount",
			 p->max);
		log_full(&d->log, LOG_WARNING,
			 "per-container connection for pid %d refused: %u already "
			 "(--max-containers); it falls back to the shared mount",
			 (int)x->init_pid, p->max);
	} else if (r < 0)
		snprintf(text, text_size, "burrowfs could not make a connection: %s", strerror(-r));
	return r;
}

int pconn_attach(struct daemon *d, struct ctr *x, bool cgroup, int *ret_fds, size_t max,
		 char *paths, size_t size, size_t *ret_len, char *text, size_t text_size)
{
	struct pconn *c[2] = { NULL, NULL };
	size_t n = 0, len = 0;
	int r;

	if (!d->pconns.running) {
		snprintf(text, text_size, "burrowfs serves no per-container connections");
		return -EOPNOTSUPP;
	}
	if (d->pconns.no_clone) {
		snprintf(text, text_size,
			 "this kernel cannot clone a detached mount (open_tree: %s), so burrowfs "
			 "makes no per-container connections here",
			 strerror(d->pconns.no_clone));
		return -EOPNOTSUPP;
	}
	text[0] = '\0';
	r = pconn_get(d, x, false, &c[0], text, text_size);
	if (r >= 0 && cgroup)
		r = pconn_get(d, x, true, &c[1], text, text_size);
	for (size_t k = 0; r >= 0 && k < 2; k++)
		if (c[k])
			r = clone_files(d, c[k], ret_fds, max, &n, paths, size, &len);
	if (r < 0 && !text[0])
		snprintf(text, text_size, "burrowfs could not clone its mount: %s", strerror(-r));
	if (r < 0)
		while (n > 0)
			close(ret_fds[--n]);
	pconn_unref(c[0]);
	pconn_unref(c[1]);
	*ret_len = len;
	return r < 0 ? r : (int)n;
}

/* ---- taking over an earlier daemon's ---------------------------------------------- */

static int pconn_adopt_one(struct daemon *d, struct pconn_kept *e, const char **why)
{
	struct pconns *p = &d->pconns;
	struct pconn_rec rec;
	struct ctr *x = NULL;
	struct pconn *c;
	int resent = 0, r;

	*why = "its fds were not all kept";
	for (size_t j = 0; j < PCONN_KEPT_FDS; j++)
		if (e->fds[j] < 0)
			return -EBADF;
	*why = "its record is not ours";
	r = pconn_rec_read(e->fds[2], &rec);
	if (r < 0)
		return r;
	*why = "its container has ended";
	r = pconn_rec_ctr(d, &rec, &x);
	if (r < 0) {
		/* Its superblock goes with its fds, and no FORGET comes: give back what it held. */
		pconn_rec_lookups_drop(d, e->fds[2], &rec);
		return r;
	}
	c = pconn_alloc(d, x, rec.cgroup != 0);
	ctr_unref(x);
	if (!c)
		return -ENOMEM;
	c->fuse_fd = TAKE_FD(e->fds[0]);
	c->root_fd = TAKE_FD(e->fds[1]);
	c->rec_fd = TAKE_FD(e->fds[2]);
	*why = "it could not be taken over";
	c->pidfd = fcntl(c->x->pidfd, F_DUPFD_CLOEXEC, 3);
	r = c->pidfd < 0 ? -errno : pconn_session_adopt(c, &rec, &resent);
	/* What its kernel holds of the node table, to give back when its container ends. */
	if (r >= 0)
		r = pconn_rec_lookups_read(c, &rec);
	if (r >= 0)
		r = slot_take(p, c, e->id);
	if (r < 0) {
		pconn_unref(c);
		return r;
	}
	/*
	 * Kept again (a keeper started since, when only the fd store held it,
	 * has no copy yet; the old keeper learns it was taken over) before it
	 * can end: an end's unkeep must come after.
	 */
	pconn_keep(d, c->gen, (const int[]){ c->fuse_fd, c->root_fd, c->rec_fd });
	r = arm(p, c, c->fuse_fd, EV_FUSE, EPOLL_CTL_ADD);
	if (r >= 0)
		r = arm(p, c, c->pidfd, EV_END, EPOLL_CTL_ADD);
	if (r < 0) {
		pconn_end(d, c, "could not be served");
		return r;
	}
	__atomic_add_fetch(&p->adopted, 1, __ATOMIC_RELAXED);
	log_full(&d->log, LOG_DEBUG, "took over the per-container connection of pid %d (id %u)%s",
		 (int)c->x->init_pid, c->gen,
		 resent ? "; the kernel resends what was in flight" : "");
	return 0;
}

void pconns_adopt(struct daemon *d)
{
	struct pconns_kept *k = &d->conn.pconns;
	struct pconns *p = &d->pconns;
	unsigned taken = 0, dropped = 0;

	for (size_t i = 0; i < k->n; i++) {
		const char *why = "burrowfs serves no per-container connections";
		int r = -EOPNOTSUPP;

		/*
		 * Their kernels hold numbers of the node table that came with the
		 * shared mount's journal: mounted anew, it numbers from scratch.
		 */
		if (p->running && !d->conn.attached)
			why = "the shared mount was mounted anew, without the node table it refers to";
		else if (p->running)
			r = pconn_adopt_one(d, &k->v[i], &why);

		if (r >= 0) {
			taken++;
			continue;
		}
		/* Its holders let go, and the fds close below: its mounts get ENOTCONN. */
		pconn_unkeep(d, k->v[i].id);
		dropped++;
		log_errno(&d->log, LOG_DEBUG, r,
			  "per-container connection %u of an earlier burrowfs ends: %s (%m)",
			  k->v[i].id, why);
	}
	__atomic_add_fetch(&p->adopt_dropped, dropped, __ATOMIC_RELAXED);
	pconns_kept_drop(k);
	if (taken || dropped)
		log_full(&d->log, LOG_INFO,
			 "Took over %u per-container connection(s) of an earlier burrowfs; %u "
			 "ended",
			 taken, dropped);
}

void pconns_keep_all(struct daemon *d)
{
	struct pconns *p = &d->pconns;

	if (!p->running)
		return;
	pthread_mutex_lock(&p->lock);
	for (uint32_t i = 0; !p->closing && p->slots && i < p->max; i++) {
		struct pconn *c = p->slots[i];

		if (c)
			pconn_keep(d, c->gen, (const int[]){ c->fuse_fd, c->root_fd, c->rec_fd });
	}
	pthread_mutex_unlock(&p->lock);
}

/* ---- start, stop, counters ---------------------------------------------------- */

/*
 * Whether this kernel clones a detached mount: every attach is an
 * open_tree(OPEN_TREE_CLONE) of a connection's detached root. Linux 6.1
 * (Debian 12's) refuses that with EINVAL (a mount outside every namespace
 * may not be cloned), so there is no point in making connections at all:
 * each attach would leave one behind and fail. Probed on a tiny tmpfs.
 * Returns 0, or the errno the clone gave; a probe that cannot run (no
 * fsopen here) claims nothing and gives 0.
 */
static int clone_probe(void)
{
	_cleanup_close_ int fs = -1, m = -1, clone = -1;

	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return 0;
	m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
	if (m < 0)
		return 0;
	clone = open_tree(m, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	return clone < 0 ? errno : 0;
}

int pconns_start(struct daemon *d, unsigned n, unsigned max)
{
	struct pconns *p = &d->pconns;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EV_STOP };
	sigset_t all, old;
	int r = 0;

	*p = (struct pconns){ .epoll_fd = -1, .stop_fd = -1, .max = MIN(max, PCONN_HARD_MAX) };
	pthread_mutex_init(&p->lock, NULL);
	p->no_clone = clone_probe();
	if (p->no_clone)
		log_full(&d->log, LOG_NOTICE,
			 "No per-container connections: this kernel cannot clone a detached "
			 "mount (open_tree: %s); every container gets the shared mount",
			 strerror(p->no_clone));
	p->running = true;
	p->slots = calloc(p->max, sizeof(*p->slots));
	p->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!p->slots)
		r = -ENOMEM;
	else if (p->epoll_fd < 0 || p->stop_fd < 0 ||
		 epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, p->stop_fd, &ev) < 0)
		r = -errno;
	/* Signals stay with the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (; r >= 0 && p->n_workers < MIN(n, PCONN_MAX_WORKERS); p->n_workers++) {
		r = -pthread_create(&p->workers[p->n_workers], NULL, worker_main, d);
		if (r < 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		pconns_stop(d);
	return r;
}

/*
 * Out of the table without a word to the kernel or the holders: the device
 * closes here only, and the keeper's or the fd store's copy keeps the
 * connection. Requests queue in the kernel for the next daemon.
 */
static void pconn_leave(struct pconns *p, struct pconn *c)
{
	pthread_mutex_lock(&p->lock);
	p->slots[c->slot] = NULL;
	p->live--;
	c->dead = true;
	pthread_mutex_unlock(&p->lock);
	pconn_unref(c);
}

void pconns_stop(struct daemon *d)
{
	struct pconns *p = &d->pconns;
	bool keep = pconns_stop_keeps(d);
	uint32_t left = 0;

	if (!p->running)
		return;
	if (p->stop_fd >= 0)
		(void)eventfd_write(p->stop_fd, 1);
	/*
	 * The stop eventfd stays readable (not one-shot): every worker sees it,
	 * once it has answered the request it read. So none is left read and
	 * unanswered, which the next daemon could only get back by RESEND.
	 */
	for (unsigned i = 0; i < p->n_workers; i++)
		pthread_join(p->workers[i], NULL);
	/* From now on pconns_keep_all() (the watcher's) hands nothing more over. */
	pthread_mutex_lock(&p->lock);
	p->closing = true;
	pthread_mutex_unlock(&p->lock);
	for (uint32_t i = 0; p->slots && i < p->max; i++) {
		struct pconn *c = p->slots[i];

		if (c && keep) {
			pconn_leave(p, c);
			left++;
		} else if (c)
			pconn_end(d, c, "burrowfs stops");
	}
	if (left)
		log_full(&d->log, LOG_INFO,
			 "%u per-container connection(s) left to the keeper and the fd store for "
			 "the next burrowfs",
			 left);
	if (p->ended)
		log_full(&d->log, LOG_DEBUG,
			 "per-container connections: %" PRIu64 " made, %" PRIu64 " ended", p->made,
			 p->ended);
	pthread_mutex_lock(&p->lock);
	free(p->slots);
	p->slots = NULL;
	p->running = false;
	pthread_mutex_unlock(&p->lock);
	if (p->epoll_fd >= 0)
		close(p->epoll_fd);
	if (p->stop_fd >= 0)
		close(p->stop_fd);
	/* The lock stays usable: the watcher may still look (pconns_keep_all()) until it stops. */
}

int pconns_stats(struct daemon *d, struct strbuf *out)
{
	struct pconns *p = &d->pconns;
	static const char *const req[_PCONN_REQ_MAX] = {
		[PCONN_REQ_LOOKUP] = "lookup",
		[PCONN_REQ_GETATTR] = "getattr",
		[PCONN_REQ_READ] = "read",
		[PCONN_REQ_OTHER] = "other",
	};
	uint32_t live;

	pthread_mutex_lock(&p->lock);
	live = p->live;
	pthread_mutex_unlock(&p->lock);
	strbuf_printf(out, "connections_max %u\n", p->max);
	strbuf_printf(out, "connections_live %u\n", live);
	strbuf_printf(out, "connections_made %" PRIu64 "\n",
		      __atomic_load_n(&p->made, __ATOMIC_RELAXED));
	strbuf_printf(out, "connections_ended %" PRIu64 "\n",
		      __atomic_load_n(&p->ended, __ATOMIC_RELAXED));
	strbuf_printf(out, "connections_refused %" PRIu64 "\n",
		      __atomic_load_n(&p->refused, __ATOMIC_RELAXED));
	strbuf_printf(out, "connections_busy %" PRIu64 "\n",
		      __atomic_load_n(&p->busy, __ATOMIC_RELAXED));
	strbuf_printf(out, "connections_adopted %" PRIu64 "\n",
		      __atomic_load_n(&p->adopted, __ATOMIC_RELAXED));
	strbuf_printf(out, "connections_adopt_dropped %" PRIu64 "\n",
		      __atomic_load_n(&p->adopt_dropped, __ATOMIC_RELAXED));
	for (size_t k = 0; k < _PCONN_REQ_MAX; k++)
		strbuf_printf(out, "requests_%s %" PRIu64 "\n", req[k],
			      __atomic_load_n(&p->req[k], __ATOMIC_RELAXED));
	/* Dynamic nodes of every mount and connection: a connection's end gives its own back. */
	strbuf_printf(out, "nodes_live %zu\n", nodes_count(&d->nodes));
	return strbuf_error(out);
}
