/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where a daemon's /dev/fuse connection comes from, and where it goes when
 * the daemon ends. See README.md ("Restarts") for the whole story; in short,
 * the connection, a detached copy of the mount and the journal outlive every
 * daemon, held by the keeper and, under systemd, by the unit's fd store.
 */
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keeper.h"
#include "log.h"
#include "macro.h"
#include "mount-stack.h"
#include "notify.h"
#include "parse.h"

/* Longer than the keeper gives a serving daemon to hand over. */
#define ATTACH_WAIT_MS 10000
#define STOP_WAIT_MS   10000
/* The unit's FileDescriptorStoreMax= (3 of the shared mount's, 3 per container's) and room. */
#define LISTEN_FDS_MAX 4096

struct acquired {
	int fuse_fd, journal_fd, tree_fd, link_fd;
};

static void acquired_drop(struct acquired *a)
{
	int *v[] = { &a->fuse_fd, &a->journal_fd, &a->tree_fd, &a->link_fd };

	for (size_t i = 0; i < ELEMENTSOF(v); i++)
		if (*v[i] >= 0) {
			close(*v[i]);
			*v[i] = -1;
		}
}

static int lock_start(const struct conn *c)
{
	int fd;

	if (!c->lock[0])
		return -1;
	fd = open(c->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	/* Two daemons starting at once on one mountpoint take turns. */
	if (fd >= 0 && flock(fd, LOCK_EX) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

void agent_kept_drop(struct agent_kept *k)
{
	if (k->sock_fd >= 0)
		close(k->sock_fd);
	if (k->journal_fd >= 0)
		close(k->journal_fd);
	for (size_t i = 0; i < k->n; i++)
		close(k->listeners[i].fd);
	free(k->listeners);
	/* Not LXC's socket: lxcp_start() takes it, conn_close() closes what is left. */
	*k = (struct agent_kept){ .sock_fd = -1, .journal_fd = -1, .lxc_sock_fd = k->lxc_sock_fd };
}

void pconns_kept_add(struct pconns_kept *k, uint32_t id, const int *fds)
{
	struct pconn_kept *v = realloc(k->v, (k->n + 1) * sizeof(*k->v));

	if (!v) {
		for (size_t i = 0; i < PCONN_KEPT_FDS; i++)
			close(fds[i]);
		return;
	}
	k->v = v;
	k->v[k->n] = (struct pconn_kept){ .id = id };
	memcpy(k->v[k->n++].fds, fds, sizeof(k->v->fds));
}

void pconns_kept_drop(struct pconns_kept *k)
{
	for (size_t i = 0; i < k->n; i++)
		for (size_t j = 0; j < PCONN_KEPT_FDS; j++)
			if (k->v[i].fds[j] >= 0)
				close(k->v[i].fds[j]);
	free(k->v);
	*k = (struct pconns_kept){ 0 };
}

/* What follows KMSG_FDS from a keeper that keeps the seccomp agent's fds too. */
static int agent_from_keeper(int fd, struct agent_kept *k, struct pconns_kept *pk)
{
	for (;;) {
		int fds[3] = { -1, -1, -1 };
		size_t n = ELEMENTSOF(fds);
		struct kmsg m;
		int r;

		r = kmsg_recv(fd, &m, fds, &n, ATTACH_WAIT_MS);
		if (r < 0)
			return r;
		if (m.type == KMSG_AGENT_END)
			return 0;
		if (m.type == KMSG_AGENT && n == 2 && k->sock_fd < 0) {
			k->sock_fd = fds[0];
			k->journal_fd = fds[1];
			continue;
		}
		if (m.type == KMSG_LXC_SOCK && n == 1 && k->lxc_sock_fd < 0) {
			k->lxc_sock_fd = fds[0];
			continue;
		}
		if (m.type == KMSG_PCONN && n == PCONN_KEPT_FDS) {
			pconns_kept_add(pk, m.flags, fds);
			continue;
		}
		if (m.type == KMSG_LISTENER && n == 1) {
			void *v = realloc(k->listeners, (k->n + 1) * sizeof(*k->listeners));

			if (v) {
				k->listeners = v;
				k->listeners[k->n++] =
					(struct agent_kept_listener){ fds[0], m.flags };
				continue;
			}
		}
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
	}
}

/* 1: got the connection, 0: no keeper, < 0: a keeper that won't give it. */
static int from_keeper(struct conn *c, struct log *log, struct acquired *a)
{
	_cleanup_close_ int fd = -1;
	int fds[3] = { -1, -1, -1 };
	size_t n = ELEMENTSOF(fds);
	struct kmsg m;
	int r;

	if (!c->sock[0] || keeper_connect(c->sock, &fd) < 0)
		return 0;
	r = kmsg_send(fd, KMSG_ATTACH, 0, NULL, 0);
	if (r >= 0)
		r = kmsg_recv(fd, &m, fds, &n, ATTACH_WAIT_MS);
	if (r < 0)
		return log_errno(log, LOG_ERR, r, "The keeper of %s did not answer: %m",
				 c->mountpoint);
	if (m.type == KMSG_BUSY)
		return log_errno(log, LOG_ERR, -EBUSY,
				 "The burrowfs serving %s did not hand over; try again",
				 c->mountpoint);
	if (m.type != KMSG_FDS || n < 2) {
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
		return log_errno(log, LOG_ERR, -EPROTO, "The keeper of %s sent nonsense",
				 c->mountpoint);
	}
	a->fuse_fd = fds[0];
	a->journal_fd = fds[1];
	a->tree_fd = n > 2 ? fds[2] : -1;
	/* Lost, they would fail the containers' sysinfo calls: say so, but serve. */
	if ((m.flags & KMSG_HAS_AGENT) && (r = agent_from_keeper(fd, &c->agent, &c->pconns)) < 0)
		log_errno(log, LOG_ERR, r,
			  "The keeper of %s did not give back the seccomp agent: %m",
			  c->mountpoint);
	a->link_fd = TAKE_FD(fd);
	return 1;
}

/*
 * "pconn-ID-fuse", "-root", "-rec": one fd of a per-container connection
 * (fdstore_pconn() in pconn-keep.c names them). 0: taken into k.
 */
static int listen_pconn(struct pconns_kept *k, const char *name, size_t len, int fd)
{
	static const char *const kinds[PCONN_KEPT_FDS] = { "fuse", "root", "rec" };
	char buf[48], *dash;
	uint64_t id;
	size_t i, j;

	if (len >= sizeof(buf) || len < 6 || strncmp(name, "pconn-", 6) != 0)
		return -EINVAL;
	memcpy(buf, name, len);
	buf[len] = '\0';
	dash = strchr(buf + 6, '-');
	if (!dash)
		return -EINVAL;
	*dash = '\0';
	if (safe_atou64(buf + 6, &id) < 0 || id == 0 || id > UINT32_MAX)
		return -EINVAL;
	for (j = 0; j < PCONN_KEPT_FDS && strcmp(dash + 1, kinds[j]) != 0; j++)
		;
	if (j == PCONN_KEPT_FDS)
		return -EINVAL;
	for (i = 0; i < k->n && k->v[i].id != (uint32_t)id; i++)
		;
	if (i == k->n) {
		const int none[PCONN_KEPT_FDS] = { -1, -1, -1 };

		pconns_kept_add(k, (uint32_t)id, none);
		if (i == k->n)
			return -ENOMEM;
	}
	if (k->v[i].fds[j] >= 0)
		return -EEXIST;
	k->v[i].fds[j] = fd;
	return 0;
}

/* systemd's fd store, handed back on a restart as LISTEN_FDS with LISTEN_FDNAMES. */
static int from_listen_fds(struct acquired *a, struct pconns_kept *pk)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	uint64_t p, n;
	const char *s = names ? names : "";

	if (!pid || !fds || safe_atou64(pid, &p) < 0 || p != (uint64_t)getpid() ||
	    safe_atou64(fds, &n) < 0 || n > LISTEN_FDS_MAX)
		return 0;
	for (int i = 0; i < (int)n; i++) {
		size_t len = strcspn(s, ":");
		int fd = 3 + i, *slot = NULL;

		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		if (len == 4 && strncmp(s, "fuse", 4) == 0)
			slot = &a->fuse_fd;
		else if (len == 7 && strncmp(s, "journal", 7) == 0)
			slot = &a->journal_fd;
		else if (len == 4 && strncmp(s, "tree", 4) == 0)
			slot = &a->tree_fd;
		if (slot && *slot < 0)
			*slot = fd;
		else if (slot || listen_pconn(pk, s, len, fd) < 0)
			close(fd);
		s += len + (s[len] == ':');
	}
	/* Not for the keeper or anything else we start. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (a->fuse_fd < 0 || a->journal_fd < 0) {
		acquired_drop(a);
		return 0;
	}
	return 1;
}

static bool connection_alive(int fuse_fd)
{
	struct pollfd p = { .fd = fuse_fd, .events = 0 };

	/* An aborted or unmounted connection polls POLLERR. */
	return poll(&p, 1, 0) == 0;
}

/* Takes over a live connection: its journal, and its mount back on the mountpoint. */
static int attach(struct conn *c, struct log *log, struct acquired *a)
{
	struct mount_top t;
	dev_t dev;
	int r;

	if (!connection_alive(a->fuse_fd))
		return log_errno(log, LOG_INFO, -ENOTCONN, "The connection of %s has ended",
				 c->mountpoint);
	r = journal_open(&c->journal, a->journal_fd);
	if (r < 0)
		return log_errno(log, LOG_ERR, r, "The journal of %s is unusable: %m",
				 c->mountpoint);
	a->journal_fd = -1;
	c->dev = (dev_t)journal_dev(&c->journal);
	if (a->tree_fd >= 0 && (mount_dev(a->tree_fd, &dev) < 0 || dev != c->dev)) {
		close(a->tree_fd);
		a->tree_fd = -1;
	}
	r = mount_top(c->mountpoint, &t);
	if (r < 0)
		return log_errno(log, LOG_ERR, r, "Failed to read the mount table: %m");
	/* Still mounted after any restart; gone after a timeout under systemd: put it back. */
	if (!t.found || t.dev != c->dev) {
		if (a->tree_fd < 0)
			return log_errno(log, LOG_ERR, -ENOENT,
					 "No copy of the mount of %s is left to put back",
					 c->mountpoint);
		(void)mount_detach_stale(c->mountpoint, c->dev);
		r = mount_attach(a->tree_fd, c->mountpoint);
		if (r < 0)
			return log_errno(log, LOG_ERR, r, "Failed to put the mount back on %s: %m",
					 c->mountpoint);
		/* That copy is the mount now: a later restart needs a fresh one. */
		close(a->tree_fd);
		a->tree_fd = -1;
	}
	c->fuse_fd = TAKE_FD(a->fuse_fd);
	c->tree_fd = TAKE_FD(a->tree_fd);
	c->link_fd = TAKE_FD(a->link_fd);
	c->attached = true;
	return 0;
}

static int fresh(struct conn *c, struct log *log, struct fuse_session *se)
{
	struct mount_top t;
	int r;

	r = mount_detach_stale(c->mountpoint, 0);
	if (r > 0)
		log_full(log, LOG_INFO, "Detached %d dead burrowfs mount(s) from %s", r,
			 c->mountpoint);
	if (fuse_session_mount(se, c->mountpoint) < 0)
		return log_errno(log, LOG_ERR, -EIO, "Failed to mount on %s", c->mountpoint);
	c->fuse_fd = fuse_session_fd(se);
	r = journal_create(&c->journal, JOURNAL_ARENA_DEFAULT);
	if (r < 0)
		return log_errno(log, LOG_ERR, r, "Failed to create the journal: %m");
	r = mount_clone(c->mountpoint, &c->tree_fd);
	if (r >= 0)
		r = mount_dev(c->tree_fd, &c->dev);
	if (r < 0) {
		log_errno(log, LOG_WARNING, r,
			  "Cannot keep a copy of the mount (open_tree: %m): after a timeout, "
			  "containers must bind burrowfs anew");
		if (mount_top(c->mountpoint, &t) >= 0 && t.found)
			c->dev = t.dev;
	}
	journal_set_dev(&c->journal, c->dev);
	return 0;
}

static void fdstore_push(struct conn *c, struct log *log)
{
	int r;

	/* The old copy may be the mount itself now: only the newest is worth keeping. */
	(void)notify_send("FDSTOREREMOVE=1\nFDNAME=tree");
	/*
	 * systemd watches stored fds with epoll unless told FDPOLL=0. Not
	 * /dev/fuse: the kernel wakes every poller of the device on every
	 * request (with no event key), so PID 1 would wake once per read of
	 * every container, as the keeper did (see keeper.c). A connection that
	 * ended is refused at the next start anyway (connection_alive()). The
	 * tree is an O_PATH fd, which epoll refuses (EBADF: systemd would not
	 * store it), and the journal, a memfd, never signals.
	 */
	r = notify_send_fds("FDSTORE=1\nFDNAME=fuse\nFDPOLL=0", &c->fuse_fd, 1);
	if (r >= 0)
		r = notify_send_fds("FDSTORE=1\nFDNAME=journal\nFDPOLL=0", &c->journal.fd, 1);
	if (r >= 0 && c->tree_fd >= 0)
		r = notify_send_fds("FDSTORE=1\nFDNAME=tree\nFDPOLL=0", &c->tree_fd, 1);
	if (r < 0)
		log_errno(log, LOG_WARNING, r, "Failed to hand the connection to systemd: %m");
}

static int spawn_keeper(struct conn *c)
{
	const struct keeper_args a = { .mountpoint = c->mountpoint,
				       .sock = c->sock,
				       .restart_timeout = c->restart_timeout,
				       .dev = c->dev,
				       .fdstore = c->fdstore,
				       .fuse_fd = c->fuse_fd,
				       .journal_fd = c->journal.fd,
				       .tree_fd = c->tree_fd };

	return keeper_spawn(&a, &c->link_fd);
}

/* What keeps the connection from now on: a copy of the mount, the keeper, the fd store. */
static void hold(struct conn *c, struct log *log)
{
	int r;

	if (c->tree_fd < 0 && mount_clone(c->mountpoint, &c->tree_fd) >= 0 && c->link_fd >= 0)
		(void)kmsg_send(c->link_fd, KMSG_TREE, 0, &c->tree_fd, 1);
	if (c->link_fd < 0 && c->sock[0]) {
		r = spawn_keeper(c);
		if (r < 0)
			log_errno(log, LOG_WARNING, r,
				  "Failed to start the keeper: a restart will break containers' "
				  "files: %m");
	}
	if (c->fdstore)
		fdstore_push(c, log);
}

int conn_open(struct conn *c, struct log *log, struct fuse_session *se, const char *mountpoint,
	      unsigned restart_timeout)
{
	struct acquired a = { -1, -1, -1, -1 }, l = { -1, -1, -1, -1 };
	struct pconns_kept lp = { 0 };
	_cleanup_close_ int lock_fd = -1;
	int r, got;

	*c = (struct conn){ .fuse_fd = -1,
			    .tree_fd = -1,
			    .link_fd = -1,
			    .restart_timeout = restart_timeout,
			    .fdstore = notify_enabled(),
			    .journal = { .fd = -1 },
			    .agent = { .sock_fd = -1, .journal_fd = -1, .lxc_sock_fd = -1 } };
	r = mount_canonical(mountpoint, &c->mountpoint);
	if (r < 0)
		return log_errno(log, LOG_ERR, r, "Cannot use mountpoint %s: %m", mountpoint);
	r = keeper_paths(c->mountpoint, c->sock, sizeof(c->sock), c->lock, sizeof(c->lock));
	if (r < 0) {
		log_errno(log, LOG_WARNING, r, "No runtime directory for a keeper (%m)");
		c->sock[0] = c->lock[0] = '\0';
	}
	lock_fd = lock_start(c);
	/* Under the lock: no keeper is between bind() and listen() on its socket. */
	if (lock_fd >= 0) {
		r = keeper_sweep(c->sock);
		if (r > 0)
			log_full(log, LOG_INFO, "Removed %d socket(s) of keepers that are gone", r);
	}

	got = from_listen_fds(&l, &lp);
	r = from_keeper(c, log, &a);
	if (r < 0) {
		acquired_drop(&l);
		pconns_kept_drop(&lp);
		return r;
	}
	/* The keeper's are the newest: the fd store's are only for when no keeper lived. */
	if (r > 0) {
		c->from_keeper = true;
		acquired_drop(&l);
		pconns_kept_drop(&lp);
	} else {
		c->pconns = lp;
		if (got > 0)
			a = l;
	}
	if (a.fuse_fd >= 0 && attach(c, log, &a) < 0) {
		log_full(log, LOG_ERR,
			 "Mounting %s anew: containers that bound the old mount lose it",
			 c->mountpoint);
		if (a.link_fd >= 0)
			(void)kmsg_send(a.link_fd, KMSG_STOP, 0, NULL, 0);
		acquired_drop(&a);
		journal_close(&c->journal);
	}
	if (!c->attached) {
		r = fresh(c, log, se);
		if (r < 0)
			return r;
	}
	hold(c, log);
	return 0;
}

bool conn_mounted(const struct conn *c)
{
	struct mount_top t;

	return mount_top(c->mountpoint, &t) >= 0 && t.found && t.dev == c->dev;
}

void conn_close(struct conn *c, struct log *log, enum stop_mode mode)
{
	/*
	 * A SIGTERM leaves the mount to whoever holds the connection, so that
	 * containers started before the next daemon still bind it; with no
	 * holder the connection ends with us, and so does the mount.
	 */
	bool held = c->link_fd >= 0 || c->fdstore;

	if (mode != STOP_HANDOVER && !(mode == STOP_DETACH && held) && conn_mounted(c) &&
	    umount2(c->mountpoint, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
		log_errno(log, LOG_WARNING, -errno, "Failed to unmount %s: %m", c->mountpoint);
	if (mode == STOP_FULL || mode == STOP_NONE) {
		if (c->link_fd >= 0)
			(void)kmsg_send(c->link_fd, KMSG_STOP, 0, NULL, 0);
		if (c->fdstore)
			(void)notify_send("FDSTOREREMOVE=1\nFDNAME=fuse\n");
		if (c->fdstore)
			(void)notify_send("FDSTOREREMOVE=1\nFDNAME=journal\n");
		if (c->fdstore)
			(void)notify_send("FDSTOREREMOVE=1\nFDNAME=tree\n");
	}
	if (c->link_fd >= 0)
		close(c->link_fd);
	if (c->tree_fd >= 0)
		close(c->tree_fd);
	journal_close(&c->journal);
	agent_kept_drop(&c->agent);
	pconns_kept_drop(&c->pconns);
	if (c->agent.lxc_sock_fd >= 0)
		close(TAKE_FD(c->agent.lxc_sock_fd));
	free(c->mountpoint);
	*c = (struct conn){ .fuse_fd = -1, .tree_fd = -1, .link_fd = -1, .journal = { .fd = -1 } };
}

int conn_respawn_keeper(struct conn *c)
{
	_cleanup_close_ int lock_fd = -1;

	if (!c->sock[0])
		return -ENOENT;
	lock_fd = lock_start(c);
	if (c->link_fd >= 0)
		close(c->link_fd);
	c->link_fd = -1;
	if (c->tree_fd < 0)
		(void)mount_clone(c->mountpoint, &c->tree_fd);
	return spawn_keeper(c);
}

int conn_stop(const char *mountpoint, struct log *log)
{
	_cleanup_free_ char *mp = NULL;
	_cleanup_close_ int fd = -1;
	char sock[108], lock[PATH_MAX];
	bool keeper = false;
	struct kmsg m;
	int r;

	r = mount_canonical(mountpoint, &mp);
	if (r < 0)
		return log_errno(log, LOG_ERR, r, "Cannot use mountpoint %s: %m", mountpoint);
	if (keeper_paths(mp, sock, sizeof(sock), lock, sizeof(lock)) >= 0 &&
	    keeper_connect(sock, &fd) >= 0 && kmsg_send(fd, KMSG_STOP, 0, NULL, 0) >= 0) {
		keeper = true;
		/* The keeper closes the link once the daemon is gone and it ends itself. */
		do
			r = kmsg_recv(fd, &m, NULL, NULL, STOP_WAIT_MS);
		while (r >= 0 || r == -EPROTO);
		if (r == -ETIMEDOUT)
			log_full(log, LOG_ERR, "The keeper of %s did not end in time", mp);
	}
	/* A daemon killed with the keeper left a dead mount: that goes too. */
	r = mount_detach_stale(mp, 0);
	if (r < 0)
		return log_errno(log, LOG_ERR, r, "Failed to unmount %s: %m", mp);
	if (!keeper && r == 0)
		log_full(log, LOG_INFO, "Nothing serves %s", mp);
	return 0;
}
