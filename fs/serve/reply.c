/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How burrowfs answers a request that fails, and how it answers an open:
 * one place, so that a rendered file, a passthrough node and a cgroup/
 * node fail the same way for the same cause.
 */
#include "reply.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon.h"
#include "handles.h"
#include "macro.h"
#include "serving.h"

void reply_fail(fuse_req_t req, int r, const char *what)
{
	struct daemon *d = serving_daemon(req);

	log_ratelimited(&d->log, r, "%s for pid %d: %m", what, (int)fuse_req_ctx(req)->pid);
	fuse_reply_err(req, r == -ENOMEM ? ENOMEM : EIO);
}

void reply_err(fuse_req_t req, int r, const char *what)
{
	if (r >= 0 || r < -4095 || r == -ENOMEM || r == -EIO) {
		reply_fail(req, r >= 0 || r < -4095 ? -EIO : r, what);
		return;
	}
	fuse_reply_err(req, -r);
}

void reply_open_handle(fuse_req_t req, struct fuse_file_info *fi, const struct handle *x,
		       const struct caller *who)
{
	struct daemon *d = serving_daemon(req);
	struct handle taken;
	int r;

	r = fdquota_add_handle(req, x, who, &fi->fh);
	if (r < 0) {
		struct handle copy = *x;

		handle_drop(&copy);
		reply_err(req, r, "open");
		return;
	}
	/* The kernel dropped the reply (interrupted): it will never release fh. */
	if (fuse_reply_open(req, fi) < 0 && handles_remove(&d->handles, fi->fh, &taken) >= 0)
		handle_drop(&taken);
}

void reply_slice(fuse_req_t req, const struct blob *b, size_t size, off_t off)
{
	if (off < 0 || (uint64_t)off >= b->len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, b->data + off, MIN(size, b->len - (size_t)off));
}

void reply_pread(fuse_req_t req, int fd, size_t size, off_t off)
{
	_cleanup_free_ char *buf = NULL;
	ssize_t n;

	/* size is at most the connection's max_read: bounded per request. */
	buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = pread(fd, buf, size, off);
	if (n < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	fuse_reply_buf(req, buf, (size_t)n);
}
