/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sockpath.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"

static int sockpath_addr(const char *path, struct sockaddr_un *ret)
{
	if (strlen(path) >= sizeof(ret->sun_path))
		return -ENAMETOOLONG;
	*ret = (struct sockaddr_un){ .sun_family = AF_UNIX };
	strcpy(ret->sun_path, path);
	return 0;
}

int sockpath_probe(const char *path, int type)
{
	struct sockaddr_un sa;
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	r = sockpath_addr(path, &sa);
	if (r < 0)
		return r;
	/* connect() refuses a non-socket just as a dead one: tell them apart first. */
	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	/* Non-blocking: a listener with a full backlog must not hold us (EAGAIN). */
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return SOCKPATH_LIVE;
	switch (errno) {
	case EAGAIN:
		return SOCKPATH_LIVE;
	case ECONNREFUSED:
		return SOCKPATH_STALE;
	case EPROTOTYPE:
		return SOCKPATH_OTHER_TYPE;
	default:
		return -errno;
	}
}

int sockpath_unlink_stale(const char *path, int type)
{
	int r = sockpath_probe(path, type);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (r != SOCKPATH_STALE)
		return 0;
	if (unlink(path) < 0)
		return errno == ENOENT ? 0 : -errno;
	return 1;
}

int sockpath_listen(const char *path, int type, mode_t mode, int backlog, bool replace)
{
	struct sockaddr_un sa;
	_cleanup_close_ int fd = -1;
	int r;

	r = sockpath_addr(path, &sa);
	if (r < 0)
		return r;
	r = sockpath_probe(path, type & ~SOCK_NONBLOCK);
	if (r == SOCKPATH_LIVE && !replace)
		return -EADDRINUSE;
	if (r == -ENOTSOCK)
		return -EEXIST;
	if (r >= 0 && unlink(path) < 0 && errno != ENOENT)
		return -errno;
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	if (chmod(path, mode) < 0 || listen(fd, backlog) < 0) {
		r = -errno;
		(void)unlink(path);
		return r;
	}
	return TAKE_FD(fd);
}
