/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/stat.h>

#include "fuse-ll.h"

struct daemon;

/* The FUSE operations; each reaches the daemon through fuse_req_userdata(). */
extern const struct fuse_lowlevel_ops burrowfs_ops;

/* Fills d->vfile_attr from the host's files, below d->root_fd. */
void vfile_attrs_load(struct daemon *d);

/*
 * A static node's attributes, for the shared mount and for a container's own
 * connection alike: a directory 0555, a rendered file with its host file's
 * owner and mode and size bytes, all times the first mount's.
 */
void static_attr(const struct daemon *d, fuse_ino_t ino, size_t size, struct stat *st);
