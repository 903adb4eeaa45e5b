/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "macro.h"

/* Drop every id to the caller's, for good: what follows runs as the caller. */
static int drop_to_caller(const struct net_caller *c)
{
	uid_t r, e, s;

	if (setgroups(c->n_groups, c->groups) < 0 || setresgid(c->gid, c->gid, c->gid) < 0 ||
	    setresuid(c->uid, c->uid, c->uid) < 0)
		return -errno;
	if (getresuid(&r, &e, &s) < 0 || r != c->uid || e != c->uid || s != c->uid)
		return -EPERM;
	/* Changing ids resets dumpability to fs.suid_dumpable: the caller must
	 * not ptrace this child into handing over some other fd. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/* The child's work, as the caller. Returns the netns fd or -errno; no malloc. */
static int open_as_caller(const struct net_caller *c, pid_t pid)
{
	_cleanup_close_ int pidfd = -1, procfd = -1, nsfd = -1, usfd = -1;
	char path[32];
	struct stat st;

	if (drop_to_caller(c) < 0)
		return -EPERM;
	/* The pidfd pins the process: if pid dies and is reused while /proc is
	 * read, the liveness check below fails rather than trusting a stranger. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -EPERM;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	procfd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (procfd < 0 || fstat(procfd, &st) < 0 || (c->uid != 0 && st.st_uid != c->uid))
		return -EPERM;
	/* The kernel's ptrace check (PTRACE_MODE_READ_FSCREDS) as the caller. */
	nsfd = openat(procfd, "ns/net", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return -EPERM;
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
		return -EPERM;
	if (ioctl(nsfd, NS_GET_NSTYPE) != CLONE_NEWNET)
		return -EPERM;
	if (c->uid != 0) {
		/* setns() into a user namespace needs CAP_SYS_ADMIN in it: it
		 * succeeds only for one the caller owns (or an ancestor of it),
		 * never for the host's, which the caller merely lives in. */
		usfd = ioctl(nsfd, NS_GET_USERNS);
		if (usfd < 0 || setns(usfd, CLONE_NEWUSER) < 0)
			return -EPERM;
	}
	return TAKE_FD(nsfd);
}

/* r: the fd opened, or -errno; the fd travels along. */
static void send_result(int sock, int r)
{
	(void)fdpass_send(sock, &r, sizeof(r), &r, r >= 0 ? 1 : 0);
}

static int recv_result(int sock)
{
	int r = -EPERM, fd = -1;
	size_t nfds;
	ssize_t n;

	n = fdpass_recv(sock, &r, sizeof(r), &fd, 1, &nfds);
	if (n != sizeof(r) || r < 0 || nfds != 1) {
		if (nfds == 1)
			close(fd);
		return -EPERM;
	}
	return fd;
}

int target_open(const struct net_caller *caller, pid_t pid, struct net_target *ret)
{
	_cleanup_close_ int sock0 = -1, sock1 = -1, fd = -1, own = -1;
	int sv[2], status;

	struct stat st, own_st;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	sock0 = sv[0];
	sock1 = sv[1];
	child = fork();
	if (child < 0)
		return -errno;
	if (child == 0) {
		send_result(sock1, open_as_caller(caller, pid));
		_exit(0);
	}
	close(TAKE_FD(sock1));
	fd = recv_result(sock0);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (fd < 0)
		return -EPERM;
	/* Re-checked here, as root, on what arrived: a netns, and not this one
	 * (the host's), whoever asks. */
	own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (own < 0 || fstat(own, &own_st) < 0 || fstat(fd, &st) < 0 ||
	    ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET)
		return -EPERM;
	if (st.st_dev == own_st.st_dev && st.st_ino == own_st.st_ino)
		return -EPERM;
	ret->dev = st.st_dev;
	ret->ino = st.st_ino;
	ret->fd = TAKE_FD(fd);
	return 0;
}
