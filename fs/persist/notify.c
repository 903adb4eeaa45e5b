/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"

#define NOTIFY_MAX_FDS 8

bool notify_enabled(void)
{
	const char *path = getenv("NOTIFY_SOCKET");

	return path && *path;
}

int notify_send(const char *state)
{
	return notify_send_fds(state, NULL, 0);
}

static int notify_address(struct sockaddr_un *sa, socklen_t *ret_len)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len, salen;

	if (!path || !*path)
		return 0;
	len = strlen(path);
	if (path[0] != '/' && path[0] != '@')
		return -EAFNOSUPPORT;
	if (len > sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	memcpy(sa->sun_path, path, len);
	/* An abstract name starts with a NUL and is not NUL-terminated. */
	if (path[0] == '@')
		sa->sun_path[0] = '\0';
	salen = offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/');
	*ret_len = (socklen_t)MIN(salen, sizeof(*sa));
	return 1;
}

void msg_attach_fds(struct msghdr *mh, void *buf, const int *fds, size_t nfds)
{
	struct cmsghdr *c;

	if (nfds == 0)
		return;
	mh->msg_control = buf;
	mh->msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
}

int notify_send_fds(const char *state, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * NOTIFY_MAX_FDS)];
	} u = { 0 };
	struct sockaddr_un sa;
	struct iovec iov = { .iov_base = (char *)state, .iov_len = strlen(state) };
	struct msghdr mh = { .msg_name = &sa, .msg_iov = &iov, .msg_iovlen = 1 };
	_cleanup_close_ int fd = -1;
	int r;

	r = notify_address(&sa, &mh.msg_namelen);
	if (r <= 0)
		return r;
	if (nfds > NOTIFY_MAX_FDS)
		return -EINVAL;
	msg_attach_fds(&mh, u.buf, fds, nfds);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}
