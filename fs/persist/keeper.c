/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "keeper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fdpass.h"
#include "macro.h"
#include "mount-stack.h"
#include "parse.h"
#include "sockpath.h"

#define KMSG_MAGIC	 0x4b525242u /* "BRRK" */
#define MAX_FDS		 3
/* How long a serving daemon gets to finish its requests and hand over. */
#define HANDOVER_MS	 5000
/* A client that connects and says nothing is dropped after this. */
#define HELLO_MS	 1000
/*
 * A daemon that got per-container connections and neither took them over
 * (KMSG_PCONN back) nor let them go (KMSG_UNPCONN) within this long is an
 * older burrowfs that knows nothing of them: they go, or their readers
 * would wait as long as it serves.
 */
#define PCONN_CONFIRM_MS 10000

enum { FD_FUSE = 3, FD_JOURNAL, FD_TREE, FD_LINK, FD_LISTEN, FD_FIRST_FREE };

static uint64_t fnv1a(const char *s)
{
	uint64_t h = UINT64_C(1469598103934665603);

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return h;
}

/*
 * Root's keepers live in /run/burrowfs, mode 0755: the seccomp agent's socket
 * (0666) is there too, for every user's containers. A keeper's socket hands
 * out /dev/fuse, so the keeper itself answers only root and its own uid
 * (peer_trusted), and start.lock is 0600. An older burrowfs made the folder
 * 0700, which shut users out of the agent: it is opened up again.
 */
static int runtime_dir(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	bool root = geteuid() == 0;
	_cleanup_close_ int fd = -1;
	struct stat st;
	int n;

	if (root)
		n = snprintf(buf, size, "/run/burrowfs");
	else if (xdg && *xdg == '/')
		n = snprintf(buf, size, "%s/burrowfs", xdg);
	else
		return -ENOENT;
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	if (mkdir(buf, root ? 0755 : 0700) < 0 && errno != EEXIST)
		return -errno;
	if (!root)
		return 0;
	fd = open(buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (st.st_uid != 0)
		return -EPERM;
	if ((st.st_mode & 07777) != 0755 && fchmod(fd, 0755) < 0)
		return -errno;
	return 0;
}

int keeper_paths(const char *mountpoint, char *sock, size_t sock_size, char *lock, size_t lock_size)
{
	char dir[PATH_MAX];
	uint64_t h = fnv1a(mountpoint);
	int r, a, b;

	r = runtime_dir(dir, sizeof(dir));
	if (r < 0)
		return r;
	/* A hash: any mountpoint path fits sun_path. */
	a = snprintf(sock, sock_size, "%s/%016llx.sock", dir, (unsigned long long)h);
	/* One lock for all: a start holds it only while it gets its connection. */
	b = snprintf(lock, lock_size, "%s/start.lock", dir);
	if (a < 0 || (size_t)a >= sock_size ||
	    a >= (int)sizeof(((struct sockaddr_un *)0)->sun_path) || b < 0 ||
	    (size_t)b >= lock_size)
		return -ENAMETOOLONG;
	return 0;
}

int kmsg_send(int fd, enum kmsg_type type, uint32_t flags, const int *fds, size_t nfds)
{
	struct kmsg m = { .magic = KMSG_MAGIC,
			  .version = KEEPER_VERSION,
			  .type = (uint16_t)type,
			  .pid = (int32_t)getpid(),
			  .flags = flags };

	if (nfds > MAX_FDS)
		return -EINVAL;
	return fdpass_send(fd, &m, sizeof(m), fds, nfds);
}

int kmsg_recv(int fd, struct kmsg *ret, int *fds, size_t *nfds, int timeout_ms)
{
	const struct fdpass_opts opts = { .flags = MSG_DONTWAIT };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	struct kmsg m;
	ssize_t n;
	int r;

	r = poll(&p, 1, timeout_ms);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	n = fdpass_recv_ex(fd, &opts, &m, sizeof(m), fds, nfds ? *nfds : 0, &got);
	/* Longer than ours, or more fds than asked for (all closed): not our protocol. */
	if (n == -EMSGSIZE)
		return -EPROTO;
	if (n < 0)
		return (int)n;
	if (n == 0 || (size_t)n != sizeof(m) || m.magic != KMSG_MAGIC ||
	    m.version != KEEPER_VERSION) {
		for (size_t i = 0; i < got; i++)
			close(fds[i]);
		return n == 0 ? -ECONNRESET : -EPROTO;
	}
	if (nfds)
		*nfds = got;
	*ret = m;
	return 0;
}

int keeper_connect(const char *sock, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strncpy(sa.sun_path, sock, sizeof(sa.sun_path) - 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int listen_on(const char *sock, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strncpy(sa.sun_path, sock, sizeof(sa.sun_path) - 1);
	/* Whoever held the path is gone: the start lock proves no keeper answers it. */
	(void)unlink(sock);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0)
		return -errno;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Our sockets' names: keeper_paths()'s 16 hex digits and ".sock". */
static bool keeper_sock_name(const char *name)
{
	size_t n = strspn(name, "0123456789abcdef");

	return n == 16 && strcmp(name + n, ".sock") == 0;
}

/*
 * A keeper holds its listening socket until it exits, so a socket nobody
 * listens on proves the keeper gone; a full backlog, or anything else,
 * counts as alive.
 */
static bool sock_dead(const char *dir, const char *name)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	return sockpath_probe(path, SOCK_SEQPACKET) == SOCKPATH_STALE;
}

int keeper_sweep(const char *sock)
{
	_cleanup_closedir_ DIR *d = NULL;
	const char *slash = strrchr(sock, '/');
	char dir[PATH_MAX];
	struct dirent *e;
	int count = 0;

	if (!slash || slash == sock || (size_t)(slash - sock) >= sizeof(dir))
		return -EINVAL;
	memcpy(dir, sock, (size_t)(slash - sock));
	dir[slash - sock] = '\0';
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		struct stat st;

		if (!keeper_sock_name(e->d_name) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISSOCK(st.st_mode) || st.st_uid != geteuid() || !sock_dead(dir, e->d_name))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			count++;
	}
	return count;
}

/* Grandchild side of keeper_spawn: only async-signal-safe calls, then exec. */
static _Noreturn void exec_keeper(const char *exe, char **argv, const int *src, int null_fd)
{
	int tmp[FD_FIRST_FREE];

	/* Out of the way first: a source may sit on a target number. */
	for (int i = FD_FUSE; i < FD_FIRST_FREE; i++)
		tmp[i] = src[i] >= 0 ? fcntl(src[i], F_DUPFD_CLOEXEC, 64) : -1;
	for (int i = FD_FUSE; i < FD_FIRST_FREE; i++) {
		if (tmp[i] < 0)
			close(i);
		else if (dup2(tmp[i], i) < 0)
			_exit(127);
	}
	if (dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(null_fd, 2) < 0)
		_exit(127);
	/* Nothing the daemon inherited (a test's pipe, a terminal) may stay open in it. */
	if (close_range(FD_FIRST_FREE, ~0U, 0) < 0)
		for (int fd = FD_FIRST_FREE; fd < 4096; fd++)
			close(fd);
	execv(exe, argv);
	_exit(127);
}

/*
 * Our binary's path. /proc/self/exe itself would name valgrind's tool under
 * valgrind (which shows the client's path to readlink); after an upgrade
 * deleted the file, only /proc/self/exe still reaches it.
 */
static void exe_path(char *buf, size_t size)
{
	static const char deleted[] = " (deleted)";
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);

	if (n > 0 && (size_t)n < size - 1) {
		buf[n] = '\0';
		if (!((size_t)n > STRLEN(deleted) &&
		      strcmp(buf + n - STRLEN(deleted), deleted) == 0) &&
		    access(buf, X_OK) == 0)
			return;
	}
	snprintf(buf, size, "/proc/self/exe");
}

int keeper_spawn(const struct keeper_args *a, int *ret_link)
{
	_cleanup_close_ int listen_fd = -1, null_fd = -1, mine = -1, theirs = -1;
	char timeout[16], dev[24], has_tree[2] = { a->tree_fd >= 0 ? '1' : '0', '\0' };
	char fdstore[2] = { a->fdstore ? '1' : '0', '\0' };
	char *argv[] = { "burrowfs-keeper",
			 "--keeper",
			 (char *)a->mountpoint,
			 (char *)a->sock,
			 timeout,
			 has_tree,
			 dev,
			 fdstore,
			 NULL };
	int src[FD_FIRST_FREE] = { -1, -1, -1, a->fuse_fd, a->journal_fd, a->tree_fd, -1, -1 };
	char exe[PATH_MAX];
	struct kmsg m;
	int sv[2], st, r;
	pid_t pid;

	snprintf(timeout, sizeof(timeout), "%u", a->restart_timeout);
	snprintf(dev, sizeof(dev), "%llu", (unsigned long long)a->dev);
	exe_path(exe, sizeof(exe));
	r = listen_on(a->sock, &listen_fd);
	if (r < 0)
		return r;
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		return -errno;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	mine = sv[0];
	theirs = sv[1];
	src[FD_LINK] = theirs;
	src[FD_LISTEN] = listen_fd;

	/* Twice: the keeper is nobody's child here, and never our zombie. */
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (setsid() < 0)
			_exit(127);
		pid = fork();
		if (pid < 0)
			_exit(127);
		if (pid > 0)
			_exit(0);
		exec_keeper(exe, argv, src, null_fd);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -ECHILD;
	/* Our end of the socket pair must be the only one: its peer is the keeper's. */
	close(TAKE_FD(theirs));
	r = kmsg_recv(mine, &m, NULL, NULL, 5000);
	if (r < 0)
		return r;
	if (m.type != KMSG_READY)
		return -EPROTO;
	*ret_link = TAKE_FD(mine);
	return 0;
}

/* ---- the keeper process ---------------------------------------------------- */

struct kept_listener {
	int fd;
	uint32_t id;
};

/* A per-container connection's fds: device, root mount, record (KMSG_PCONN). */
#define PCONN_KEPT_FDS 3
struct kept_pconn {
	int fds[PCONN_KEPT_FDS];
	uint32_t id;
	bool unconfirmed; /* given to the serving daemon, not yet kept again by it */
};

struct keeper {
	const char *sock;
	const char *mountpoint;
	dev_t dev; /* 0: unknown (a keeper started by an older burrowfs) */
	bool fdstore;
	int agent_sock, agent_journal;
	int lxc_sock; /* LXC's seccomp proxy: connects while no daemon runs wait in its backlog */
	struct kept_listener *listeners;
	size_t n_listeners, cap_listeners;
	struct kept_pconn *pconns;
	size_t n_pconns, cap_pconns;
	uint64_t pconn_check; /* when unconfirmed ones go; 0: no check due */
	uint64_t timeout_ns;
	int tree;
	int cur;	   /* the serving daemon's link */
	int pending;	   /* a daemon waiting for cur to hand over */
	int stopper;	   /* a burrowfs --stop waiting for the end */
	uint64_t lost_at;  /* when the last daemon went away; 0 while one serves */
	uint64_t deadline; /* of a handover or a stop in progress; 0: none */
	bool stopping;
	struct stat sock_st;
};

static void drop(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* After KMSG_FDS: everything of the seccomp agent's we hold, then the end mark. */
static int give_agent(struct keeper *k, int c)
{
	int fds[] = { k->agent_sock, k->agent_journal };
	int r = 0;

	if (k->agent_sock >= 0 && k->agent_journal >= 0)
		r = kmsg_send(c, KMSG_AGENT, 0, fds, 2);
	for (size_t i = 0; r >= 0 && i < k->n_listeners; i++)
		r = kmsg_send(c, KMSG_LISTENER, k->listeners[i].id, &k->listeners[i].fd, 1);
	if (r >= 0 && k->lxc_sock >= 0)
		r = kmsg_send(c, KMSG_LXC_SOCK, 0, &k->lxc_sock, 1);
	for (size_t i = 0; r >= 0 && i < k->n_pconns; i++)
		r = kmsg_send(c, KMSG_PCONN, k->pconns[i].id, k->pconns[i].fds, PCONN_KEPT_FDS);
	if (r >= 0)
		r = kmsg_send(c, KMSG_AGENT_END, 0, NULL, 0);
	return r;
}

/* Hands the connection to c, which becomes the serving daemon. */
static void give(struct keeper *k, int c)
{
	int fds[] = { FD_FUSE, FD_JOURNAL, k->tree };
	size_t n = k->tree >= 0 ? 3 : 2;
	uint32_t flags = (k->tree >= 0 ? KMSG_HAS_TREE : 0) | KMSG_HAS_AGENT;

	if (kmsg_send(c, KMSG_FDS, flags, fds, n) < 0 || give_agent(k, c) < 0) {
		close(c);
		if (k->cur < 0)
			k->lost_at = now_ns();
		return;
	}
	k->cur = c;
	k->lost_at = 0;
	for (size_t i = 0; i < k->n_pconns; i++)
		k->pconns[i].unconfirmed = true;
	if (k->n_pconns)
		k->pconn_check = now_ns() + (uint64_t)PCONN_CONFIRM_MS * NSEC_PER_MSEC;
}

/* The serving daemon let the check's time pass: what it did not take is not for it. */
static void drop_unconfirmed(struct keeper *k)
{
	for (size_t i = k->n_pconns; i-- > 0;)
		if (k->pconns[i].unconfirmed) {
			for (size_t j = 0; j < PCONN_KEPT_FDS; j++)
				close(k->pconns[i].fds[j]);
			k->pconns[i] = k->pconns[--k->n_pconns];
		}
	k->pconn_check = 0;
}

static bool peer_trusted(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	return cr.uid == 0 || cr.uid == geteuid();
}

/* 1: the keeper must end now. */
static int on_client(struct keeper *k, int c)
{
	struct kmsg m;

	if (!peer_trusted(c) || kmsg_recv(c, &m, NULL, NULL, HELLO_MS) < 0) {
		close(c);
		return 0;
	}
	if (m.type == KMSG_STOP) {
		drop(&k->stopper);
		k->stopper = c;
		k->stopping = true;
		drop(&k->pending);
		if (k->cur < 0)
			return 1;
		(void)kmsg_send(k->cur, KMSG_STOP, 0, NULL, 0);
		k->deadline = now_ns() + (uint64_t)HANDOVER_MS * NSEC_PER_MSEC;
		return 0;
	}
	if (m.type != KMSG_ATTACH || k->stopping || k->pending >= 0) {
		(void)kmsg_send(c, KMSG_BUSY, 0, NULL, 0);
		close(c);
		return 0;
	}
	if (k->cur < 0) {
		give(k, c);
		return 0;
	}
	/* An upgrade: the serving daemon finishes what it has read and exits; then c gets it. */
	(void)kmsg_send(k->cur, KMSG_HANDOVER, 0, NULL, 0);
	k->pending = c;
	k->deadline = now_ns() + (uint64_t)HANDOVER_MS * NSEC_PER_MSEC;
	return 0;
}

static void keep_listener(struct keeper *k, int fd, uint32_t id)
{
	if (k->n_listeners == k->cap_listeners) {
		size_t cap = k->cap_listeners ? k->cap_listeners * 2 : 64;
		struct kept_listener *v = realloc(k->listeners, cap * sizeof(*v));

		/* Without room the listener goes: its calls fail (ENOSYS), no one hangs. */
		if (!v) {
			close(fd);
			return;
		}
		k->listeners = v;
		k->cap_listeners = cap;
	}
	k->listeners[k->n_listeners++] = (struct kept_listener){ fd, id };
}

static void drop_listener(struct keeper *k, uint32_t id)
{
	for (size_t i = 0; i < k->n_listeners; i++)
		if (k->listeners[i].id == id) {
			close(k->listeners[i].fd);
			k->listeners[i] = k->listeners[--k->n_listeners];
			return;
		}
}

static void drop_pconn(struct keeper *k, uint32_t id)
{
	for (size_t i = 0; i < k->n_pconns; i++)
		if (k->pconns[i].id == id) {
			for (size_t j = 0; j < PCONN_KEPT_FDS; j++)
				close(k->pconns[i].fds[j]);
			k->pconns[i] = k->pconns[--k->n_pconns];
			return;
		}
}

/*
 * The keeper's copy keeps the connection alive between daemons (the kernel
 * ends it with its device's last holder). One id, one entry: a daemon that
 * hands over again what it adopted replaces the older copy.
 */
static void keep_pconn(struct keeper *k, const int *fds, uint32_t id)
{
	drop_pconn(k, id);
	if (k->n_pconns == k->cap_pconns) {
		size_t cap = k->cap_pconns ? k->cap_pconns * 2 : 16;
		struct kept_pconn *v = realloc(k->pconns, cap * sizeof(*v));

		/* Without room it is not kept: a restart ends it (ENOTCONN), nothing hangs. */
		if (!v) {
			for (size_t j = 0; j < PCONN_KEPT_FDS; j++)
				close(fds[j]);
			return;
		}
		k->pconns = v;
		k->cap_pconns = cap;
	}
	k->pconns[k->n_pconns] = (struct kept_pconn){ .id = id };
	memcpy(k->pconns[k->n_pconns++].fds, fds, sizeof(k->pconns->fds));
}

/* 1: a message of the seccomp agent's, taken (its fds now ours, or closed). */
static int on_agent_msg(struct keeper *k, const struct kmsg *m, int *fds, size_t nfds)
{
	switch (m->type) {
	case KMSG_AGENT:
		if (nfds != 2)
			break;
		drop(&k->agent_sock);
		drop(&k->agent_journal);
		k->agent_sock = fds[0];
		k->agent_journal = fds[1];
		return 1;
	case KMSG_LISTENER:
		if (nfds != 1)
			break;
		keep_listener(k, fds[0], m->flags);
		return 1;
	case KMSG_LXC_SOCK:
		if (nfds != 1)
			break;
		drop(&k->lxc_sock);
		k->lxc_sock = fds[0];
		return 1;
	case KMSG_UNLISTEN:
		drop_listener(k, m->flags);
		break;
	case KMSG_PCONN:
		if (nfds != PCONN_KEPT_FDS)
			break;
		keep_pconn(k, fds, m->flags);
		return 1;
	case KMSG_UNPCONN:
		drop_pconn(k, m->flags);
		break;
	default:
		return 0;
	}
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	return 1;
}

/* 1: the keeper must end now. */
static int on_daemon(struct keeper *k, short revents)
{
	int fds[MAX_FDS];
	size_t nfds = MAX_FDS;
	struct kmsg m;
	int r;

	r = kmsg_recv(k->cur, &m, fds, &nfds, 0);
	if (r == 0) {
		if (m.type == KMSG_TREE && nfds == 1) {
			drop(&k->tree);
			k->tree = fds[0];
			return 0;
		}
		if (on_agent_msg(k, &m, fds, nfds))
			return 0;
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		/* The daemon saw the mount go (an unmount): the end. */
		return m.type == KMSG_STOP;
	}
	if (r != -ECONNRESET && r != -EPROTO && !(revents & (POLLHUP | POLLERR)))
		return 0;
	drop(&k->cur);
	k->deadline = 0;
	/* It died before it could take them: they wait for the next one. */
	k->pconn_check = 0;
	if (k->stopping)
		return 1;
	if (k->pending >= 0) {
		int c = k->pending;

		k->pending = -1;
		give(k, c);
	} else
		k->lost_at = now_ns();
	return 0;
}

/* How long poll() may sleep; -2 when a deadline passed. */
static int next_timeout(struct keeper *k)
{
	uint64_t now = now_ns(), until = 0;

	if (k->cur < 0 && k->pending < 0 && !k->stopping)
		until = k->lost_at + k->timeout_ns;
	if (k->deadline && (!until || k->deadline < until))
		until = k->deadline;
	if (k->pconn_check && (!until || k->pconn_check < until))
		until = k->pconn_check;
	if (!until)
		return -1;
	if (now >= until)
		return -2;
	return (int)MIN((until - now) / NSEC_PER_MSEC + 1, (uint64_t)INT32_MAX);
}

/* 1: end. A passed deadline: restart timeout, a stop, or a daemon that won't hand over. */
static int on_deadline(struct keeper *k)
{
	if (k->pconn_check && now_ns() >= k->pconn_check) {
		drop_unconfirmed(k);
		return 0;
	}
	if (k->stopping || (k->cur < 0 && k->pending < 0))
		return 1;
	(void)kmsg_send(k->pending, KMSG_BUSY, 0, NULL, 0);
	drop(&k->pending);
	k->deadline = 0;
	return 0;
}

/* How the keeper's loop ended. */
enum keeper_end {
	END_DONE,   /* a stop, the timeout, the connection's end */
	END_SIGNAL, /* SIGTERM, SIGINT, SIGHUP */
};

static int keeper_loop(struct keeper *k, int sig_fd)
{
	for (;;) {
		struct pollfd p[] = {
			{ .fd = sig_fd, .events = POLLIN },
			{ .fd = FD_LISTEN, .events = POLLIN },
			/*
			 * Only the end matters (no POLLIN: queued requests are the
			 * next daemon's), and only while no daemon serves: one that
			 * does reads ENODEV at the end and says KMSG_STOP. Polled
			 * while it serves, this fd would wake the keeper on every
			 * request (the kernel wakes its pollers with no event key),
			 * a context switch per request that halves a lone reader's
			 * rate on a small machine.
			 */
			{ .fd = k->cur < 0 ? FD_FUSE : -1, .events = 0 },
			{ .fd = k->cur, .events = POLLIN },
			{ .fd = k->pending, .events = POLLIN },
		};
		int timeout = next_timeout(k), c;

		if (timeout == -2) {
			if (on_deadline(k))
				return END_DONE;
			continue;
		}
		if (poll(p, ELEMENTSOF(p), timeout) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[0].revents)
			return END_SIGNAL;
		if (p[2].revents & (POLLERR | POLLHUP | POLLNVAL))
			return END_DONE;
		if (p[3].revents && on_daemon(k, p[3].revents))
			return END_DONE;
		/* The waiting daemon gave up. */
		if (p[4].revents)
			drop(&k->pending);
		if (p[1].revents & POLLIN) {
			c = accept4(FD_LISTEN, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0 && on_client(k, c))
				return END_DONE;
		}
	}
}

/*
 * The mount goes with the last holder of its connection: left behind, it
 * would answer ENOTCONN, and runtimes would take it for a burrowfs that runs.
 * A daemon that serves keeps it (we were killed by hand: it starts another
 * keeper); under systemd a signal is the unit stopping or restarting, and
 * the fd store holds the connection for the next start.
 */
static void release_mount(const struct keeper *k, int end)
{
	if (k->cur >= 0 || k->dev == 0 || (end == END_SIGNAL && k->fdstore))
		return;
	(void)mount_detach_dev(k->mountpoint, k->dev);
}

/*
 * Closes a listening socket held for daemons to come and, if no one else
 * accepts on its path any more, removes the path: left behind, LXC or a
 * runtime would take it for an agent or proxy that runs.
 */
static void release_listener(int *fd)
{
	struct sockaddr_un sa = { 0 };
	socklen_t len = sizeof(sa);
	int type = 0;
	socklen_t tlen = sizeof(type);
	bool named;

	if (*fd < 0)
		return;
	named = getsockname(*fd, (struct sockaddr *)&sa, &len) == 0 && sa.sun_family == AF_UNIX &&
		sa.sun_path[0] == '/' && getsockopt(*fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0;
	sa.sun_path[sizeof(sa.sun_path) - 1] = '\0';
	drop(fd);
	if (named)
		(void)sockpath_unlink_stale(sa.sun_path, type);
}

static int parse_args(struct keeper *k, int argc, char **argv)
{
	uint64_t timeout_s, dev = 0;

	/* argv: --keeper MOUNTPOINT SOCKET TIMEOUT HAS_TREE [DEV FDSTORE] */
	if ((argc != 6 && argc != 8) || safe_atou64(argv[4], &timeout_s) < 0)
		return -EINVAL;
	if (argc == 8 && safe_atou64(argv[6], &dev) < 0)
		return -EINVAL;
	k->mountpoint = argv[2];
	k->sock = argv[3];
	k->timeout_ns = timeout_s * NSEC_PER_SEC;
	k->dev = (dev_t)dev;
	k->fdstore = argc == 8 && strcmp(argv[7], "1") == 0;
	if (strcmp(argv[5], "1") == 0)
		k->tree = FD_TREE;
	return 0;
}

int keeper_main(int argc, char **argv)
{
	struct keeper k = { .tree = -1,
			    .cur = FD_LINK,
			    .pending = -1,
			    .stopper = -1,
			    .agent_sock = -1,
			    .agent_journal = -1,
			    .lxc_sock = -1 };
	struct rlimit rl;
	sigset_t ss;
	struct stat st;
	int sig_fd, r;

	if (parse_args(&k, argc, argv) < 0)
		return EXIT_FAILURE;
	(void)prctl(PR_SET_NAME, "burrowfs-keeper");
	/* Three fds per kept per-container connection, up to PCONN_HARD_MAX of them. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (stat(k.sock, &k.sock_st) < 0)
		return EXIT_FAILURE;

	/* SIGTERM ends it (systemd stopping the unit, an admin); the fd store may still hold on. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	sig_fd = signalfd(-1, &ss, SFD_CLOEXEC);
	if (sig_fd < 0)
		return EXIT_FAILURE;
	/*
	 * A daemon killed between spawning us and hearing from us is what a
	 * keeper is for: hold the connection for the next one, as after any
	 * daemon's death. (Exiting here ended the connection under a reader.)
	 */
	if (kmsg_send(FD_LINK, KMSG_READY, 0, NULL, 0) < 0) {
		close(FD_LINK);
		k.cur = -1;
		k.lost_at = now_ns();
	}

	r = keeper_loop(&k, sig_fd);
	if (r >= 0)
		release_mount(&k, r);
	/* The end, as for the mount: the agent's and the LXC proxy's paths go too. */
	if (r >= 0 && k.cur < 0 && !(r == END_SIGNAL && k.fdstore)) {
		release_listener(&k.agent_sock);
		release_listener(&k.lxc_sock);
	}
	/* Only our own socket: a newer keeper may have taken the path. */
	if (stat(k.sock, &st) == 0 && st.st_ino == k.sock_st.st_ino &&
	    st.st_dev == k.sock_st.st_dev)
		unlink(k.sock);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
