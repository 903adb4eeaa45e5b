/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fdpass.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"

union fdpass_cbuf {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX)];
};

int fdpass_sendto(int sock, const struct sockaddr *addr, socklen_t addrlen, const void *buf,
		  size_t len, const int *fds, size_t nfds)
{
	union fdpass_cbuf u;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_name = (void *)addr,
			     .msg_namelen = addr ? addrlen : 0,
			     .msg_iov = &iov,
			     .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > FDPASS_MAX)
		return -EINVAL;
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

static void drop_fd(const struct fdpass_opts *opts, int fd)
{
	if (opts && opts->drop)
		opts->drop(fd, opts->userdata);
	else
		close(fd);
}

ssize_t fdpass_recv(int sock, void *buf, size_t size, int *fds, size_t max_fds, size_t *ret_nfds)
{
	return fdpass_recv_ex(sock, NULL, buf, size, fds, max_fds, ret_nfds);
}

ssize_t fdpass_recv_ex(int sock, const struct fdpass_opts *opts, void *buf, size_t size, int *fds,
		       size_t max_fds, size_t *ret_nfds)
{
	union fdpass_cbuf u;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	size_t got = 0;
	bool lost = false;
	ssize_t n;

	*ret_nfds = 0;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | (opts ? opts->flags : 0));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got < max_fds)
				fds[got++] = fd;
			else {
				drop_fd(opts, fd);
				lost = true;
			}
		}
	}
	if (lost || (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC))) {
		for (size_t i = 0; i < got; i++)
			drop_fd(opts, fds[i]);
		return -EMSGSIZE;
	}
	*ret_nfds = got;
	return n;
}
