/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "burrow.h"
#include "fileio.h"
#include "macro.h"

/* -ENODATA when the cgroup directory itself is gone, 0 when it is there. */
static int cg_present(int root_fd, const struct burrow_cgpath *p)
{
	if (faccessat(root_fd, p->path, F_OK, 0) < 0)
		return errno == ENOENT ? -ENODATA : -errno;
	return 0;
}

/*
 * The cgroup's own copy of a file, if it has a usable one: 1 and the text,
 * or 0 when the host's must stand in. A cgroup that vanished is an error,
 * not a reason to serve the host's file.
 */
static int cg_copy(int root_fd, const struct burrow_cgpath *p, const char *file, char **ret,
		   size_t *ret_len)
{
	_cleanup_free_ char *text = NULL;
	char path[4096];
	size_t len;
	int r;

	if (!p->path)
		return 0;
	r = cg_file(p, file, path, sizeof(path));
	if (r < 0)
		return r;
	r = read_full_at(root_fd, path, &text, &len);
	if (r == -ENODATA) {
		r = cg_present(root_fd, p);
		return r < 0 ? r : 0;
	}
	/*
	 * Unreadable (slabinfo is 0400 and the kernel may refuse it) or
	 * switched off (PSI with cgroup.pressure at 0 reads EOPNOTSUPP).
	 */
	if (r == -EACCES || r == -EPERM || r == -EOPNOTSUPP)
		return 0;
	if (r < 0)
		return r;
	if (len == 0)
		return 0;
	*ret = TAKE_PTR(text);
	if (ret_len)
		*ret_len = len;
	return 1;
}

/*
 * memory.kmem.slabinfo only exists in v1, and since Linux 5.9 (slab
 * accounting per object, not per cgroup cache) it exists but reads empty:
 * the container has no slab caches of its own to list. The host's
 * proc/slabinfo is served then, as it is for v2 and for a container without
 * a memory cgroup. The caches are shared kernel-wide, so this is the closest
 * truth there is, not a way to hide an error.
 */
int burrow_gather_slabinfo(int root_fd, const struct burrow_container *c, char **ret,
			   size_t *ret_len)
{
	const struct burrow_cgpath *p = &c->cg[BURROW_CG_MEMORY];
	int r;

	if (p->path && !p->v2) {
		r = cg_copy(root_fd, p, "memory.kmem.slabinfo", ret, ret_len);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	return read_full_at(root_fd, "proc/slabinfo", ret, ret_len);
}

/*
 * PSI lives in the v2 cgroup whether or not any controller is enabled there,
 * so hybrid hosts have it too (the unified hierarchy without controllers).
 * Kernels built without CONFIG_PSI, or booted with psi=0, have none: then the
 * host's proc/pressure file, if even that exists.
 */
int burrow_gather_pressure(int root_fd, const struct burrow_container *c, const char *resource,
			   char **ret, size_t *ret_len)
{
	char file[32], host[64];
	int r;

	if (!resource || (strcmp(resource, "cpu") != 0 && strcmp(resource, "io") != 0 &&
			  strcmp(resource, "memory") != 0))
		return -EINVAL;
	snprintf(file, sizeof(file), "%s.pressure", resource);
	r = cg_copy(root_fd, &c->cg[BURROW_CG_UNIFIED], file, ret, ret_len);
	if (r != 0)
		return r < 0 ? r : 0;
	snprintf(host, sizeof(host), "proc/pressure/%s", resource);
	return read_full_at(root_fd, host, ret, ret_len);
}
