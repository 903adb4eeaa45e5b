/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's plumbing: the socket runtimes connect to, the listeners they
 * hand over, and the threads that serve them. Answering one notification
 * is seccomp-answer.c's.
 *
 * Never blocking on one container:
 *   - one loop thread only accepts and reads state messages (non-blocking,
 *     bounded, timed out);
 *   - the workers wait on the listeners themselves, each armed
 *     EPOLLONESHOT, so a listener is with one worker at most: a container
 *     that calls sysinfo in a loop gets one worker, never all of them, and
 *     others' listeners are served beside it;
 *   - SECCOMP_IOCTL_NOTIF_RECV waits when another holder of the listener
 *     (a hostile sender keeps a copy) took the notification first: a timer
 *     signal cuts it short (agent_recv());
 *   - the write into the caller never touches a FUSE-backed page
 *     (seccomp-answer.c);
 *   - fds a sender slips in are closed by fdcloser.c, not here: closing
 *     one on a FUSE filesystem it serves waits on that server.
 */
#include "seccomp-agent.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
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
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "daemon.h"
#include "fdcloser.h"
#include "fdpass.h"
#include "macro.h"
#include "ocistate.h"
#include "sockpath.h"

/* Cuts a worker's NOTIF_RECV short; no other code sends it. */
#define AGENT_SIGNAL (SIGRTMIN + 2)

enum item_kind { ITEM_SOCK, ITEM_STOP, ITEM_CONN, ITEM_LISTENER };

struct item {
	enum item_kind kind;
};

struct agent_conn {
	struct item it;
	int fd;
	uid_t uid;
	uint64_t since; /* monotonic ns */
	char *buf;
	size_t len;
	int fds[AGENT_FDS_MAX];
	size_t nfds;
	struct agent_conn *next;
};

struct agent_listener {
	struct item it;
	int fd;
	uint32_t id;	/* as the keeper knows it */
	uint64_t owner; /* fdquota owner: the sender's uid */
	struct agent_listener *next;
};

static struct item item_sock = { ITEM_SOCK }, item_stop = { ITEM_STOP };

/* ---- listeners ------------------------------------------------------------ */

static int arm(struct agent *a, struct agent_listener *l, int op)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = l };

	return epoll_ctl(a->work_fd, op, l->fd, &ev) < 0 ? -errno : 0;
}

/* Is fd a seccomp listener? Anything else a sender slips in is closed. */
static bool is_listener(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "anon_inode:seccomp notify") == 0;
}

static uint64_t uid_owner(uid_t uid)
{
	/* Host root is bounded by the total only, as for FUSE handles. */
	return uid == 0 ? 0 : FDQUOTA_HOST_UID | uid;
}

/*
 * Takes fd: it is kept as a listener, or closed. A new one (kept false)
 * goes to the keeper too; one the keeper gave back has its id already, and
 * counts against the total only: the keeper does not know its sender.
 */
static int listener_insert(struct daemon *d, int fd, uint64_t owner, uint32_t id, bool kept)
{
	struct agent *a = &d->agent;
	struct agent_listener *l;
	int r;

	if (!is_listener(fd)) {
		/* The owner's low bits are the sender's uid (uid_owner()). */
		(void)fdcloser_close(fd, (uid_t)owner);
		return -EBADF;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		close(fd);
		return -ENOMEM;
	}
	if (!kept)
		id = a->next_id++;
	*l = (struct agent_listener){
		.it = { ITEM_LISTENER }, .fd = fd, .id = id, .owner = kept ? 0 : owner
	};
	pthread_mutex_lock(&d->handles.lock);
	r = fdquota_charge(&d->handles.quota, l->owner);
	pthread_mutex_unlock(&d->handles.lock);
	if (r < 0) {
		close(fd);
		free(l);
		return r;
	}
	pthread_mutex_lock(&a->lock);
	l->next = a->listeners;
	a->listeners = l;
	pthread_mutex_unlock(&a->lock);
	if (!kept)
		agent_keep_listener(d, fd, id);
	return arm(a, l, EPOLL_CTL_ADD);
}

void agent_keep_all(struct daemon *d)
{
	struct agent *a = &d->agent;

	if (!a->running || a->sock_fd < 0)
		return;
	agent_keep_sock(d);
	pthread_mutex_lock(&a->lock);
	for (struct agent_listener *l = a->listeners; l; l = l->next)
		agent_keep_listener(d, l->fd, l->id);
	pthread_mutex_unlock(&a->lock);
}

static int listener_fd(struct agent *a, uint32_t id)
{
	for (struct agent_listener *l = a->listeners; l; l = l->next)
		if (l->id == id)
			return l->fd;
	return -1;
}

/*
 * From the loop thread once the listener's last user is gone (EPOLLHUP):
 * the keeper lets its copy go too. At a stop (forget false), the keeper
 * keeps it for the next daemon.
 */
static void listener_remove(struct daemon *d, struct agent_listener *l, bool forget)
{
	if (forget)
		agent_keep_drop(d, l->id);
	struct agent *a = &d->agent;

	pthread_mutex_lock(&a->lock);
	for (struct agent_listener **p = &a->listeners; *p; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			break;
		}
	pthread_mutex_unlock(&a->lock);
	(void)epoll_ctl(a->work_fd, EPOLL_CTL_DEL, l->fd, NULL);
	close(l->fd);
	pthread_mutex_lock(&d->handles.lock);
	fdquota_release(&d->handles.quota, l->owner);
	pthread_mutex_unlock(&d->handles.lock);
	free(l);
}

/* ---- connections ---------------------------------------------------------- */

static void conn_free(struct agent *a, struct agent_conn *c)
{
	for (struct agent_conn **p = &a->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	a->n_conns--;
	(void)epoll_ctl(a->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	for (size_t i = 0; i < c->nfds; i++)
		(void)fdcloser_close(c->fds[i], c->uid);
	free(c->buf);
	free(c);
}

static void conn_accept(struct daemon *d)
{
	struct agent *a = &d->agent;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct agent_conn *c;
	unsigned mine = 0;
	int fd;

	fd = accept4(a->sock_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		close(fd);
		return;
	}
	for (c = a->conns; c; c = c->next)
		mine += c->uid == cred.uid;
	c = NULL;
	if (a->n_conns < AGENT_CONNS_MAX && mine < AGENT_CONNS_PER_UID && !fdcloser_over(cred.uid))
		c = calloc(1, sizeof(*c));
	if (!c) {
		log_ratelimited(&d->log, -EMFILE, "seccomp agent: connection of uid %u refused: %m",
				cred.uid);
		close(fd);
		return;
	}
	*c = (struct agent_conn){
		.it = { ITEM_CONN }, .fd = fd, .uid = cred.uid, .since = now_ns()
	};
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	if (epoll_ctl(a->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = a->conns;
	a->conns = c;
	a->n_conns++;
}

/* The whole message is in: keep the listener it names. */
static void conn_finish(struct daemon *d, struct agent_conn *c)
{
	int idx = burrow_oci_state_fd_index(c->buf ? c->buf : "", c->len, "seccompFd");
	int r = -EBADMSG;

	/* A sender that names no fds but sends one means that one. */
	if (idx < 0 && c->nfds == 1)
		idx = 0;
	if (idx >= 0 && (size_t)idx < c->nfds) {
		r = listener_insert(d, c->fds[idx], uid_owner(c->uid), 0, false);
		c->fds[idx] = c->fds[--c->nfds];
	}
	if (r < 0)
		log_ratelimited(&d->log, r, "seccomp agent: listener from uid %u refused: %m",
				c->uid);
	else
		log_full(&d->log, LOG_DEBUG, "seccomp agent: a listener from uid %u", c->uid);
	conn_free(&d->agent, c);
}

static void conn_read(struct daemon *d, struct agent_conn *c)
{
	struct fdcloser_sender sender = { .uid = c->uid };
	const struct fdpass_opts opts = { MSG_DONTWAIT, fdcloser_drop, &sender };
	size_t got;
	ssize_t n;

	if (!c->buf)
		c->buf = malloc(AGENT_MSG_MAX + 1);
	if (!c->buf) {
		conn_free(&d->agent, c);
		return;
	}
	n = fdpass_recv_ex(c->fd, &opts, c->buf + c->len, AGENT_MSG_MAX - c->len, c->fds + c->nfds,
			   AGENT_FDS_MAX - c->nfds, &got);
	if (n == -EAGAIN)
		return;
	/* More than AGENT_FDS_MAX fds in all (-EMSGSIZE) is not runc. */
	if (n < 0) {
		conn_free(&d->agent, c);
		return;
	}
	c->nfds += got;
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	/*
	 * One message: done once its fds and the "fds" naming them are in, at
	 * its end (runc closes after sending), or when the buffer is full.
	 */
	if (n == 0 || c->len == AGENT_MSG_MAX ||
	    (c->nfds > 0 && burrow_oci_state_fd_index(c->buf, c->len, "seccompFd") >= 0))
		conn_finish(d, c);
}

static void conns_expire(struct agent *a)
{
	uint64_t now = now_ns();

	for (struct agent_conn *c = a->conns, *next; c; c = next) {
		next = c->next;
		if (now - c->since > AGENT_CONN_TIMEOUT_MS * NSEC_PER_MSEC)
			conn_free(a, c);
	}
}

/* ---- threads -------------------------------------------------------------- */

static void *loop_main(void *arg)
{
	struct daemon *d = arg;
	struct agent *a = &d->agent;
	struct epoll_event ev[32];

	for (;;) {
		int n = epoll_wait(a->epoll_fd, ev, ELEMENTSOF(ev), 1000);

		for (int i = 0; i < n; i++) {
			struct item *it = ev[i].data.ptr;

			switch (it->kind) {
			case ITEM_STOP:
				return NULL;
			case ITEM_SOCK:
				conn_accept(d);
				break;
			case ITEM_CONN:
				conn_read(d, (struct agent_conn *)it);
				break;
			default:
				break;
			}
		}
		conns_expire(a);
	}
}

static void on_agent_signal(int sig)
{
	(void)sig;
}

/*
 * NOTIF_RECV waits for a notification, and another holder of the listener
 * may have taken the one epoll saw: a one-shot timer signal to this thread
 * cuts the wait short (EINTR), so no worker stays there.
 */
static int agent_recv(int fd, timer_t timer, struct seccomp_notif *n)
{
	struct itimerspec on = { .it_value = { 0, AGENT_RECV_TIMEOUT_MS * NSEC_PER_MSEC } };

	/*
	 * Left armed after the receive (one system call less per call): a late
	 * signal finds the worker answering, where nothing it does waits on it
	 * (its ioctls do not block), or in epoll_wait(), which it restarts.
	 */
	(void)timer_settime(timer, 0, &on, NULL);
	return ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, n) < 0 ? -errno : 0;
}

static int worker_timer(timer_t *ret)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = AGENT_SIGNAL };
	sigset_t set;

	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	sigemptyset(&set);
	sigaddset(&set, AGENT_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	return timer_create(CLOCK_MONOTONIC, &sev, ret) < 0 ? -errno : 0;
}

static void *worker_main(void *arg)
{
	struct agent_worker *w = arg;
	struct daemon *d = w->d;
	struct agent *a = &d->agent;
	timer_t timer;

	if (worker_timer(&timer) < 0) {
		log_full(&d->log, LOG_ERR, "seccomp agent: a worker could not start");
		return NULL;
	}
	for (;;) {
		struct agent_listener *l;
		struct epoll_event ev;
		int r;

		/* Workers wait on the listeners themselves: no hand-off through another thread. */
		r = epoll_wait(a->work_fd, &ev, 1, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || ((struct item *)ev.data.ptr)->kind == ITEM_STOP)
			break;
		l = ev.data.ptr;
		/* Every filter user is gone: no call can come any more. */
		if (!(ev.events & EPOLLIN)) {
			listener_remove(d, l, true);
			continue;
		}

		/* Received straight into the journal: see seccomp-keep.c. */
		struct seccomp_notif *n = agent_slot_begin(a, w->i, l->id);

		r = agent_recv(l->fd, timer, n);
		/* For the restart tests: a daemon killed while it holds a call. */
		if (r >= 0 && a->test_delay_us)
			for (uint64_t until = now_ns() + a->test_delay_us * UINT64_C(1000);
			     now_ns() < until;)
				usleep(10000); /* the receive's timer signal cuts one short */
		if (r >= 0)
			r = agent_answer(d, l->fd, n);
		agent_slot_end(a, w->i);
		__atomic_add_fetch(r >= 0 ? &a->answered : &a->failed, 1, __ATOMIC_RELAXED);
		/* Back into the set; EPOLLHUP then tells when it is done. */
		(void)arm(a, l, EPOLL_CTL_MOD);
	}
	timer_delete(timer);
	return NULL;
}

/* ---- start, stop ------------------------------------------------------------ */

/*
 * A stale socket at path (no one accepts, or one of another type) is
 * replaced. A live one is another daemon's, unless this one took over the
 * mountpoint from it (replace: an upgrade): that one is about to exit, and
 * its clients reconnect to the path. Mode 0666: every user's containers
 * need it; what a sender can do is bounded (see the top of each user).
 */
int seccomp_sock_listen(const char *path, int type, bool replace)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], *slash;

	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	return sockpath_listen(path, type | SOCK_NONBLOCK, 0666, 64, replace);
}

static int agent_setup(struct daemon *d)
{
	struct agent *a = &d->agent;
	struct seccomp_notif_sizes sizes;
	struct epoll_event ev = { .events = EPOLLIN };
	struct sigaction sa = { .sa_handler = on_agent_signal };

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return -errno;
	a->notif_size = sizes.seccomp_notif;
	if (a->notif_size > AGENT_NOTIF_MAX)
		return -EOVERFLOW;
	sigemptyset(&sa.sa_mask);
	if (sigaction(AGENT_SIGNAL, &sa, NULL) < 0)
		return -errno;
	a->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	a->work_fd = epoll_create1(EPOLL_CLOEXEC);
	a->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->epoll_fd < 0 || a->work_fd < 0 || a->stop_fd < 0)
		return -errno;
	ev.data.ptr = &item_sock;
	if (epoll_ctl(a->epoll_fd, EPOLL_CTL_ADD, a->sock_fd, &ev) < 0)
		return -errno;
	ev.data.ptr = &item_stop;
	if (epoll_ctl(a->epoll_fd, EPOLL_CTL_ADD, a->stop_fd, &ev) < 0 ||
	    epoll_ctl(a->work_fd, EPOLL_CTL_ADD, a->stop_fd, &ev) < 0)
		return -errno;
	return 0;
}

static int agent_threads(struct daemon *d)
{
	struct agent *a = &d->agent;
	sigset_t all, old;
	int r;

	/* Signals go to the main thread; workers unblock only AGENT_SIGNAL. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = -pthread_create(&a->loop, NULL, loop_main, d);
	a->loop_started = r >= 0;
	for (; r >= 0 && a->n_workers < AGENT_WORKERS; a->n_workers++) {
		struct agent_worker *w = &a->workers[a->n_workers];

		*w = (struct agent_worker){ .d = d, .i = a->n_workers };
		r = -pthread_create(&w->thread, NULL, worker_main, w);
		if (r < 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

/* The path a kept socket is bound to, "" when unknown. */
static void sock_path(int fd, char *buf, size_t size)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);

	buf[0] = '\0';
	if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0 && sa.sun_family == AF_UNIX &&
	    len > offsetof(struct sockaddr_un, sun_path))
		snprintf(buf, size, "%.*s", (int)(len - offsetof(struct sockaddr_un, sun_path)),
			 sa.sun_path);
}

/* The socket and journal: the keeper's (a restart), else new ones it gets copies of. */
static int agent_fds(struct daemon *d, const char *path)
{
	struct agent *a = &d->agent;
	struct agent_kept *k = &d->conn.agent;
	char kept[sizeof(a->path)];
	bool fresh = false;
	int r;

	if (k->sock_fd >= 0) {
		sock_path(k->sock_fd, kept, sizeof(kept));
		/* Asked for another path: that one, from now on. */
		if (path && strcmp(kept, path) != 0)
			(void)close(TAKE_FD(k->sock_fd));
		else
			snprintf(a->path, sizeof(a->path), "%s", kept);
	}
	if (k->sock_fd >= 0) {
		a->sock_fd = TAKE_FD(k->sock_fd);
		(void)fcntl(a->sock_fd, F_SETFL, O_NONBLOCK);
	} else {
		if (!path)
			return -ENOENT;
		snprintf(a->path, sizeof(a->path), "%s", path);
		r = seccomp_sock_listen(path, SOCK_STREAM, false);
		if (r < 0)
			return r;
		a->sock_fd = r;
		fresh = true;
	}
	r = k->journal_fd >= 0 ? agent_journal_open(a, TAKE_FD(k->journal_fd)) : -ENOENT;
	if (r < 0) {
		r = agent_journal_open(a, -1);
		if (r < 0)
			return r;
		fresh = true;
	}
	if (fresh)
		agent_keep_sock(d);
	return 0;
}

int agent_start(struct daemon *d, const char *path)
{
	struct agent *a = &d->agent;
	struct agent_kept *k = &d->conn.agent;
	int r, replayed;

	*a = (struct agent){
		.sock_fd = -1, .epoll_fd = -1, .work_fd = -1, .stop_fd = -1, .journal_fd = -1
	};
	pthread_mutex_init(&a->lock, NULL);
	a->running = true;
	if (getenv("BURROWFS_TEST_SECCOMP_DELAY_MS"))
		a->test_delay_us = 1000 * (unsigned)atoi(getenv("BURROWFS_TEST_SECCOMP_DELAY_MS"));
	r = fdcloser_start();
	if (r >= 0)
		r = agent_fds(d, path);
	if (r >= 0)
		r = agent_setup(d);
	for (size_t i = 0; r >= 0 && i < k->n; i++) {
		a->next_id = MAX(a->next_id, k->listeners[i].id + 1);
		(void)listener_insert(d, TAKE_FD(k->listeners[i].fd), 0, k->listeners[i].id, true);
	}
	/* Before any worker: their slots are the ones left to answer. */
	if (r >= 0 && (replayed = agent_replay(d, listener_fd)) > 0)
		log_full(&d->log, LOG_INFO,
			 "seccomp agent: answered %d call(s) a previous burrowfs had left",
			 replayed);
	if (r >= 0)
		r = agent_threads(d);
	if (r < 0)
		agent_stop(d);
	else if (k->n > 0)
		log_full(&d->log, LOG_INFO, "seccomp agent: took over %zu listener(s) on %s", k->n,
			 a->path);
	agent_kept_drop(k);
	return r;
}

void agent_stop(struct daemon *d)
{
	struct agent *a = &d->agent;
	uint64_t one = 1;

	if (!a->running)
		return;
	if (a->stop_fd >= 0)
		(void)!write(a->stop_fd, &one, sizeof(one));
	if (a->loop_started)
		pthread_join(a->loop, NULL);
	/* The stop eventfd stays readable: every worker sees it. */
	for (unsigned i = 0; i < a->n_workers; i++)
		pthread_join(a->workers[i].thread, NULL);
	while (a->conns)
		conn_free(a, a->conns);
	/* The keeper keeps copies for the next daemon unless this is the end. */
	bool end = d->conn.link_fd < 0 ||
		   __atomic_load_n(&d->stop_mode, __ATOMIC_ACQUIRE) == STOP_FULL;
	while (a->listeners)
		listener_remove(d, a->listeners, false);
	if (a->sock_fd >= 0) {
		close(a->sock_fd);
		if (end)
			(void)unlink(a->path);
	}
	agent_journal_close(a);
	if (a->epoll_fd >= 0)
		close(a->epoll_fd);
	if (a->work_fd >= 0)
		close(a->work_fd);
	if (a->stop_fd >= 0)
		close(a->stop_fd);
	log_full(&d->log, LOG_DEBUG, "seccomp agent: %" PRIu64 " answered, %" PRIu64 " failed",
		 a->answered, a->failed);
	pthread_mutex_destroy(&a->lock);
	a->running = false;
}
