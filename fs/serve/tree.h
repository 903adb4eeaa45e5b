/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "fuse-ll.h"
#include "vfile.h"

struct daemon;
struct ctr;

/*
 * The tree has two halves.
 *
 * Static nodes have fixed inode numbers: the directories down to
 * sys/devices/system/cpu and every rendered file (the served table's,
 * bindings/served.h), whose inode is vfile_ino() of its enum vfile. They
 * never change, so the kernel may cache their entries for long. Dynamic
 * nodes are numbered from INO_DYNAMIC up, as every earlier daemon numbered
 * them: one that takes over a connection (an upgrade) keeps the numbers its
 * predecessor handed out, so no number may ever change meaning. Files added
 * to the table after the first VF_EARLY_N take theirs from INO_LATE0 on,
 * a block that dynamic numbering skips.
 *
 * A static directory may also have a provider: its other children, and
 * everything below them, pass through a host directory. Those nodes get
 * inode numbers on lookup, keyed by their path below the provider's root,
 * and are freed when the kernel forgets them. sys/devices/system/cpu has
 * the sysfs CPU provider, a read-only passthrough; cgroup/ has the cgroup
 * provider, which serves its own operations through struct provider_ops.
 */
enum {
	INO_ROOT = FUSE_ROOT_ID,
	INO_PROC,
	INO_PROC_PRESSURE,
	INO_SYS,
	INO_SYS_DEVICES,
	INO_SYS_SYSTEM,
	INO_SYS_CPU,
	INO_CGROUP,
	INO_FILE0,
	INO_DYNAMIC = INO_FILE0 + VF_EARLY_N,
};

/*
 * Below 2^32, so that a 32-bit program's stat() of a late file does not
 * fail with EOVERFLOW; dynamic numbering skips the INO_LATE_SPAN held here.
 */
#define INO_LATE0     ((fuse_ino_t)0xffff0000)
#define INO_LATE_SPAN ((fuse_ino_t)0x10000)
/* Static nodes, as snode_get() numbers its slots: the early ones, then the late files. */
#define SNODES_N      ((size_t)INO_DYNAMIC + (_VF_MAX - VF_EARLY_N))

static inline bool ino_is_static(fuse_ino_t ino)
{
	return ino < INO_DYNAMIC || (ino >= INO_LATE0 && ino - INO_LATE0 < _VF_MAX - VF_EARLY_N);
}

static inline fuse_ino_t vfile_ino(enum vfile k)
{
	return k < VF_EARLY_N ? INO_FILE0 + (fuse_ino_t)k
			      : INO_LATE0 + (fuse_ino_t)(k - VF_EARLY_N);
}

/* The inode of static slot i (0 < i < SNODES_N). */
static inline fuse_ino_t snode_slot_ino(size_t i)
{
	return i < INO_DYNAMIC ? (fuse_ino_t)i : INO_LATE0 + (fuse_ino_t)(i - INO_DYNAMIC);
}

struct dirlist;
struct journal;

/* Provider ids as the journal records them: never renumber one. */
enum {
	PROVIDER_SYSFS_CPU = 1,
	PROVIDER_CGROUP = 2,
};

struct dirlist;

/*
 * Operations a provider serves itself, each optional. ops.c hands a request
 * on one of the provider's nodes to its hook when it has one, and serves it
 * as a read-only passthrough of map()'s host path when not. A hook replies
 * to req itself. vpath is the node's path below the provider's root: ""
 * for the root, which gets open, read_foreign, mkdir, rmdir and list only
 * (ops.c answers the rest for it as a static directory).
 */
struct provider_ops {
	void (*lookup)(fuse_req_t req, const char *parent_vpath, const char *name);
	void (*getattr)(fuse_req_t req, fuse_ino_t ino, const char *vpath);
	void (*readlink)(fuse_req_t req, const char *vpath);
	void (*open)(fuse_req_t req, const char *vpath, struct fuse_file_info *fi);
	/* A read on a handle of an earlier daemon. */
	void (*read_foreign)(fuse_req_t req, const char *vpath, size_t size, off_t off);
	void (*write)(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi);
	void (*access)(fuse_req_t req, const char *vpath, int mask);
	void (*setattr)(fuse_req_t req, fuse_ino_t ino, const char *vpath, struct stat *attr,
			int to_set);
	void (*mkdir)(fuse_req_t req, const char *parent_vpath, const char *name, mode_t mode);
	void (*rmdir)(fuse_req_t req, const char *parent_vpath, const char *name);
	/* The listing of directory vpath for the reader of req; ops.c replies. */
	int (*list)(fuse_req_t req, const char *vpath, struct dirlist *l);
};

struct provider {
	unsigned id;
	const struct provider_ops *ops; /* NULL: a passthrough only */
	/*
	 * Host path (relative to the root fd) of vpath, as reader x sees it.
	 * -ENOENT when x may not see it.
	 */
	int (*map)(struct daemon *d, struct ctr *x, const char *vpath, char *buf, size_t size);
	/* Listing of the provider's root for reader x (static names excluded). */
	int (*list_root)(struct daemon *d, struct ctr *x, struct dirlist *l);
	/* Whether attributes and entries of vpath may be cached: the same for every reader. */
	bool (*shared)(const char *vpath);
};

extern const struct provider sysfs_cpu_provider;
/* cgroup/: the reader's own cgroups, read and written through (cgroup-ops.c). */
extern const struct provider cgroup_provider;

struct snode {
	fuse_ino_t parent;
	const char *name;
	int vfile; /* -1 for a directory */
	const struct provider *provider;
};

/*
 * Hangs the rendered files of the served table (bindings/served.h) into the
 * tree, once, before the first request. -EINVAL: the table names a directory
 * the tree lacks, a file twice, or misses a renderer.
 */
int snodes_init(void);
/* NULL when ino is not static. */
const struct snode *snode_get(fuse_ino_t ino);
/* Static child of a static directory; 0 when none. */
fuse_ino_t snode_child(fuse_ino_t parent, const char *name);
/* Host path of a rendered file, read for host readers. */
const char *vfile_host_path(enum vfile k);

/* ---- dynamic nodes ------------------------------------------------------- */

struct dnode;

struct nodes {
	pthread_mutex_t lock;
	fuse_ino_t next_ino;
	struct dnode **by_ino, **by_path;
	size_t nbuckets;
	size_t n;
	struct journal *journal; /* NULL: nothing outlives this process */
};

int nodes_init(struct nodes *t);
void nodes_done(struct nodes *t);
/*
 * Takes over the nodes a previous daemon left in the journal (the kernel
 * still holds their nodeids) and records every change there from now on.
 */
int nodes_attach(struct nodes *t, struct journal *j);
/* Finds or creates the node of vpath and counts one kernel lookup of it. */
int nodes_lookup(struct nodes *t, const struct provider *p, const char *vpath, fuse_ino_t *ret);
/*
 * Copies the node's vpath into buf. -ESTALE for an inode no daemon knows
 * (the journal was full or lost): the kernel then looks its path up again.
 */
int nodes_path(struct nodes *t, fuse_ino_t ino, char *buf, size_t size,
	       const struct provider **ret_provider);
void nodes_forget(struct nodes *t, fuse_ino_t ino, uint64_t nlookup);
/* How many dynamic nodes some kernel holds now. */
size_t nodes_count(struct nodes *t);

/* ---- directory listings -------------------------------------------------- */

struct dirent_entry {
	char *name;
	mode_t type; /* S_IFDIR, S_IFREG, S_IFLNK; 0: unknown */
};

/* A directory's entries, fixed at opendir so every readdir offset is stable. */
struct dirlist {
	struct dirent_entry *e;
	size_t n, cap;
};

int dirlist_add(struct dirlist *l, const char *name, mode_t type);
/* Every entry of the host directory path (root fd relative), filtered by keep. */
int dirlist_add_host(struct dirlist *l, int root_fd, const char *path,
		     bool (*keep)(const char *name, void *userdata), void *userdata);
void dirlist_free(struct dirlist *l);
