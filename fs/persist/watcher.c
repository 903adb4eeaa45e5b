/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "watcher.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "daemon.h"
#include "keeper.h"
#include "macro.h"

/* How long a lost keeper waits for our own stop before it is replaced (see on_link()). */
#define RESPAWN_GRACE_MS 200

/* The daemon, for signal handlers only: they get no argument. */
static struct daemon *sig_daemon;

/* Lock-free atomics, a flag store and write(): async-signal-safe. */
void daemon_request_stop(struct daemon *d, int mode)
{
	int none = STOP_NONE;
	uint64_t one = 1;

	(void)__atomic_compare_exchange_n(&d->stop_mode, &none, mode, false, __ATOMIC_SEQ_CST,
					  __ATOMIC_SEQ_CST);
	fuse_session_exit(d->se);
	if (d->watcher.kick_fd >= 0)
		(void)!write(d->watcher.kick_fd, &one, sizeof(one));
}

static void on_signal(int sig)
{
	if (sig_daemon && sig != SIGUSR1)
		daemon_request_stop(sig_daemon, STOP_DETACH);
}

/*
 * libfuse's loop sleeps in sem_wait() until a signal interrupts it; a signal
 * that lands between its check of the exit flag and the wait would be lost.
 * So the main thread is poked until it has left the loop.
 */
static void kick_main(struct daemon *d)
{
	while (!__atomic_load_n(&d->loop_done, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&d->watcher.quit, __ATOMIC_ACQUIRE)) {
		struct pollfd p = { .fd = d->watcher.kick_fd, .events = POLLIN };

		(void)pthread_kill(d->main_thread, SIGUSR1);
		(void)poll(&p, 1, 10);
	}
}

int signals_install(struct daemon *d)
{
	/* No SA_RESTART: the signal must cut the loop's wait short. */
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };

	sigemptyset(&sa.sa_mask);
	sig_daemon = d;
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	/* A reader that vanishes mid-reply must not kill us. */
	if (sigaction(SIGPIPE, &ign, NULL) < 0)
		return -errno;
	return 0;
}

void signals_remove(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };

	for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
		(void)sigaction(sigs[i], &dfl, NULL);
	sig_daemon = NULL;
}

/* false: the watcher has nothing left to do. */
static bool on_link(struct daemon *d)
{
	struct pollfd k = { .fd = d->watcher.kick_fd, .events = POLLIN };
	struct kmsg m;
	int r;

	r = kmsg_recv(d->conn.link_fd, &m, NULL, NULL, 0);
	if (r == -ETIMEDOUT || r == -EAGAIN || r == -EINTR)
		return true;
	if (r >= 0 && m.type == KMSG_HANDOVER) {
		log_full(&d->log, LOG_INFO, "A new burrowfs takes over %s", d->conn.mountpoint);
		daemon_request_stop(d, STOP_HANDOVER);
		return true;
	}
	if (r >= 0 && m.type == KMSG_STOP) {
		log_full(&d->log, LOG_INFO, "Stopping %s for good, as asked", d->conn.mountpoint);
		daemon_request_stop(d, STOP_FULL);
		return true;
	}
	if (r >= 0)
		return true;
	if (__atomic_load_n(&d->stop_mode, __ATOMIC_ACQUIRE) != STOP_NONE)
		return false;
	/*
	 * A signal to the whole unit (systemctl restart, KillMode=control-group)
	 * may reach the keeper a moment before it reaches us. A keeper started
	 * then would outlive the unit's stop, and systemd would wait for it
	 * (TimeoutStopSec=) while every read waits for the next daemon. So our
	 * own stop gets a moment to arrive first; then the kick is handled.
	 */
	(void)poll(&k, 1, RESPAWN_GRACE_MS);
	if (__atomic_load_n(&d->stop_mode, __ATOMIC_ACQUIRE) != STOP_NONE)
		return true;
	/* Killed by hand: the connection must not lose its holder. */
	log_full(&d->log, LOG_INFO, "The keeper of %s went away; starting another",
		 d->conn.mountpoint);
	r = conn_respawn_keeper(&d->conn);
	if (r < 0) {
		/* No keeper: restarts then break containers, but this daemon serves on. */
		log_errno(&d->log, LOG_WARNING, r, "Failed to start a keeper: %m");
	} else {
		agent_keep_all(d); /* the new keeper holds nothing of the agent's yet */
		lxcp_keep(d);
		pconns_keep_all(d);
	}
	return true;
}

static void *watcher_main(void *arg)
{
	struct daemon *d = arg;
	_cleanup_close_ int mi = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	uint64_t v;

	for (;;) {
		struct pollfd p[] = {
			{ .fd = d->watcher.kick_fd, .events = POLLIN },
			/* mountinfo polls POLLPRI whenever our mount namespace changes. */
			{ .fd = mi, .events = POLLPRI },
			{ .fd = d->conn.link_fd, .events = POLLIN },
		};

		if (poll(p, ELEMENTSOF(p), -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			(void)!read(d->watcher.kick_fd, &v, sizeof(v));
			if (__atomic_load_n(&d->watcher.quit, __ATOMIC_ACQUIRE))
				break;
			kick_main(d);
			continue;
		}
		if ((p[1].revents & (POLLPRI | POLLERR)) && !conn_mounted(&d->conn)) {
			log_full(&d->log, LOG_INFO, "%s was unmounted: stopping for good",
				 d->conn.mountpoint);
			daemon_request_stop(d, STOP_FULL);
			continue;
		}
		if (p[2].revents && !on_link(d))
			break;
	}
	return NULL;
}

int watcher_start(struct daemon *d)
{
	struct watcher *m = &d->watcher;
	sigset_t all, old;
	int r;

	m->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->kick_fd < 0)
		return -errno;
	/* Signals belong to the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&m->thread, NULL, watcher_main, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return -r;
	m->running = true;
	return 0;
}

void watcher_stop(struct daemon *d)
{
	struct watcher *m = &d->watcher;
	uint64_t one = 1;

	if (m->running) {
		__atomic_store_n(&m->quit, true, __ATOMIC_RELEASE);
		(void)!write(m->kick_fd, &one, sizeof(one));
		pthread_join(m->thread, NULL);
		m->running = false;
	}
	if (m->kick_fd >= 0)
		close(m->kick_fd);
	m->kick_fd = -1;
}
