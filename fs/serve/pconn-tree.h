/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fuse-ll.h"

struct dirlist;
struct pconn;
struct provider;
struct stat;

/*
 * What a per-container connection serves besides its rendered files: the
 * nodes below sys/devices/system/cpu (pconn-sys.c) and the cgroup tree
 * (pconn-cgroup.c, cgroup-ops.c), numbered from the daemon's one node table
 * and counted per connection (pconn-nodes.c).
 */

/* Finds or makes the node of vpath, counting one lookup by c's kernel. */
int pconn_node_lookup(struct pconn *c, const struct provider *p, const char *vpath,
		      fuse_ino_t *ret);
/* c's kernel forgot n lookups of ino (never more than it was given). */
void pconn_node_forget(struct pconn *c, fuse_ino_t ino, uint64_t n);
/*
 * FORGET of either kind of connection (its userdata the struct pconn):
 * static nodes have nothing to forget, dynamic ones give back what this
 * connection's kernel was given.
 */
void pconn_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void pconn_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets);
/* Drops the attributes c's kernel holds of every dynamic node it looked up. */
void pconn_inval_held(struct pconn *c);

/*
 * reply.h's policy for a connection's requests (their userdata is the
 * connection, not the daemon): a plain errno goes back as it is; the
 * daemon's own trouble is EIO (ENOMEM as it is), logged rate-limited.
 * pconn_reply_fail() is always the daemon's trouble (a render failed).
 */
void pconn_reply_err(fuse_req_t req, struct pconn *c, int r, const char *what);
void pconn_reply_fail(fuse_req_t req, struct pconn *c, int r, const char *what);

/*
 * sys/devices/system/cpu. vpath is a node's path below it, in the host's
 * numbering ("cpu3/topology"): a node is the host's object, so a container
 * whose cpuset changes meets a new inode, never stale pages of an old one.
 */
void pconn_sys_lookup(fuse_req_t req, struct pconn *c, const char *parent_vpath, const char *name);
void pconn_sys_getattr(fuse_req_t req, struct pconn *c, fuse_ino_t ino, const char *vpath);
void pconn_sys_read(fuse_req_t req, struct pconn *c, const char *vpath, size_t size, off_t off);
void pconn_sys_readlink(fuse_req_t req, struct pconn *c, const char *vpath);
/* The listing of directory vpath ("": the cpu directory's own entries besides online &c). */
int pconn_sys_list(struct pconn *c, const char *vpath, struct dirlist *l);
/* The cpu directory's attributes: its mtime follows the CPU count, which its listing shows. */
void pconn_sys_cpu_dir_attr(struct pconn *c, struct stat *st);
