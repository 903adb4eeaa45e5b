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
 * Static nodes have fixed inode numbers (below INO_DYNAMIC): the directories
 * down to sys/devices/system/cpu and every rendered file, whose inode is
 * INO_FILE0 + its enum vfile (the files are the served table's,
 * bindings/served.h). They never change, so the kernel may cache their
 * entries for long.
 *
 * A static directory may also have a provider: its other children, and
 * everything below them, pass through a host directory. Those nodes get
 * inode numbers on lookup, keyed by their path below the provider's root,
 * and are freed when the kernel forgets them. sys/devices/system/cpu has
 * the sysfs CPU provider; a later cgroup/ subtree plugs in the same way,
 * as a static directory with its own provider.
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
	INO_DYNAMIC = INO_FILE0 + _VF_MAX,
};

struct dirlist;
struct journal;

/* Provider ids as the journal records them: never renumber one. */
enum {
	PROVIDER_SYSFS_CPU = 1,
	PROVIDER_CGROUP = 2,
};

struct provider {
	unsigned id;
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
/* cgroup/: its own operations (cgroup-ops.h); ops.c dispatches to them. */
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
