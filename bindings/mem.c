/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "burrow.h"
#include "fileio.h"
#include "macro.h"

/*
 * v1 says "no limit" with PAGE_COUNTER_MAX pages: LONG_MAX rounded down to
 * the page size (9223372036854771712 with 4 KiB pages, a little less with
 * 64 KiB ones). No machine has 4 EiB, so anything this large is no limit. It
 * must become UINT64_MAX here: memsw - limit of two "unlimited" values would
 * otherwise read as "no swap at all".
 */
#define UNLIMITED_FLOOR (UINT64_C(1) << 62)

static uint64_t limit_norm(uint64_t v)
{
	return v >= UNLIMITED_FLOOR ? UINT64_MAX : v;
}

/* The container's own file: a cgroup that vanished gives -ENODATA. */
static int leaf_u64(int root_fd, const struct burrow_cgpath *p, const char *file, uint64_t *ret)
{
	char path[4096];
	int r;

	r = cg_file(p, file, path, sizeof(path));
	if (r < 0)
		return r;
	return read_u64_at(root_fd, path, ret);
}

static int min_limit(int root_fd, const struct burrow_cgpath *p, const char *file, uint64_t *ret)
{
	uint64_t v;
	int r;

	r = cg_min_u64(root_fd, p, file, &v);
	if (r < 0)
		return r;
	*ret = limit_norm(v);
	return 0;
}

/*
 * memsw counts memory plus swap, per level. Each level has limit <= memsw,
 * so the tightest memsw minus the tightest limit is the swap left over.
 */
static int gather_v1(int root_fd, const struct burrow_cgpath *p, struct burrow_mem *m)
{
	uint64_t memsw_usage, memsw_limit;
	int r;

	r = min_limit(root_fd, p, "memory.limit_in_bytes", &m->limit);
	if (r < 0)
		return r;

	/* No memsw files: a kernel built without swap accounting, or swapaccount=0. */
	r = leaf_u64(root_fd, p, "memory.memsw.usage_in_bytes", &memsw_usage);
	if (r == -ENODATA) {
		m->swap_limit = 0;
		return 0;
	}
	if (r < 0)
		return r;
	r = min_limit(root_fd, p, "memory.memsw.limit_in_bytes", &memsw_limit);
	if (r < 0)
		return r;
	m->swap_accounted = true;
	m->swap_limit = memsw_limit == UINT64_MAX ? UINT64_MAX : SUB_SAT(memsw_limit, m->limit);
	m->swap_usage = SUB_SAT(memsw_usage, m->usage);
	return 0;
}

static int gather_v2(int root_fd, const struct burrow_cgpath *p, struct burrow_mem *m)
{
	int r;

	r = min_limit(root_fd, p, "memory.max", &m->limit);
	if (r < 0)
		return r;

	/* No memory.swap.* files: the kernel does not account swap (swapaccount=0). */
	r = leaf_u64(root_fd, p, "memory.swap.current", &m->swap_usage);
	if (r == -ENODATA) {
		m->swap_limit = m->swap_usage = 0;
		return 0;
	}
	if (r < 0)
		return r;
	r = min_limit(root_fd, p, "memory.swap.max", &m->swap_limit);
	if (r < 0)
		return r;
	m->swap_accounted = true;
	return 0;
}

/*
 * memory.stat keys by interface. v1 has no slab, kernel stack or page table
 * keys (memcg1_stat_format never printed them), so those stay 0 there rather
 * than borrowing the host's figures, which could exceed the container's total.
 */
static const struct {
	const char *v1, *v2;
	size_t off;
} stat_keys[] = {
	{ "rss", "anon", offsetof(struct burrow_mem, anon) },
	{ "cache", "file", offsetof(struct burrow_mem, file) },
	{ "shmem", "shmem", offsetof(struct burrow_mem, shmem) },
	{ "mapped_file", "file_mapped", offsetof(struct burrow_mem, mapped) },
	{ "dirty", "file_dirty", offsetof(struct burrow_mem, dirty) },
	{ "writeback", "file_writeback", offsetof(struct burrow_mem, writeback) },
	{ "active_anon", "active_anon", offsetof(struct burrow_mem, active_anon) },
	{ "inactive_anon", "inactive_anon", offsetof(struct burrow_mem, inactive_anon) },
	{ "active_file", "active_file", offsetof(struct burrow_mem, active_file) },
	{ "inactive_file", "inactive_file", offsetof(struct burrow_mem, inactive_file) },
	{ "unevictable", "unevictable", offsetof(struct burrow_mem, unevictable) },
	{ NULL, "slab_reclaimable", offsetof(struct burrow_mem, slab_reclaimable) },
	{ NULL, "slab_unreclaimable", offsetof(struct burrow_mem, slab_unreclaimable) },
	{ NULL, "kernel_stack", offsetof(struct burrow_mem, kernel_stack) },
	{ NULL, "pagetables", offsetof(struct burrow_mem, pagetables) },
	{ "swapcached", "swapcached", offsetof(struct burrow_mem, swapcached) },
};

/*
 * v1's total_* keys include the descendants (the container's own processes
 * usually sit in child cgroups); the bare key is the cgroup's alone and is
 * the fallback. A key the kernel does not have counts as 0.
 */
static int stat_value(const char *stat, const char *key, bool v1, uint64_t *ret)
{
	int r = -ENODATA;

	if (v1) {
		char total[64];

		snprintf(total, sizeof(total), "total_%s", key);
		r = keyval_u64(stat, total, ret);
	}
	if (r == -ENODATA)
		r = keyval_u64(stat, key, ret);
	if (r == -ENODATA) {
		*ret = 0;
		return 0;
	}
	return r;
}

static int parse_stat(const char *stat, bool v2, struct burrow_mem *m)
{
	for (size_t i = 0; i < ELEMENTSOF(stat_keys); i++) {
		const char *key = v2 ? stat_keys[i].v2 : stat_keys[i].v1;
		uint64_t *field = (uint64_t *)((char *)m + stat_keys[i].off);
		int r;

		if (!key)
			continue;
		r = stat_value(stat, key, !v2, field);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Limits, swap and memory.stat of the cgroup at p, whose usage is already in m. */
static int gather_cgroup(int root_fd, const struct burrow_cgpath *p, struct burrow_mem *m)
{
	_cleanup_free_ char *stat = NULL;
	char path[4096];
	int r;

	r = p->v2 ? gather_v2(root_fd, p, m) : gather_v1(root_fd, p, m);
	if (r < 0)
		return r;
	r = cg_file(p, "memory.stat", path, sizeof(path));
	if (r < 0)
		return r;
	r = read_full_at(root_fd, path, &stat, NULL);
	if (r < 0)
		return r;
	return parse_stat(stat, p->v2, m);
}

int burrow_mem_cgroup(int root_fd, const struct burrow_container *c, char *buf, size_t size,
		      struct burrow_cgpath *ret)
{
	const struct burrow_cgpath *p = &c->cg[BURROW_CG_MEMORY];
	const char *usage_file;

	/*
	 * No memory hierarchy, or a container in its root cgroup: the whole
	 * machine is its limit (and the v2 root has no memory.current anyway).
	 */
	if (!p->path || strlen(p->path) <= p->mount_len)
		return 0;
	usage_file = p->v2 ? "memory.current" : "memory.usage_in_bytes";
	return cg_nearest_with(root_fd, p, usage_file, buf, size, ret);
}

int burrow_gather_mem(int root_fd, const struct burrow_container *c, struct burrow_mem *ret)
{
	struct burrow_mem m = { .limit = UINT64_MAX, .swap_limit = UINT64_MAX, .host = true };
	struct burrow_cgpath p;
	char buf[4096];
	int r;

	r = burrow_mem_cgroup(root_fd, c, buf, sizeof(buf), &p);
	if (r <= 0) {
		if (r == 0)
			*ret = m;
		return r;
	}
	r = leaf_u64(root_fd, &p, p.v2 ? "memory.current" : "memory.usage_in_bytes", &m.usage);
	if (r < 0)
		return r;
	m.host = false;
	r = gather_cgroup(root_fd, &p, &m);
	if (r < 0)
		return r;
	*ret = m;
	return 0;
}
