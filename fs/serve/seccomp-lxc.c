/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LXC's seccomp proxy protocol (seccomp-lxc.h), answering sysinfo(2) with
 * the agent's code (agent_answer_error()).
 *
 * Here the sender, not the kernel, names the caller: anyone may connect
 * and send a made-up notification. So nothing is taken on the sender's
 * word alone:
 *   - the /proc/PID directory it sends must be the very directory we see
 *     for the notification's pid (same procfs, same inode: a dentry pinned
 *     by its open, so that process and no later one with the pid);
 *   - its mem fd must be that directory's mem, opened for writing; the
 *     answer is written through it, so the write has exactly the authority
 *     the sender had when it opened it (the kernel checked ptrace access);
 *   - SECCOMP_IOCTL_NOTIF_ID_VALID on the listener it sends, after those
 *     checks, proves the call still waits (as the agent does);
 *   - the rest is the agent's: the caller's own container, only its
 *     buffer, EFAULT for memory the kernel would refuse.
 * A sender that lies gains a write it could have made itself.
 *
 * LXC waits for each answer (30 s timeout) before it reads the next
 * notification, so one connection has at most one message in flight; each
 * is handled by one worker (EPOLLONESHOT), and a connection that sends
 * garbage is closed. Workers never wait on a connection: sockets are
 * non-blocking and a reply that does not fit at once drops the connection.
 */
#include "seccomp-lxc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "fdcloser.h"
#include "fdpass.h"
#include "keeper.h"
#include "macro.h"

_Static_assert(sizeof(struct lxcp_msg) == 32, "LXC's seccomp_notify_proxy_msg is 32 bytes");

#define LXCP_FDS  3 /* the /proc/PID directory, its mem, the listener */
#define NOTIF_MAX 256
#define RESP_MAX  64
#define MSG_MAX	  (sizeof(struct lxcp_msg) + NOTIF_MAX + RESP_MAX + LXCP_COOKIE_MAX)

struct lxcp_conn {
	int fd;
	uid_t uid;
	struct lxcp_conn *next;
};

/* epoll items other than connections. */
static char item_sock, item_stop;

static int pconn_arm(struct lxcp *p, struct lxcp_conn *c, int op)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = c };

	return epoll_ctl(p->epoll_fd, op, c->fd, &ev) < 0 ? -errno : 0;
}

static void pconn_close(struct lxcp *p, struct lxcp_conn *c)
{
	pthread_mutex_lock(&p->lock);
	for (struct lxcp_conn **q = &p->conns; *q; q = &(*q)->next)
		if (*q == c) {
			*q = c->next;
			p->n_conns--;
			break;
		}
	pthread_mutex_unlock(&p->lock);
	(void)close(c->fd);
	free(c);
}

/* At most LXCP_CONNS_MAX, and LXCP_CONNS_PER_UID for one user: the rest are closed at once. */
static void pconn_accept(struct daemon *d)
{
	struct lxcp *p = &d->lxcp;
	_cleanup_close_ int fd = -1;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct lxcp_conn *c;
	unsigned mine = 0;

	fd = accept4(p->sock_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->uid = cred.uid;
	pthread_mutex_lock(&p->lock);
	for (struct lxcp_conn *o = p->conns; o; o = o->next)
		mine += o->uid == cred.uid;
	if (p->n_conns >= LXCP_CONNS_MAX || mine >= LXCP_CONNS_PER_UID || fdcloser_over(cred.uid)) {
		pthread_mutex_unlock(&p->lock);
		log_ratelimited(&d->log, -EUSERS,
				"LXC seccomp proxy: too many connections (uid %u)",
				(unsigned)cred.uid);
		free(c);
		return;
	}
	c->fd = TAKE_FD(fd);
	c->next = p->conns;
	p->conns = c;
	p->n_conns++;
	pthread_mutex_unlock(&p->lock);
	if (pconn_arm(p, c, EPOLL_CTL_ADD) < 0)
		pconn_close(p, c);
}

/*
 * a (the sender's) and name below dir are one file. AT_STATX_DONT_SYNC: a
 * sender's fd on a FUSE file of its own must not make us wait on its server.
 */
static bool same_file(int a, int dir, const char *name)
{
	struct statx x, y;

	return statx(a, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_INO, &x) == 0 &&
	       statx(dir, name, AT_STATX_DONT_SYNC | (name[0] ? 0 : AT_EMPTY_PATH), STATX_INO,
		     &y) == 0 &&
	       x.stx_dev_major == y.stx_dev_major && x.stx_dev_minor == y.stx_dev_minor &&
	       x.stx_ino == y.stx_ino;
}

/* The sender's fds are the caller's, as the notification names it (see the top). */
static int check_fds(struct daemon *d, const struct seccomp_notif *n, const int *fds)
{
	_cleanup_close_ int ours = -1;
	char path[32];
	int fl;

	snprintf(path, sizeof(path), "proc/%u", n->pid);
	ours = openat(d->root_fd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ours < 0)
		return -ESRCH;
	if (!same_file(fds[0], ours, "") || !same_file(fds[1], ours, "mem"))
		return -EPERM;
	fl = fcntl(fds[1], F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
		return -EPERM;
	return 0;
}

/* The message's parts, once its sizes are the kernel's and add up. */
static int parse(const struct lxcp *p, const unsigned char *buf, size_t len,
		 const struct lxcp_msg **hdr, const struct seccomp_notif **n)
{
	const struct lxcp_msg *h = (const void *)buf;

	if (len < sizeof(*h) || h->notif_size != p->notif_size || h->resp_size != p->resp_size ||
	    h->cookie_len > LXCP_COOKIE_MAX ||
	    len != sizeof(*h) + h->notif_size + h->resp_size + h->cookie_len)
		return -EBADMSG;
	*hdr = h;
	*n = (const void *)(buf + sizeof(*h));
	return 0;
}

/* One message: 0 when answered, <0 when the connection is to be closed. */
static int pconn_serve(struct daemon *d, struct lxcp_conn *c, unsigned char *buf)
{
	struct lxcp *p = &d->lxcp;
	struct fdcloser_sender sender = { .uid = c->uid };
	const struct fdpass_opts opts = { MSG_DONTWAIT, fdcloser_drop, &sender };
	int fds[LXCP_FDS] = { -1, -1, -1 };
	struct seccomp_notif_resp resp = { 0 };
	const struct lxcp_msg *h;
	const struct seccomp_notif *n;
	unsigned char reply[RESP_MAX] = { 0 };
	struct iovec out[3];
	struct msghdr mh;
	size_t nfds = 0;
	bool gone, checked = false;
	ssize_t len;
	int r;

	len = fdpass_recv_ex(c->fd, &opts, buf, MSG_MAX, fds, LXCP_FDS, &nfds);
	if (len == -EAGAIN)
		return 0;
	/* -EMSGSIZE: longer than MSG_MAX, or more fds than LXC's three (all dropped). */
	if (len == -EMSGSIZE)
		return sender.over ? -EUSERS : -EBADMSG;
	if (len < 0)
		return (int)len;
	/* An empty seqpacket message may still bring fds: they go by out. */
	if (len == 0)
		r = -ECONNRESET;
	else
		r = nfds != LXCP_FDS ? -EBADMSG : 0;
	if (r >= 0)
		r = parse(p, buf, (size_t)len, &h, &n);
	if (r < 0)
		goto out;
	r = check_fds(d, n, fds);
	checked = r >= 0;
	if (r >= 0)
		r = agent_answer_error(d, fds[2], n, fds[1], &gone);
	else
		log_ratelimited(&d->log, r, "LXC seccomp proxy: fds not the caller's (pid %u): %m",
				n->pid);
	resp.id = n->id;
	resp.error = r == -EPERM ? -ENOSYS : r;
	memcpy(reply, &resp, sizeof(resp));
	out[0] = (struct iovec){ (void *)h, sizeof(*h) };
	out[1] = (struct iovec){ (void *)n, h->notif_size };
	out[2] = (struct iovec){ reply, h->resp_size };
	mh = (struct msghdr){ .msg_iov = out, .msg_iovlen = 3 };
	/* LXC waits in recvmsg(): its buffer is empty, a reply that does not fit is not LXC. */
	if (sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		r = -errno;
	else {
		r = 0;
		__atomic_add_fetch(resp.error < 0 ? &p->refused : &p->answered, 1,
				   __ATOMIC_RELAXED);
	}
out:
	/*
	 * The sender's fds may be on a FUSE filesystem of its own, whose
	 * close waits on it (fdcloser.h); checked ones are procfs.
	 */
	for (size_t i = 0; i < nfds; i++)
		if (checked && i < 2)
			(void)close(fds[i]);
		else
			fdcloser_drop(fds[i], &sender);
	return sender.over ? -EUSERS : r;
}

static void *worker_main(void *arg)
{
	struct daemon *d = arg;
	struct lxcp *p = &d->lxcp;
	_cleanup_free_ unsigned char *buf = malloc(MSG_MAX);

	if (!buf)
		return NULL;
	for (;;) {
		struct epoll_event ev;
		struct lxcp_conn *c;
		int k = epoll_wait(p->epoll_fd, &ev, 1, -1);

		if (k < 0 && errno != EINTR)
			break;
		if (k <= 0)
			continue;
		if (ev.data.ptr == &item_stop)
			break;
		if (ev.data.ptr == &item_sock) {
			pconn_accept(d);
			continue;
		}
		c = ev.data.ptr;
		if ((ev.events & (EPOLLHUP | EPOLLERR)) && !(ev.events & EPOLLIN)) {
			pconn_close(p, c);
			continue;
		}
		if (pconn_serve(d, c, buf) < 0 || pconn_arm(p, c, EPOLL_CTL_MOD) < 0)
			pconn_close(p, c);
	}
	return NULL;
}

/* The keeper's copy of the socket (a restart) when it is bound to path; else -1. */
static int kept_sock(struct daemon *d, const char *path)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	int fd = d->conn.agent.lxc_sock_fd;

	d->conn.agent.lxc_sock_fd = -1;
	if (fd < 0)
		return -1;
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0 || sa.sun_family != AF_UNIX ||
	    len <= offsetof(struct sockaddr_un, sun_path) ||
	    strncmp(sa.sun_path, path, len - offsetof(struct sockaddr_un, sun_path)) != 0 ||
	    strlen(path) != strnlen(sa.sun_path, len - offsetof(struct sockaddr_un, sun_path))) {
		/* Asked for another path: that one, from now on. */
		(void)close(fd);
		return -1;
	}
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

void lxcp_keep(struct daemon *d)
{
	if (d->lxcp.running && d->lxcp.sock_fd >= 0 && d->conn.link_fd >= 0)
		(void)kmsg_send(d->conn.link_fd, KMSG_LXC_SOCK, 0, &d->lxcp.sock_fd, 1);
}

static int lxcp_setup(struct daemon *d, const char *path)
{
	struct lxcp *p = &d->lxcp;
	struct epoll_event ev = { .events = EPOLLIN };
	struct seccomp_notif_sizes sizes;
	int r;

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return -errno;
	if (sizes.seccomp_notif > NOTIF_MAX || sizes.seccomp_notif_resp > RESP_MAX ||
	    sizes.seccomp_notif_resp < sizeof(struct seccomp_notif_resp))
		return -EOVERFLOW;
	p->notif_size = sizes.seccomp_notif;
	p->resp_size = sizes.seccomp_notif_resp;
	r = kept_sock(d, path);
	if (r < 0) {
		r = seccomp_sock_listen(path, SOCK_SEQPACKET, d->conn.attached);
		if (r < 0)
			return r;
		p->sock_fd = r;
		lxcp_keep(d);
	} else {
		p->sock_fd = r;
		p->kept = true;
	}
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->epoll_fd < 0 || p->stop_fd < 0)
		return -errno;
	ev.data.ptr = &item_sock;
	if (epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, p->sock_fd, &ev) < 0)
		return -errno;
	ev.data.ptr = &item_stop;
	if (epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, p->stop_fd, &ev) < 0)
		return -errno;
	return 0;
}

int lxcp_start(struct daemon *d, const char *path)
{
	struct lxcp *p = &d->lxcp;
	int r;

	*p = (struct lxcp){ .sock_fd = -1, .epoll_fd = -1, .stop_fd = -1 };
	pthread_mutex_init(&p->lock, NULL);
	p->running = true;
	r = fdcloser_start();
	if (r >= 0)
		r = lxcp_setup(d, path);
	for (unsigned i = 0; r >= 0 && i < LXCP_WORKERS; i++) {
		r = -pthread_create(&p->workers[i], NULL, worker_main, d);
		if (r >= 0)
			p->n_workers++;
	}
	if (r < 0) {
		lxcp_stop(d);
		return r;
	}
	log_full(&d->log, LOG_DEBUG, "LXC seccomp proxy on %s (%s)", p->path,
		 p->kept ? "kept" : "new");
	return 0;
}

/*
 * The socket stays, with the keeper: LXC reconnects to it when its
 * connection to us breaks, and waits in its backlog for the next daemon.
 * At the end (a full stop, or no keeper) its path goes too: left behind, it
 * would refuse LXC's connections while looking like a proxy that runs.
 */
void lxcp_stop(struct daemon *d)
{
	struct lxcp *p = &d->lxcp;
	bool end = d->conn.link_fd < 0 ||
		   __atomic_load_n(&d->stop_mode, __ATOMIC_ACQUIRE) == STOP_FULL;

	if (!p->running)
		return;
	if (p->stop_fd >= 0)
		(void)eventfd_write(p->stop_fd, 1);
	for (unsigned i = 0; i < p->n_workers; i++)
		pthread_join(p->workers[i], NULL);
	while (p->conns)
		pconn_close(p, p->conns);
	if (p->n_workers)
		log_full(&d->log, LOG_DEBUG, "LXC seccomp proxy: %llu answered, %llu refused",
			 (unsigned long long)p->answered, (unsigned long long)p->refused);
	if (p->sock_fd >= 0) {
		(void)close(TAKE_FD(p->sock_fd));
		if (end && p->path[0])
			(void)unlink(p->path);
	}
	if (p->epoll_fd >= 0)
		(void)close(TAKE_FD(p->epoll_fd));
	if (p->stop_fd >= 0)
		(void)close(TAKE_FD(p->stop_fd));
	pthread_mutex_destroy(&p->lock);
	p->running = false;
}
