/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idmap.h"
#include "launcher.h"
#include "macro.h"

/* In the forked child: no allocation from here on, only syscalls, fn and exec. */
static _Noreturn void child(int sock, unsigned long flags, int (*early)(void *), int (*fn)(void *),
			    void *arg)
{
	char c = 0;
	int status;
	pid_t pid;

	if (unshare(CLONE_NEWUSER | (int)flags) < 0 || write(sock, &c, 1) != 1)
		_exit(126);
	if (read(sock, &c, 1) != 1 || c != 1)
		_exit(126);
	if (early && early(arg) != 0)
		_exit(125);
	if (ns_become_root() < 0)
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
	_exit(fn(arg));
}

int userns_run_early(const struct idmap *u, const struct idmap *g, unsigned long flags,
		     int (*early)(void *), int (*fn)(void *), void *arg)
{
	int sv[2], status, r;
	char c = 1;
	pid_t pid;

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
		child(sv[1], flags, early, fn, arg);
	}
	close(sv[1]);
	if (read(sv[0], &c, 1) != 1)
		r = -EPROTO;
	else
		r = idmap_write(pid, u, g);
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

int userns_run(const struct idmap *uid, const struct idmap *gid, unsigned long flags,
	       int (*fn)(void *), void *arg)
{
	return userns_run_early(uid, gid, flags, NULL, fn, arg);
}

struct exec_args {
	char *const *argv;
	int stdin_fd, cwd_fd;
};

static int exec_fn(void *arg)
{
	const struct exec_args *a = arg;

	if (a->stdin_fd >= 0 && dup2(a->stdin_fd, STDIN_FILENO) < 0)
		return 126;
	if (a->cwd_fd >= 0 && fchdir(a->cwd_fd) < 0)
		return 126;
	exec_sealed(a->argv);
	return 127;
}

int userns_exec_at(const struct idmap *uid, const struct idmap *gid, unsigned long flags,
		   char *const argv[], int stdin_fd, int cwd_fd)
{
	struct exec_args a = { argv, stdin_fd, cwd_fd };

	return userns_run(uid, gid, flags, exec_fn, &a);
}

int userns_exec(const struct idmap *uid, const struct idmap *gid, unsigned long flags,
		char *const argv[], int stdin_fd)
{
	return userns_exec_at(uid, gid, flags, argv, stdin_fd, -1);
}

int userns_exec_with_caller(const struct idmap *uid, const struct idmap *gid, char *const argv[])
{
	struct exec_args a = { argv, -1, -1 };
	struct idmap u, g;

	idmap_with_caller(uid, (uint32_t)geteuid(), &u);
	idmap_with_caller(gid, (uint32_t)getegid(), &g);
	return userns_run(&u, &g, 0, exec_fn, &a);
}

static int fchown_fn(void *arg)
{
	return fchown(*(int *)arg, 0, 0) < 0 ? 1 : 0;
}

int userns_hand_over(const struct idmap *uid, const struct idmap *gid, int fd)
{
	struct idmap u, g;
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (geteuid() == 0)
		return fchown(fd, idmap_root(uid), (gid_t)idmap_root(gid)) < 0 ? -errno : 0;
	if (st.st_uid != geteuid())
		return -EPERM;
	idmap_with_caller(uid, (uint32_t)geteuid(), &u);
	idmap_with_caller(gid, (uint32_t)getegid(), &g);
	r = userns_run(&u, &g, 0, fchown_fn, &fd);
	return r < 0 ? r : r > 0 ? -EPERM : 0;
}
