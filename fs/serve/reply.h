/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "fuse-ll.h"

struct blob;
struct caller;
struct handle;

/*
 * The one error-reply policy of every operation, ops.c's and the
 * providers' hooks alike. A plain errno is an answer and goes back as it
 * is: the kernel's own, from the host file a node passes through (cgroupfs
 * refusing a write, sysfs a missing CPU), or ours (ENOENT for what the
 * reader may not see, ESTALE for a nodeid no daemon remembers). ENOMEM and
 * EIO are the daemon's own trouble: logged, rate-limited, with what and
 * the reader's pid. Anything else (r >= 0, not an errno) becomes EIO.
 */
void reply_err(fuse_req_t req, int r, const char *what);

/*
 * A render or gather that failed: the daemon could not make the file, so
 * the reader gets EIO (ENOMEM as it is) whatever the cause, and the cause
 * goes to the log, rate-limited.
 */
void reply_fail(fuse_req_t req, int r, const char *what);

/*
 * The one open-handle reply: registers x (counted against its owner's share
 * of open files, fdquota; who is the opener when known, NULL to read it)
 * and replies to open. x is dropped when it cannot be registered; a spent
 * share is EMFILE or ENFILE, as open(2) would say.
 */
void reply_open_handle(fuse_req_t req, struct fuse_file_info *fi, const struct handle *x,
		       const struct caller *who);

/* A read of size bytes at off: of blob b, or of fd (pread). */
void reply_slice(fuse_req_t req, const struct blob *b, size_t size, off_t off);
void reply_pread(fuse_req_t req, int fd, size_t size, off_t off);
