/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/stat.h>

#include "fuse-ll.h"

/*
 * cgroup/<hierarchy>/…: the reader's own cgroups, read and written through.
 * ops.c hands every request on a node of the cgroup provider to these; each
 * replies to req itself. vpath is the node's path below cgroup/ ("" for
 * cgroup/ itself, which ops.c answers as a static directory).
 */
void cgops_lookup(fuse_req_t req, const char *parent_vpath, const char *name);
void cgops_getattr(fuse_req_t req, fuse_ino_t ino, const char *vpath);
void cgops_readlink(fuse_req_t req, const char *vpath);
void cgops_open(fuse_req_t req, const char *vpath, struct fuse_file_info *fi);
/* A read on a handle of an earlier daemon. */
void cgops_read_foreign(fuse_req_t req, const char *vpath, size_t size, off_t off);
void cgops_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		 struct fuse_file_info *fi);
void cgops_access(fuse_req_t req, const char *vpath, int mask);
void cgops_setattr(fuse_req_t req, fuse_ino_t ino, const char *vpath, struct stat *attr,
		   int to_set);
void cgops_mkdir(fuse_req_t req, const char *parent_vpath, const char *name, mode_t mode);
void cgops_rmdir(fuse_req_t req, const char *parent_vpath, const char *name);

struct dirlist;
/* The listing of directory vpath for the reader of req. */
int cgops_list(fuse_req_t req, const char *vpath, struct dirlist *l);
