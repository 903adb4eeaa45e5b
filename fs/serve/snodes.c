/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "served.h"
#include "tree.h"

#define DIR_NODE(i, p, n) [i] = { .parent = (p), .name = (n), .vfile = -1 }

/*
 * The directories are the daemon's own (their inode numbers, the providers
 * behind them, cgroup/). The files are not listed here: snodes_init() hangs
 * each rendered file of the served table below its directory, so the tree
 * serves exactly the files the hooks and the launcher bind.
 */
static struct snode snodes[SNODES_N] = {
	[INO_ROOT] = { .parent = INO_ROOT, .name = "", .vfile = -1 },
	DIR_NODE(INO_PROC, INO_ROOT, "proc"),
	DIR_NODE(INO_PROC_PRESSURE, INO_PROC, "pressure"),
	DIR_NODE(INO_SYS, INO_ROOT, "sys"),
	DIR_NODE(INO_SYS_DEVICES, INO_SYS, "devices"),
	DIR_NODE(INO_SYS_SYSTEM, INO_SYS_DEVICES, "system"),
	[INO_SYS_CPU] = { .parent = INO_SYS_SYSTEM,
			  .name = "cpu",
			  .vfile = -1,
			  .provider = &sysfs_cpu_provider },
	[INO_CGROUP] = { .parent = INO_ROOT,
			 .name = "cgroup",
			 .vfile = -1,
			 .provider = &cgroup_provider },
};

static size_t slot(fuse_ino_t ino)
{
	return ino < INO_DYNAMIC ? (size_t)ino : INO_DYNAMIC + (size_t)(ino - INO_LATE0);
}

const struct snode *snode_get(fuse_ino_t ino)
{
	if (ino < INO_ROOT || !ino_is_static(ino))
		return NULL;
	return &snodes[slot(ino)];
}

fuse_ino_t snode_child(fuse_ino_t parent, const char *name)
{
	for (size_t i = INO_ROOT + 1; i < SNODES_N; i++)
		if (snodes[i].name && snodes[i].parent == parent &&
		    strcmp(snodes[i].name, name) == 0)
			return snode_slot_ino(i);
	return 0;
}

const char *vfile_host_path(enum vfile k)
{
	return burrow_served_vfile(k)->path;
}

/* The static directory at the first len bytes of path; 0 when there is none. */
static fuse_ino_t static_dir(const char *path, size_t len)
{
	fuse_ino_t ino = INO_ROOT;
	char name[64];

	for (size_t i = 0; i < len && ino;) {
		size_t n = strcspn(path + i, "/");

		if (n > len - i)
			n = len - i;
		if (n >= sizeof(name))
			return 0;
		memcpy(name, path + i, n);
		name[n] = '\0';
		ino = snode_child(ino, name);
		if (ino && snode_get(ino)->vfile >= 0)
			return 0;
		i += n + 1;
	}
	return ino;
}

int snodes_init(void)
{
	for (size_t i = 0; i < BURROW_SERVED_N; i++) {
		const struct burrow_served *e = &burrow_served[i];
		const char *slash = strrchr(e->path, '/');
		fuse_ino_t dir, ino, have;

		if (e->type == S_IFDIR) {
			/* A bound directory passes through: it needs its provider. */
			dir = static_dir(e->path, strlen(e->path));
			if (e->vfile != VF_PASSTHROUGH_DIR || !dir || !snodes[dir].provider)
				return -EINVAL;
			continue;
		}
		if (e->type != S_IFREG || !slash || e->vfile < 0 || e->vfile >= _VF_MAX)
			return -EINVAL;
		dir = static_dir(e->path, (size_t)(slash - e->path));
		/* The same inode in every daemon: a restart keeps it. */
		ino = vfile_ino((enum vfile)e->vfile);
		have = dir ? snode_child(dir, slash + 1) : 0;
		if (!dir || (have && have != ino) || (snodes[slot(ino)].name && have != ino))
			return -EINVAL;
		snodes[slot(ino)] =
			(struct snode){ .parent = dir, .name = slash + 1, .vfile = e->vfile };
	}
	for (size_t i = INO_FILE0; i < SNODES_N; i++)
		if (!snodes[i].name)
			return -EINVAL;
	return 0;
}
