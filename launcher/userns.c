/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idmap.h"
#include "launcher.h"
#include "macro.h"

static int become_root(void)
{
	if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)
		return -errno;
	return 0;
}

/* In the forked child: no allocation from here on, only syscalls and exec. */
static _Noreturn void child(int sock, unsigned long flags, char *const argv[], int stdin_fd)
{
	char c = 0;
	int status;
	pid_t pid;

	if (unshare(CLONE_NEWUSER | (int)flags) < 0 || write(sock, &c, 1) != 1)
		_exit(126);
	if (read(sock, &c, 1) != 1 || c != 1)
		_exit(126);
	if (become_root() < 0)
		_exit(126);
	if (stdin_fd >= 0 && dup2(stdin_fd, STDIN_FILENO) < 0)
		_exit(126);
	if (flags & CLONE_NEWPID) {
		/* The first child is the new namespace's PID 1. */
		pid = fork();
		if (pid < 0)
			_exit(126);
		if (pid > 0) {
			while (waitpid(pid, &status, 0) < 0)
				if (errno != EINTR)
					_exit(126);
			_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		}
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	execvp(argv[0], argv);
	_exit(127);
}

int userns_exec(const struct idmap *uid, const struct idmap *gid, unsigned long flags,
		char *const argv[], int stdin_fd)
{
	struct idmap u, g;
	int sv[2], status, r;
	char c = 1;
	pid_t pid;

	idmap_with_caller(uid, (uint32_t)geteuid(), &u);
	idmap_with_caller(gid, (uint32_t)getegid(), &g);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0) {
		close(sv[0]);
		child(sv[1], flags, argv, stdin_fd);
	}
	close(sv[1]);
	if (read(sv[0], &c, 1) != 1)
		r = -EPROTO;
	else
		r = idmap_write(pid, &u, &g);
	c = r < 0 ? 0 : 1;
	(void)!write(sv[0], &c, 1);
	close(sv[0]);
	if (wait_pid(pid, &status) < 0)
		return -ECHILD;
	if (r < 0)
		return r;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
