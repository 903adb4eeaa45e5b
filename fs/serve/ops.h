/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "fuse-ll.h"

struct daemon;

/* The FUSE operations; each reaches the daemon through fuse_req_userdata(). */
extern const struct fuse_lowlevel_ops burrowfs_ops;

/* Fills d->vfile_attr from the host's files, below d->root_fd. */
void vfile_attrs_load(struct daemon *d);
