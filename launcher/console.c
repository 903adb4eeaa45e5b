/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "console.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "glib-macro.h"
#include "launcher.h"

void console_sync_size(int tty, int master)
{
	struct winsize ws;

	if (ioctl(tty, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copies in -> master, watching for the escape; 1 means "detach now". */
static int from_terminal(int in_fd, int master, bool escape, bool *pending)
{
	char buf[4096], out[4096];
	size_t k = 0;
	ssize_t n = read(in_fd, buf, sizeof(buf));

	if (n <= 0)
		return n == 0 || errno == EIO ? 1 : (errno == EINTR ? 0 : -errno);
	for (ssize_t i = 0; i < n; i++) {
		if (escape && *pending) {
			*pending = false;
			if (buf[i] == CONSOLE_ESCAPE_QUIT)
				return 1;
			if (buf[i] != CONSOLE_ESCAPE)
				out[k++] = CONSOLE_ESCAPE;
			out[k++] = buf[i];
			continue;
		}
		if (escape && buf[i] == CONSOLE_ESCAPE) {
			*pending = true;
			continue;
		}
		out[k++] = buf[i];
	}
	return write_all(master, out, k);
}

struct proxy {
	int master, in_fd, out_fd, watch_fd;
	bool escape; /* Ctrl-a q detaches */
	bool drain;  /* when watch_fd fires, first copy what master still holds */
};

/*
 * What is left in master once its command is gone: the pty moves the last
 * output to the master's side asynchronously, so read until EIO (every
 * slave closed, all read), or 100 ms of silence from a process that still
 * holds the slave; bounded, as such a process may keep writing.
 */
static void drain_master(int master, int out_fd)
{
	char buf[4096];

	for (int i = 0; i < 256; i++) {
		struct pollfd p = { master, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			return;
		n = read(master, buf, sizeof(buf));
		if (n <= 0 || (out_fd >= 0 && write_all(out_fd, buf, (size_t)n) < 0))
			return;
	}
}

static int proxy(const struct proxy *a)
{
	struct termios saved, raw;
	bool is_tty = a->in_fd >= 0 && tcgetattr(a->in_fd, &saved) == 0, pending = false,
	     idle = false;
	/* The window size comes from the terminal, whichever end of the relay it is. */
	int size_fd = is_tty ? a->in_fd : (a->out_fd >= 0 && isatty(a->out_fd) ? a->out_fd : -1);
	int master = a->master, r = 0;
	sigset_t mask;
	g_autofd int sfd = -1;

	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (is_tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(a->in_fd, TCSANOW, &raw);
	}
	if (size_fd >= 0)
		console_sync_size(size_fd, master);
	for (;;) {
		struct pollfd p[4] = { { idle ? -1 : master, POLLIN, 0 },
				       { a->in_fd, POLLIN, 0 },
				       { sfd, POLLIN, 0 },
				       { a->watch_fd, POLLIN, 0 } };
		char buf[4096];
		ssize_t n;
		int k = poll(p, 4, idle ? 100 : -1);

		if (k < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		idle = false;
		if (k <= 0)
			continue;
		if (p[3].revents) {
			/* the monitor is gone, and the container with it; or the command ended */
			if (a->drain)
				drain_master(master, a->out_fd);
			break;
		}
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;

			(void)!read(sfd, &si, sizeof(si));
			if (size_fd >= 0)
				console_sync_size(size_fd, master);
		}
		if (p[0].revents) {
			n = read(master, buf, sizeof(buf));
			/* EIO: no one in the guest holds the pty right now; try again soon. */
			if (n < 0 && errno == EIO && a->drain && a->watch_fd < 0)
				break; /* without a pidfd (Linux < 5.3): every slave is closed */
			if (n < 0 && errno == EIO)
				idle = true;
			else if (n > 0 && a->out_fd >= 0 &&
				 (r = write_all(a->out_fd, buf, (size_t)n)) < 0)
				break;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			r = from_terminal(a->in_fd, master, a->escape, &pending);
			if (r != 0)
				break;
		}
	}
	if (is_tty)
		tcsetattr(a->in_fd, TCSANOW, &saved);
	return r;
}

int console_proxy(int master, int in_fd, int out_fd, bool escape, int watch_fd)
{
	struct proxy a = { master, in_fd, out_fd, watch_fd, escape, false };

	return proxy(&a);
}

int console_relay(int master, int in_fd, int out_fd, int pidfd)
{
	struct proxy a = { master, in_fd, out_fd, pidfd, false, true };

	return proxy(&a);
}
