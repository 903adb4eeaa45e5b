/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "fdpass.h"
#include "fileio.h"
#include "glib-macro.h"
#include "launcher.h"
#include "parse.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static __attribute__((format(printf, 3, 0))) void log_va(const char *prefix, int errnum,
							 const char *fmt, va_list ap)
{
	int saved = errno;

	errno = errnum;
	fputs("burrow: ", stderr);
	if (prefix)
		fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	errno = saved;
}

int log_error_errno(int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(NULL, r < 0 ? -r : r, fmt, ap);
	va_end(ap);
	return r < 0 ? r : -r;
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(NULL, errno, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(NULL, errno, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	static int enabled = -1;
	va_list ap;

	if (enabled < 0)
		enabled = getenv("BURROW_DEBUG") != NULL;
	if (!enabled)
		return;
	char prefix[48];

	snprintf(prefix, sizeof(prefix), "debug [%.3f]: ", (double)now_usec(CLOCK_MONOTONIC) / 1e6);
	va_start(ap, fmt);
	log_va(prefix, errno, fmt, ap);
	va_end(ap);
}

int write_file_at(int dir_fd, const char *path, const char *text, mode_t mode)
{
	g_autofd int fd = -1;
	size_t len = strlen(text);

	fd = openat(dir_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, mode);
	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, text, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file_atomic(const char *path, const char *text, mode_t mode)
{
	char tmp[4096];
	int r;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	r = write_file_at(AT_FDCWD, tmp, text, mode);
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
		return r;
	}
	return 0;
}

int mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int wait_pid(pid_t pid, int *ret_status)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (ret_status)
		*ret_status = status;
	return 0;
}

int ns_become_root(void)
{
	if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)
		return -errno;
	return 0;
}

int fds_seal(void)
{
	struct rlimit rl;

	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	/* Before Linux 5.11: one by one, up to the fd limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	for (rlim_t fd = 3; fd < rl.rlim_cur && fd < (1U << 20); fd++)
		if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
			return -errno;
	return 0;
}

int exec_sealed(char *const argv[])
{
	int r = fds_seal();

	if (r < 0)
		return r;
	execvp(argv[0], argv);
	return -errno;
}

/* Exit status 0 gives 0; anything else -EPROTO with the status in *ret_status. */
int fork_exec_wait(char *const argv[], int stdin_fd, int *ret_status)
{
	int status, r;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (stdin_fd >= 0 && dup2(stdin_fd, STDIN_FILENO) < 0)
			_exit(127);
		exec_sealed(argv);
		_exit(127);
	}
	r = wait_pid(pid, &status);
	if (r < 0)
		return r;
	if (ret_status)
		*ret_status = status;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPROTO;
}

int send_with_fd(int sock, const void *buf, size_t len, int fd)
{
	return fdpass_send(sock, buf, len, &fd, fd >= 0 ? 1 : 0);
}

ssize_t recv_with_fd(int sock, void *buf, size_t size, int *ret_fd)
{
	size_t nfds;
	ssize_t n;
	int fd;

	n = fdpass_recv(sock, buf, size, &fd, ret_fd ? 1 : 0, &nfds);
	if (n > 0 && nfds == 1)
		*ret_fd = fd;
	else if (nfds == 1)
		close(fd);
	return n;
}

uint64_t now_usec(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

bool backoff_sleep(struct backoff *b)
{
	long ms = b->delay_ms < b->left_ms ? b->delay_ms : b->left_ms;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000 * 1000 };

	if (b->left_ms <= 0)
		return false;
	nanosleep(&ts, NULL);
	b->left_ms -= ms;
	b->delay_ms = b->delay_ms * 2 < b->max_ms ? b->delay_ms * 2 : b->max_ms;
	return true;
}

/* A zombie's start time is no use to the launcher: -ESRCH, as good as gone. */
int pid_starttime(pid_t pid, uint64_t *ret)
{
	char state;
	int r = proc_pid_stat(AT_FDCWD, pid, ret, &state);

	if (r < 0)
		return r;
	return state == 'Z' || state == 'X' ? -ESRCH : 0;
}

bool pid_alive(pid_t pid, uint64_t starttime)
{
	uint64_t t;

	if (pid <= 0)
		return false;
	if (pid_starttime(pid, &t) < 0)
		return false;
	return starttime == 0 || t == starttime;
}

void format_bytes(uint64_t v, char *buf, size_t size)
{
	static const char suffix[] = "KMGTPE";

	if (v == UINT64_MAX) {
		snprintf(buf, size, "-");
		return;
	}
	for (int i = 5; i >= 0; i--) {
		uint64_t unit = 1ull << (10 * (i + 1));

		if (v >= unit && v % unit == 0) {
			snprintf(buf, size, "%" PRIu64 "%c", v / unit, suffix[i]);
			return;
		}
	}
	snprintf(buf, size, "%" PRIu64, v);
}

void format_duration(uint64_t usec, char *buf, size_t size)
{
	uint64_t s = usec / 1000000u;

	if (s < 60)
		snprintf(buf, size, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
	else
		snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s / 3600 % 24);
}

int read_text(const char *path, char **ret)
{
	return read_full_at(AT_FDCWD, path, ret, NULL);
}

int parse_pid(const char *s, pid_t *ret)
{
	uint64_t v;
	int r;

	r = safe_atou64(s, &v);
	if (r < 0)
		return r;
	if (v == 0 || v > INT32_MAX)
		return -ERANGE;
	*ret = (pid_t)v;
	return 0;
}

bool path_has_dotdot(const char *path)
{
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += n;
		p += strspn(p, "/");
	}
	return false;
}

void dir_remove_flat(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(dir, name, NULL);

		(void)unlink(p);
	}
	(void)rmdir(dir);
}
