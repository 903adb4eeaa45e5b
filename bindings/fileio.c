/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "parse.h"

int open_in_root(int root_fd, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

static int open_ro_at(int dir_fd, const char *path)
{
	int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return errno == ENOENT ? -ENODATA : -errno;
	return fd;
}

/*
 * Reads fd into buf[len..size-1) until EOF or the buffer is full (one byte
 * kept for the NUL). A cgroup removed under us reads as ENODEV: -ENODATA.
 */
static int read_into(int fd, char *buf, size_t size, size_t *len)
{
	while (*len + 1 < size) {
		ssize_t n = read(fd, buf + *len, size - *len - 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == ENODEV ? -ENODATA : -errno;
		if (n == 0)
			return 0;
		*len += (size_t)n;
	}
	return 1; /* full: there may be more */
}

int read_small_at(int dir_fd, const char *path, char *buf, size_t size, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	size_t len = 0;
	int r;

	fd = open_ro_at(dir_fd, path);
	if (fd < 0)
		return fd;
	r = read_into(fd, buf, size, &len);
	if (r < 0)
		return r;
	if (r > 0)
		return -EFBIG;
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	return 0;
}

int read_full_at(int dir_fd, const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 4096;
	int r;

	fd = open_ro_at(dir_fd, path);
	if (fd < 0)
		return fd;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	while ((r = read_into(fd, buf, cap, &len)) > 0) {
		char *p;

		/* Kernel text files are small; refuse anything absurd. */
		if (cap >= 64u << 20)
			return -EFBIG;
		p = realloc(buf, cap * 2);
		if (!p)
			return -ENOMEM;
		buf = p;
		cap *= 2;
	}
	if (r < 0)
		return r;
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

int read_u64_at(int dir_fd, const char *path, uint64_t *ret)
{
	char buf[64];
	size_t len;
	int r;

	r = read_small_at(dir_fd, path, buf, sizeof(buf), &len);
	if (r < 0)
		return r;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	if (len == 0)
		return -ENODATA;
	if (strcmp(buf, "max") == 0) {
		*ret = UINT64_MAX;
		return 0;
	}
	return safe_atou64(buf, ret);
}

int read_i64_at(int dir_fd, const char *path, int64_t *ret)
{
	char buf[64], *end;
	long long v;
	size_t len;
	int r;

	r = read_small_at(dir_fd, path, buf, sizeof(buf), &len);
	if (r < 0)
		return r;
	if (len == 0)
		return -ENODATA;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\0' && *end != '\n'))
		return -EINVAL;
	*ret = v;
	return 0;
}

int opendir_at(int dir_fd, const char *path, int flags, DIR **ret)
{
	int fd = openat(dir_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | flags);

	if (fd < 0)
		return -errno;
	*ret = fdopendir(fd);
	if (!*ret) {
		int e = errno;

		close(fd);
		return -e;
	}
	return 0;
}
