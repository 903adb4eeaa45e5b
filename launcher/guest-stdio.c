/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "guest-stdio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"

unsigned guest_tty_mask(void)
{
	unsigned mask = 0;

	for (int fd = 0; fd <= 2; fd++)
		if (isatty(fd))
			mask |= 1U << fd;
	return mask;
}

static int first_fd(unsigned mask)
{
	for (int fd = 0; fd <= 2; fd++)
		if (mask & (1U << fd))
			return fd;
	return -1;
}

int guest_pty_open(unsigned mask)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	int master, unlock = 0, fd = first_fd(mask), r;

	/* The guest's devpts, not the host's /dev/ptmx: the slave must be one the guest owns. */
	master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return -errno;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0) {
		r = -errno;
		close(master);
		return r;
	}
	/* Set before the command runs, so that its first `stty size` is right. */
	if (fd >= 0)
		ioctl(fd, TIOCGWINSZ, &ws);
	ioctl(master, TIOCSWINSZ, &ws);
	return master;
}

/*
 * The slave of master: TIOCGPTPEER (Linux 4.13) opens it without a path
 * lookup in /dev/pts, which guest root may have mounted over since.
 */
static int open_peer(int master)
{
	char path[32];
	unsigned n;
	int fd = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);

	if (fd >= 0 || (errno != EINVAL && errno != ENOTTY))
		return fd < 0 ? -errno : fd;
	if (ioctl(master, TIOCGPTN, &n) < 0)
		return -errno;
	snprintf(path, sizeof(path), "/dev/pts/%u", n);
	fd = open(path, O_RDWR | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

int guest_stdio_take(unsigned mask, int master)
{
	int fd;

	/* Leaves the caller's session: its terminal is no longer our controlling tty. */
	if (setsid() < 0)
		return -errno;
	if (mask == 0)
		return 0;
	fd = open_peer(master);
	if (fd < 0)
		return fd;
	if (ioctl(fd, TIOCSCTTY, 0) < 0)
		return -errno;
	for (int i = 0; i <= 2; i++)
		if ((mask & (1U << i)) && dup2(fd, i) < 0)
			return -errno;
	if (fd > 2)
		close(fd);
	return 0;
}

int guest_pty_relay(int master, unsigned mask, int pidfd)
{
	int in_fd = (mask & 1U) ? 0 : -1;
	int out_fd = (mask & 2U) ? 1 : (mask & 4U) ? 2 : -1;

	return console_relay(master, in_fd, out_fd, pidfd);
}

int guest_pidfd(int pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : fd;
}
