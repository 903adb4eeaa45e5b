/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ctlclient.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"

/*
 * A daemon that accepted the connection but never answers (stopped, or a
 * bug) must not hang a container's start: the caller falls back instead.
 */
#define CTL_TIMEOUT_SEC 10 /* recv_failed() says so */

/* strlcpy: no formatting, safe in the launcher's child. */
static void set_err(char *err, size_t errlen, const char *text)
{
	size_t n;

	if (!err || errlen == 0)
		return;
	n = strnlen(text, errlen - 1);
	memcpy(err, text, n);
	err[n] = '\0';
}

/* text, ": ", and r's description (strerrordesc_np: a static string, no locale). */
static void set_err_errno(char *err, size_t errlen, const char *text, int r)
{
	const char *d = strerrordesc_np(-r);
	size_t n;

	set_err(err, errlen, text);
	if (!err || errlen == 0 || !d)
		return;
	n = strlen(err);
	set_err(err + n, errlen - n, ": ");
	n = strlen(err);
	set_err(err + n, errlen - n, d);
}

/* a and b name the same directory, up to trailing slashes. */
static bool same_dir(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	return la == lb && memcmp(a, b, la) == 0;
}

const char *burrow_ctl_socket_for(const char *burrowfs_dir, const char *explicit)
{
	if (explicit)
		return explicit;
	if (burrowfs_dir && same_dir(burrowfs_dir, BURROWFS_DEFAULT_MOUNT))
		return BURROW_CTL_SOCKET;
	return NULL;
}

void burrow_ctl_mounts_init(struct burrow_ctl_mounts *m)
{
	m->n = 0;
	for (size_t i = 0; i < FDPASS_MAX; i++)
		m->fd[i] = -1;
}

void burrow_ctl_mounts_close(struct burrow_ctl_mounts *m)
{
	for (uint32_t i = 0; i < m->n && i < FDPASS_MAX; i++)
		closep(&m->fd[i]);
	burrow_ctl_mounts_init(m);
}

int burrow_ctl_mounts_find(const struct burrow_ctl_mounts *m, const char *path)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (strcmp(burrow_ctl_mounts_path(m, i), path) == 0)
			return (int)i;
	return -1;
}

int burrow_ctl_connect(const char *sock_path, char *err, size_t errlen)
{
	const struct timeval tv = { .tv_sec = CTL_TIMEOUT_SEC };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	int r;

	if (!sock_path)
		sock_path = BURROW_CTL_SOCKET;
	if (strlen(sock_path) >= sizeof(sa.sun_path)) {
		if (err)
			snprintf(err, errlen, "burrowfs's control socket path %s is too long",
				 sock_path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		r = -errno;
	else if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
		 setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
		 connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = -errno;
	else
		return TAKE_FD(fd);
	if (err)
		snprintf(err, errlen, "cannot connect to burrowfs's control socket %s: %s%s",
			 sock_path, strerror(-r),
			 r == -ENOENT || r == -ECONNREFUSED
				 ? " (is burrowfs running, with --control-socket?)"
				 : "");
	return r;
}

/* What fdpass_recv()'s n <= 0 means for a reply: -errno and a line. */
static int recv_failed(ssize_t n, char *err, size_t errlen)
{
	if (n == -EMSGSIZE) {
		set_err(err, errlen, "burrowfs's reply is too large (too many fds or bytes)");
		return -EPROTO;
	}
	if (n == -EAGAIN || n == -EWOULDBLOCK) {
		set_err(err, errlen, "burrowfs did not answer on its control socket within 10 s");
		return -ETIMEDOUT;
	}
	if (n == 0) {
		set_err(err, errlen, "burrowfs closed the control connection without a reply");
		return -ECONNRESET;
	}
	set_err_errno(err, errlen, "cannot receive burrowfs's reply", (int)n);
	return (int)n;
}

int burrow_ctl_recv(int sock, struct burrow_ctl_mounts *ret, char *err, size_t errlen)
{
	struct burrow_ctl_reply h;
	const char *body;
	size_t nfds, blen;
	ssize_t n;
	int r;

	burrow_ctl_mounts_init(ret);
	/* One byte kept back: burrow_ctl_reply_check() terminates an error's text in place. */
	n = fdpass_recv(sock, ret->buf, sizeof(ret->buf) - 1, ret->fd, FDPASS_MAX, &nfds);
	if (n <= 0)
		return recv_failed(n, err, errlen);
	r = burrow_ctl_reply_check(ret->buf, (size_t)n, nfds, &h, &body, &blen);
	/* An errno the kernel never uses is no error we could report either. */
	if (r >= 0 && h.error < -4095)
		r = -EPROTO;
	if (r < 0) {
		for (size_t i = 0; i < nfds; i++)
			closep(&ret->fd[i]);
		set_err(err, errlen, "burrowfs's reply on its control socket is malformed");
		return -EPROTO;
	}
	if (h.error < 0) {
		set_err(err, errlen, body);
		return h.error;
	}
	for (uint32_t i = 0; i < h.n; i++)
		ret->off[i] = (uint16_t)(burrow_ctl_path(body, blen, h.n, i) - ret->buf);
	ret->n = h.n;
	return 0;
}

int burrow_ctl_send(int sock, const struct burrow_ctl_mounts *m)
{
	char buf[sizeof(struct burrow_ctl_reply) + BURROW_CTL_MAX];
	struct burrow_ctl_reply h = { BURROW_CTL_MAGIC, BURROW_CTL_VERSION, 0, m->n };
	size_t len = sizeof(h);

	if (m->n > FDPASS_MAX)
		return -EINVAL;
	memcpy(buf, &h, sizeof(h));
	for (uint32_t i = 0; i < m->n; i++) {
		const char *p = burrow_ctl_mounts_path(m, i);
		size_t k = strlen(p) + 1;

		if (m->fd[i] < 0)
			return -EBADF;
		if (len + k > sizeof(buf))
			return -E2BIG;
		memcpy(buf + len, p, k);
		len += k;
	}
	return fdpass_send(sock, buf, len, m->fd, m->n);
}

/* One request on a fresh connection; the reply is the caller's to receive. */
static int request(const char *sock_path, uint32_t op, uint32_t flags, int pidfd, char *err,
		   size_t errlen)
{
	const struct burrow_ctl_req q = { BURROW_CTL_MAGIC, BURROW_CTL_VERSION, op, flags };
	_cleanup_close_ int fd = -1;
	int r;

	fd = burrow_ctl_connect(sock_path, err, errlen);
	if (fd < 0)
		return fd;
	r = fdpass_send(fd, &q, sizeof(q), &pidfd, pidfd >= 0 ? 1 : 0);
	if (r < 0) {
		if (err)
			snprintf(err, errlen, "cannot send to burrowfs's control socket %s: %s",
				 sock_path ? sock_path : BURROW_CTL_SOCKET, strerror(-r));
		return r;
	}
	return TAKE_FD(fd);
}

int burrow_ctl_attach(const char *sock_path, int pidfd, struct burrow_ctl_mounts *ret, char *err,
		      size_t errlen)
{
	return burrow_ctl_attach_flags(sock_path, pidfd, 0, ret, err, errlen);
}

int burrow_ctl_attach_flags(const char *sock_path, int pidfd, uint32_t flags,
			    struct burrow_ctl_mounts *ret, char *err, size_t errlen)
{
	_cleanup_close_ int fd = -1;

	if (pidfd < 0)
		return -EBADF;
	fd = request(sock_path, BURROW_CTL_ATTACH, flags, pidfd, err, errlen);
	if (fd < 0)
		return fd;
	return burrow_ctl_recv(fd, ret, err, errlen);
}

int burrow_ctl_stats(const char *sock_path, char *buf, size_t size, char *err, size_t errlen)
{
	char rbuf[sizeof(struct burrow_ctl_reply) + BURROW_CTL_MAX + 1];
	_cleanup_close_ int fd = -1;
	struct burrow_ctl_reply h;
	const char *body;
	size_t nfds, blen;
	ssize_t n;

	if (size == 0)
		return -EINVAL;
	fd = request(sock_path, BURROW_CTL_STATS, 0, -1, err, errlen);
	if (fd < 0)
		return fd;
	n = fdpass_recv(fd, rbuf, sizeof(rbuf) - 1, NULL, 0, &nfds);
	if (n <= 0)
		return recv_failed(n, err, errlen);
	if (burrow_ctl_reply_check(rbuf, (size_t)n, nfds, &h, &body, &blen) < 0 || h.n != 0) {
		set_err(err, errlen, "burrowfs's reply on its control socket is malformed");
		return -EPROTO;
	}
	if (h.error < 0) {
		set_err(err, errlen, body);
		return h.error;
	}
	if (blen >= size || memchr(body, '\0', blen)) {
		set_err(err, errlen, "burrowfs's counters do not fit, or are not text");
		return blen >= size ? -ENOBUFS : -EPROTO;
	}
	memcpy(buf, body, blen);
	buf[blen] = '\0';
	return (int)blen;
}

/*
 * The target, resolved as if rootfs_fd were "/". RESOLVE_IN_ROOT keeps
 * absolute symlinks and ".." chains inside; RESOLVE_NO_MAGICLINKS refuses
 * /proc/PID/root-style jumps into another tree; RESOLVE_NO_SYMLINKS refuses
 * even a symlink that stays inside: no procfs or sysfs path we place on has
 * one, so a symlink there is a container's root steering our mount onto a
 * file of its choice (its /etc/passwd, say), which we do not help with.
 */
static int open_target(int rootfs_fd, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
	};
	long fd = syscall(SYS_openat2, rootfs_fd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/* 1 placed, 0 skipped (missing, or this connection's already), or -errno. */
static int place_one(int mnt_fd, int rootfs_fd, const char *path)
{
	_cleanup_close_ int target = -1;
	struct stat ms, ts;

	target = open_target(rootfs_fd, path);
	if (target == -ENOENT)
		return 0;
	if (target < 0)
		return target;
	if (fstat(mnt_fd, &ms) < 0 || fstat(target, &ts) < 0)
		return -errno;
	if ((ms.st_mode & S_IFMT) != (ts.st_mode & S_IFMT))
		return S_ISDIR(ms.st_mode) ? -ENOTDIR : -EISDIR;
	/* Asked again for a container that has its mounts: stack nothing. */
	if (ms.st_dev == ts.st_dev)
		return 0;
	if (move_mount(mnt_fd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
	    0)
		return -errno;
	return 1;
}

int burrow_ctl_place(struct burrow_ctl_mounts *m, int rootfs_fd, uint32_t *ret_placed,
		     uint32_t *ret_failed)
{
	uint32_t placed = 0;

	for (uint32_t i = 0; i < m->n; i++) {
		int r;

		if (m->fd[i] < 0)
			continue;
		r = place_one(m->fd[i], rootfs_fd, burrow_ctl_mounts_path(m, i));
		if (r < 0) {
			if (ret_placed)
				*ret_placed = placed;
			*ret_failed = i;
			return r;
		}
		if (r > 0)
			placed++;
		closep(&m->fd[i]);
		m->fd[i] = -1;
	}
	if (ret_placed)
		*ret_placed = placed;
	return 0;
}
