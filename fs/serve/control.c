/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control socket: who may ask for a container's own connection, and
 * the requests (bindings/control.h has the messages). Making and serving
 * connections is pconn.c's.
 *
 * Who may attach a container. The container is a pid namespace (as in
 * ctr.c), named by a pidfd of any of its processes. The caller may act for
 * it when the kernel would let the caller setns() into that pid namespace:
 * ns_capable(CAP_SYS_ADMIN) over the user namespace that owns it. We apply
 * the kernel's own rule (security/commoncap.c, cap_capable()), walking from
 * that user namespace up to ours:
 *   - at the caller's own user namespace: the caller's effective set must
 *     hold CAP_SYS_ADMIN (host root in ours; the launcher's setup process
 *     or a hook in the container's);
 *   - a namespace whose parent is the caller's and whose owner is the
 *     caller's euid: yes (the ordinary user who created the container);
 *   - past our own user namespace: no.
 * So root of a privileged LXC container (host uid 0 without CAP_SYS_ADMIN
 * over our namespace) may not attach another container, and no user may
 * attach a container that another user created.
 */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "ctlsock.h"
#include "daemon.h"
#include "fdcloser.h"
#include "fdpass.h"
#include "fileio.h"
#include "macro.h"
#include "pconn.h"
#include "proc.h"
#include "seccomp-agent.h"
#include "strbuf.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

/* User namespaces nest 32 deep at most. */
#define USERNS_MAX_DEPTH 33

enum item_kind { ITEM_SOCK, ITEM_STOP, ITEM_CONN };

struct item {
	enum item_kind kind;
};

struct ctl_conn {
	struct item it;
	int fd;
	uid_t uid;
	uint64_t since;
	struct ctl_conn *next;
};

static struct item item_sock = { ITEM_SOCK }, item_stop = { ITEM_STOP };

/* ---- who is who ------------------------------------------------------------ */

/* The pid of a pidfd, from its fdinfo: -ESRCH when it has exited or is not ours to see. */
static int pidfd_pid(int pidfd, pid_t *ret)
{
	_cleanup_free_ char *text = NULL;
	char path[64];
	const char *p;
	long pid;
	int r;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	r = read_full_at(AT_FDCWD, path, &text, NULL);
	if (r < 0)
		return r;
	p = strstr(text, "\nPid:");
	if (!p)
		return -EBADF; /* not a pidfd */
	pid = strtol(p + 5, NULL, 10);
	if (pid <= 0)
		return -ESRCH;
	*ret = (pid_t)pid;
	return 0;
}

static bool pidfd_alive(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

/* The peer's pidfd: SO_PEERPIDFD (Linux 6.5), else one opened for SO_PEERCRED's pid. */
static int peer_pidfd(int sock, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);
	int fd = -1;

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0)
		return -errno;
	len = sizeof(fd);
	if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &fd, &len) == 0 && fd >= 0)
		return fd;
	fd = (int)syscall(SYS_pidfd_open, cred->pid, 0);
	return fd < 0 ? -errno : fd;
}

/* "Uid:" (effective, the second) and "CapEff:" of proc/PID/status. */
static int peer_status(int root_fd, pid_t pid, uid_t *ret_euid, uint64_t *ret_cap)
{
	_cleanup_free_ char *text = NULL;
	unsigned long ruid, euid;
	unsigned long long cap;
	const char *p, *q;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "proc/%d/status", (int)pid);
	r = read_full_at(root_fd, path, &text, NULL);
	if (r < 0)
		return -ESRCH;
	p = strstr(text, "\nUid:");
	q = strstr(text, "\nCapEff:");
	if (!p || !q || sscanf(p + 5, "%lu %lu", &ruid, &euid) != 2 ||
	    sscanf(q + 8, "%llx", &cap) != 1)
		return -EIO;
	*ret_euid = (uid_t)euid;
	*ret_cap = cap;
	return 0;
}

static int open_ns(int root_fd, pid_t pid, const char *type)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "proc/%d/ns/%s", (int)pid, type);
	fd = openat(root_fd, path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -ESRCH : fd;
}

static bool same_ns(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/*
 * cap_capable() over user namespace target for a caller in caller_ns with
 * euid and effective set cap: 0, or -EPERM. Takes target.
 */
static int may_act(int target, int caller_ns, uid_t euid, uint64_t cap)
{
	_cleanup_close_ int t = target;

	for (int depth = 0; depth < USERNS_MAX_DEPTH; depth++) {
		_cleanup_close_ int parent = -1;
		uid_t owner;

		if (same_ns(t, caller_ns))
			return cap & (UINT64_C(1) << CAP_SYS_ADMIN) ? 0 : -EPERM;
		/* EPERM: t is ours (or outside it); the caller's is not above the target. */
		parent = ioctl(t, NS_GET_PARENT);
		if (parent < 0)
			return -EPERM;
		if (same_ns(parent, caller_ns) && ioctl(t, NS_GET_OWNER_UID, &owner) == 0 &&
		    owner == euid)
			return 0;
		close(t);
		t = TAKE_FD(parent);
	}
	return -EPERM;
}

/*
 * Whether the peer of sock may act for container x (whose init the daemon
 * holds a pidfd of). text says why not.
 */
static int check_peer(struct daemon *d, int sock, const struct ctr *x, char *text, size_t size)
{
	_cleanup_close_ int pfd = -1, caller_ns = -1, pidns = -1;
	struct ucred cred;
	uint64_t cap;
	pid_t pid;
	uid_t euid;
	int target, r;

	pfd = peer_pidfd(sock, &cred);
	r = pfd < 0 ? pfd : pidfd_pid(pfd, &pid);
	if (r >= 0)
		r = peer_status(d->root_fd, pid, &euid, &cap);
	if (r >= 0)
		r = caller_ns = open_ns(d->root_fd, pid, "user");
	if (r >= 0)
		r = pidns = open_ns(d->root_fd, x->init_pid, "pid");
	/* Read /proc first, then make sure the pid still named the same processes. */
	if (r >= 0 && (!pidfd_alive(pfd) || !pidfd_alive(x->pidfd)))
		r = -ESRCH;
	if (r < 0) {
		snprintf(text, size, "burrowfs could not identify the caller or the container: %s",
			 strerror(-r));
		return r;
	}
	if (euid != cred.uid) {
		snprintf(text, size, "the caller's credentials changed since it connected");
		return -EPERM;
	}
	/* The user namespace that owns the container's pid namespace. */
	target = ioctl(pidns, NS_GET_USERNS);
	if (target < 0) {
		r = -errno;
		snprintf(text, size, "burrowfs could not read the container's user namespace: %s",
			 strerror(-r));
		return r;
	}
	r = may_act(target, caller_ns, euid, cap);
	if (r < 0)
		snprintf(text, size,
			 "uid %u may not act for the container of PID %d: its user namespace is "
			 "not one the caller created or holds CAP_SYS_ADMIN in",
			 (unsigned)euid, (int)x->init_pid);
	return r;
}

/*
 * The container of the process behind pidfd, with a reference: -EINVAL
 * for a process of our own pid namespace (the host), -ESRCH for one that
 * has exited.
 */
static int target_ctr(struct daemon *d, int pidfd, struct ctr **ret, char *text, size_t size)
{
	struct ctr *x = NULL;
	uint64_t ns = 0;
	pid_t pid = 0;
	int r;

	r = pidfd_pid(pidfd, &pid);
	if (r >= 0)
		r = burrow_pidns_inode(d->root_fd, pid, &ns);
	if (r >= 0 && !pidfd_alive(pidfd))
		r = -ESRCH;
	if (r == -EBADF) {
		snprintf(text, size, "the request's fd is not a pidfd");
		return -EBADF;
	}
	if (r < 0) {
		snprintf(text, size, "the process of the pidfd has exited");
		return -ESRCH;
	}
	if (ns == d->self_pidns) {
		snprintf(text, size, "PID %d is not in a container", (int)pid);
		return -EINVAL;
	}
	r = ctr_get(d, pid, &x);
	/* ctr_get() read the namespace again: it must still be the pidfd's. */
	if (r >= 0 && (ctr_is_host(x) || x->pidns != ns || !pidfd_alive(pidfd)))
		r = -ESRCH;
	if (r < 0) {
		ctr_unref(x);
		snprintf(text, size, "burrowfs found no container for PID %d: %s", (int)pid,
			 strerror(-r));
		return r;
	}
	*ret = x;
	return 0;
}

/* ---- replies ----------------------------------------------------------------- */

static void reply_error(int sock, int error, const char *text)
{
	char buf[sizeof(struct burrow_ctl_reply) + 512];
	struct burrow_ctl_reply h = { BURROW_CTL_MAGIC, BURROW_CTL_VERSION, error, 0 };
	size_t n = MIN(strlen(text), sizeof(buf) - sizeof(h));

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), text, n);
	(void)fdpass_send(sock, buf, sizeof(h) + n, NULL, 0);
}

static void do_stats(struct daemon *d, int sock)
{
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	struct burrow_ctl_reply h = { BURROW_CTL_MAGIC, BURROW_CTL_VERSION, 0, 0 };

	strbuf_append(&out, (const char *)&h, sizeof(h));
	if (pconns_stats(d, &out) < 0 || out.len > sizeof(h) + BURROW_CTL_MAX) {
		reply_error(sock, -ENOMEM, "burrowfs could not gather its counters");
		return;
	}
	(void)fdpass_send(sock, out.buf, out.len, NULL, 0);
}

static void do_attach(struct daemon *d, int sock, int pidfd, uint32_t flags)
{
	char buf[sizeof(struct burrow_ctl_reply) + BURROW_CTL_MAX];
	struct burrow_ctl_reply h = { BURROW_CTL_MAGIC, BURROW_CTL_VERSION, 0, 0 };
	int fds[FDPASS_MAX];
	struct ctr *x = NULL;
	char text[256];
	size_t len = 0;
	int r, n;

	r = target_ctr(d, pidfd, &x, text, sizeof(text));
	if (r >= 0)
		r = check_peer(d, sock, x, text, sizeof(text));
	if (r < 0) {
		__atomic_add_fetch(&d->pconns.refused, 1, __ATOMIC_RELAXED);
		log_ratelimited(&d->log, r, "control socket: attach refused: %s", text);
		ctr_unref(x);
		reply_error(sock, r, text);
		return;
	}
	n = pconn_attach(d, x, flags & BURROW_CTL_ATTACH_CGROUP, fds, FDPASS_MAX, buf + sizeof(h),
			 BURROW_CTL_MAX, &len, text, sizeof(text));
	ctr_unref(x);
	if (n < 0) {
		reply_error(sock, n, text);
		return;
	}
	h.n = (uint32_t)n;
	memcpy(buf, &h, sizeof(h));
	(void)fdpass_send(sock, buf, sizeof(h) + len, fds, (size_t)n);
	/* The client has its copies now (or never will): ours go. */
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* One request: read, checked, answered. The connection is done after it. */
static void conn_request(struct daemon *d, struct ctl_conn *c)
{
	char buf[64];
	struct burrow_ctl_req q;
	int fds[FDPASS_MAX];
	size_t nfds = 0;
	struct fdcloser_sender sender = { .uid = c->uid };
	/* What does not fit goes to the fdcloser too, never a blocking close(). */
	const struct fdpass_opts opts = { MSG_DONTWAIT, fdcloser_drop, &sender };
	ssize_t n;
	int r;

	n = fdpass_recv_ex(c->fd, &opts, buf, sizeof(buf), fds, ELEMENTSOF(fds), &nfds);
	if (n == -EAGAIN)
		return;
	if (n == 0 || n == -ECONNRESET)
		goto done;
	r = n < 0 ? (int)n : burrow_ctl_req_check(buf, (size_t)n, nfds, &q);
	if (r < 0) {
		/* Truncated, too long, too many fds, wrong magic: say so, and keep serving. */
		reply_error(c->fd, r == -EOPNOTSUPP ? r : -EPROTO,
			    r == -EOPNOTSUPP ? "unknown request" : "malformed request");
	} else if (q.op == BURROW_CTL_STATS)
		do_stats(d, c->fd);
	else
		do_attach(d, c->fd, fds[0], q.flags);
	/*
	 * Not close(): a sender may slip in a file of a FUSE filesystem it
	 * serves, whose FLUSH it never answers (fdcloser.h).
	 */
	for (size_t i = 0; i < nfds; i++)
		(void)fdcloser_close(fds[i], c->uid);
done:
	c->since = 0; /* the loop frees it */
}

/* ---- the loop ---------------------------------------------------------------- */

static void conn_free(struct ctlsock *s, struct ctl_conn *c)
{
	for (struct ctl_conn **p = &s->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	s->n_conns--;
	(void)epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

static void conn_accept(struct daemon *d)
{
	struct ctlsock *s = &d->ctl;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct epoll_event ev = { .events = EPOLLIN };
	struct ctl_conn *c = NULL;
	unsigned mine = 0;
	int fd;

	fd = accept4(s->sock_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		close(fd);
		return;
	}
	for (struct ctl_conn *o = s->conns; o; o = o->next)
		mine += o->uid == cred.uid;
	if (s->n_conns < CTL_CONNS_MAX && mine < CTL_CONNS_PER_UID && !fdcloser_over(cred.uid))
		c = calloc(1, sizeof(*c));
	if (!c) {
		log_ratelimited(&d->log, -EMFILE,
				"control socket: connection of uid %u refused: %m", cred.uid);
		close(fd);
		return;
	}
	*c = (struct ctl_conn){ .it = { ITEM_CONN }, .fd = fd, .uid = cred.uid, .since = now_ns() };
	ev.data.ptr = c;
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = s->conns;
	s->conns = c;
	s->n_conns++;
}

/* Connections that are done (since 0) or that sent nothing in time. */
static void conns_expire(struct ctlsock *s)
{
	uint64_t now = now_ns();

	for (struct ctl_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (c->since == 0 || now - c->since > CTL_CONN_TIMEOUT_MS * NSEC_PER_MSEC)
			conn_free(s, c);
	}
}

static void *loop_main(void *arg)
{
	struct daemon *d = arg;
	struct ctlsock *s = &d->ctl;
	struct epoll_event ev[16];

	for (;;) {
		int n = epoll_wait(s->epoll_fd, ev, ELEMENTSOF(ev), 500);

		for (int i = 0; i < n; i++) {
			struct item *it = ev[i].data.ptr;

			if (it->kind == ITEM_STOP)
				return NULL;
			if (it->kind == ITEM_SOCK)
				conn_accept(d);
			else
				conn_request(d, (struct ctl_conn *)it);
		}
		conns_expire(s);
	}
}

int ctlsock_start(struct daemon *d, const char *path)
{
	struct ctlsock *s = &d->ctl;
	struct epoll_event ev = { .events = EPOLLIN };
	struct stat st;
	sigset_t all, old;
	int r;

	*s = (struct ctlsock){ .sock_fd = -1, .epoll_fd = -1, .stop_fd = -1 };
	s->running = true;
	snprintf(s->path, sizeof(s->path), "%s", path);
	/* A live socket is another daemon's unless we took the mount over from it (an upgrade). */
	r = fdcloser_start();
	if (r >= 0)
		r = seccomp_sock_listen(path, SOCK_SEQPACKET, d->conn.attached);
	if (r >= 0) {
		s->sock_fd = r;
		if (stat(path, &st) == 0) {
			s->dev = st.st_dev;
			s->ino = st.st_ino;
		}
		s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
		s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		r = s->epoll_fd < 0 || s->stop_fd < 0 ? -errno : 0;
	}
	ev.data.ptr = &item_sock;
	if (r >= 0 && epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->sock_fd, &ev) < 0)
		r = -errno;
	ev.data.ptr = &item_stop;
	if (r >= 0 && epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->stop_fd, &ev) < 0)
		r = -errno;
	if (r >= 0) {
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		r = -pthread_create(&s->thread, NULL, loop_main, d);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		s->thread_started = r >= 0;
	}
	if (r < 0)
		ctlsock_stop(d);
	else
		log_full(&d->log, LOG_DEBUG, "control socket on %s", s->path);
	return r;
}

void ctlsock_stop(struct daemon *d)
{
	struct ctlsock *s = &d->ctl;
	struct stat st;

	if (!s->running)
		return;
	if (s->thread_started) {
		(void)eventfd_write(s->stop_fd, 1);
		pthread_join(s->thread, NULL);
	}
	while (s->conns)
		conn_free(s, s->conns);
	if (s->sock_fd >= 0) {
		close(s->sock_fd);
		/* A newer daemon (an upgrade) may have bound the path since: leave its socket. */
		if (stat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
			(void)unlink(s->path);
	}
	if (s->epoll_fd >= 0)
		close(s->epoll_fd);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	s->running = false;
}
