/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdpass.h"
#include "macro.h"

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

int notify_send_fds(const char *state, const int *fds, size_t nfds)
{
	struct sockaddr_un sa;
	socklen_t salen;
	_cleanup_close_ int fd = -1;
	int r;

	r = notify_address(&sa, &salen);
	if (r <= 0)
		return r;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	return fdpass_sendto(fd, (struct sockaddr *)&sa, salen, state, strlen(state), fds, nfds);
}
