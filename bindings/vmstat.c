/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "burrow.h"
#include "fileio.h"
#include "macro.h"

/*
 * /proc/vmstat for a container. The kernel keeps a memory cgroup's own copy
 * of many of vmstat's counters and shows them in memory.stat (v2 names most
 * of them as vmstat does; v1 a few, with total_* for the subtree) and
 * memory.events (oom_kill). Those lines get the cgroup's value. Every other
 * line keeps the host's value: the kernel counts it for the whole machine
 * only (pgalloc_*, pgfree, numa_*, compact_*, the dirty thresholds), or the
 * running kernel's cgroup interface does not show it (v1 has no pgscan, and
 * memory.stat gained keys over the years). That is a choice, not a
 * fallback: tools such as vmstat, sar and procps parse a fixed set of
 * lines, and a line left out, or a made-up 0, breaks them or lies as much.
 * The host's line order and full set of lines are kept.
 */

enum unit {
	EVENTS, /* a count, as it is */
	PAGES,	/* bytes in memory.stat, pages in vmstat */
	KIB,	/* bytes in memory.stat, kB in vmstat (nr_kernel_stack) */
	THPS,	/* bytes in memory.stat, huge pages in vmstat */
};

/*
 * vmstat line, v2 memory.stat key, v1 memory.stat key (NULL: none). v1's
 * pgpgin/pgpgout count charge events, not the kB paged in and out that
 * vmstat's are (vmstat's bi/bo columns): they are not the same counter.
 */
static const struct {
	const char *name, *v2, *v1;
	enum unit unit;
	const char *zone; /* the per-zone line of the same count, or NULL */
} map[] = {
	/* The LRU lists, also as one zone's lines: a cgroup's pages are not split by zone. */
	{ "nr_inactive_anon", "inactive_anon", "inactive_anon", PAGES, "nr_zone_inactive_anon" },
	{ "nr_active_anon", "active_anon", "active_anon", PAGES, "nr_zone_active_anon" },
	{ "nr_inactive_file", "inactive_file", "inactive_file", PAGES, "nr_zone_inactive_file" },
	{ "nr_active_file", "active_file", "active_file", PAGES, "nr_zone_active_file" },
	{ "nr_unevictable", "unevictable", "unevictable", PAGES, "nr_zone_unevictable" },
	{ "nr_slab_reclaimable", "slab_reclaimable", NULL, PAGES },
	{ "nr_slab_unreclaimable", "slab_unreclaimable", NULL, PAGES },
	{ "workingset_refault_anon", "workingset_refault_anon", "workingset_refault_anon", EVENTS },
	{ "workingset_refault_file", "workingset_refault_file", "workingset_refault_file", EVENTS },
	{ "workingset_activate_anon", "workingset_activate_anon", "workingset_activate_anon",
	  EVENTS },
	{ "workingset_activate_file", "workingset_activate_file", "workingset_activate_file",
	  EVENTS },
	{ "workingset_restore_anon", "workingset_restore_anon", "workingset_restore_anon", EVENTS },
	{ "workingset_restore_file", "workingset_restore_file", "workingset_restore_file", EVENTS },
	{ "workingset_nodereclaim", "workingset_nodereclaim", "workingset_nodereclaim", EVENTS },
	{ "nr_anon_pages", "anon", "rss", PAGES },
	{ "nr_mapped", "file_mapped", "mapped_file", PAGES },
	{ "nr_file_pages", "file", "cache", PAGES },
	{ "nr_dirty", "file_dirty", "dirty", PAGES },
	{ "nr_writeback", "file_writeback", "writeback", PAGES },
	{ "nr_shmem", "shmem", "shmem", PAGES },
	{ "nr_shmem_hugepages", "shmem_thp", NULL, THPS },
	{ "nr_file_hugepages", "file_thp", NULL, THPS },
	{ "nr_anon_transparent_hugepages", "anon_thp", "rss_huge", THPS },
	{ "nr_kernel_stack", "kernel_stack", NULL, KIB },
	{ "nr_page_table_pages", "pagetables", NULL, PAGES },
	{ "nr_sec_page_table_pages", "sec_pagetables", NULL, PAGES },
	{ "nr_swapcached", "swapcached", "swapcached", PAGES },
	{ "pswpin", "pswpin", NULL, EVENTS },
	{ "pswpout", "pswpout", NULL, EVENTS },
	{ "pgactivate", "pgactivate", NULL, EVENTS },
	{ "pgdeactivate", "pgdeactivate", NULL, EVENTS },
	{ "pglazyfree", "pglazyfree", NULL, EVENTS },
	{ "pgfault", "pgfault", "pgfault", EVENTS },
	{ "pgmajfault", "pgmajfault", "pgmajfault", EVENTS },
	{ "pglazyfreed", "pglazyfreed", NULL, EVENTS },
	{ "pgrefill", "pgrefill", NULL, EVENTS },
	{ "pgsteal_kswapd", "pgsteal_kswapd", NULL, EVENTS },
	{ "pgsteal_direct", "pgsteal_direct", NULL, EVENTS },
	{ "pgsteal_khugepaged", "pgsteal_khugepaged", NULL, EVENTS },
	{ "pgscan_kswapd", "pgscan_kswapd", NULL, EVENTS },
	{ "pgscan_direct", "pgscan_direct", NULL, EVENTS },
	{ "pgscan_khugepaged", "pgscan_khugepaged", NULL, EVENTS },
	{ "zswpin", "zswpin", NULL, EVENTS },
	{ "zswpout", "zswpout", NULL, EVENTS },
	{ "zswpwb", "zswpwb", NULL, EVENTS },
	{ "thp_fault_alloc", "thp_fault_alloc", NULL, EVENTS },
	{ "thp_collapse_alloc", "thp_collapse_alloc", NULL, EVENTS },
	{ "thp_swpout", "thp_swpout", NULL, EVENTS },
	{ "thp_swpout_fallback", "thp_swpout_fallback", NULL, EVENTS },
};

static void vmstat_add(struct burrow_vmstat *v, const char *name, uint64_t value)
{
	if (v->n < ELEMENTSOF(v->v))
		v->v[v->n++] = (struct burrow_vmstat_value){ name, value };
}

static const struct burrow_vmstat_value *find_value(const struct burrow_vmstat *v, const char *name,
						    size_t len)
{
	for (size_t i = 0; i < v->n; i++)
		if (strncmp(v->v[i].name, name, len) == 0 && v->v[i].name[len] == '\0')
			return &v->v[i];
	return NULL;
}

/* v1's total_* counts the descendants too, where the container's tasks live. */
static int stat_key(const char *stat, const char *key, bool v1, uint64_t *ret)
{
	char total[64];
	int r;

	if (v1) {
		snprintf(total, sizeof(total), "total_%s", key);
		r = keyval_u64(stat, total, ret);
		if (r != -ENODATA)
			return r;
	}
	return keyval_u64(stat, key, ret);
}

static uint64_t to_unit(uint64_t bytes, enum unit u, uint64_t page_size, uint64_t thp_size)
{
	switch (u) {
	case PAGES:
		return bytes / page_size;
	case KIB:
		return bytes / 1024;
	case THPS:
		return bytes / thp_size;
	default:
		return bytes;
	}
}

static int add_stat(struct burrow_vmstat *v, const char *stat, bool v1, uint64_t page_size,
		    uint64_t thp_size)
{
	const struct burrow_vmstat_value *dirty, *writeback;

	for (size_t i = 0; i < ELEMENTSOF(map); i++) {
		const char *key = v1 ? map[i].v1 : map[i].v2;
		uint64_t x;
		int r;

		/* No THP in this kernel: it has no such lines either. */
		if (!key || (map[i].unit == THPS && thp_size == 0))
			continue;
		r = stat_key(stat, key, v1, &x);
		if (r == -ENODATA)
			continue; /* not shown by this kernel: the host's line stays */
		if (r < 0)
			return r;
		x = to_unit(x, map[i].unit, page_size, thp_size);
		vmstat_add(v, map[i].name, x);
		if (map[i].zone)
			vmstat_add(v, map[i].zone, x);
	}
	/* NR_ZONE_WRITE_PENDING is dirty plus writeback pages. */
	dirty = find_value(v, "nr_dirty", strlen("nr_dirty"));
	writeback = find_value(v, "nr_writeback", strlen("nr_writeback"));
	if (dirty && writeback)
		vmstat_add(v, "nr_zone_write_pending", add_sat(dirty->value, writeback->value));
	return 0;
}

/* v2 memory.events and v1 memory.oom_control both count OOM kills for the subtree. */
static int add_oom_kill(struct burrow_vmstat *v, int root_fd, const struct burrow_cgpath *p)
{
	_cleanup_free_ char *text = NULL;
	char path[4096];
	uint64_t x;
	int r;

	r = cg_file(p, p->v2 ? "memory.events" : "memory.oom_control", path, sizeof(path));
	if (r < 0)
		return r;
	r = read_full_at(root_fd, path, &text, NULL);
	if (r == -ENODATA)
		return 0;
	if (r < 0)
		return r;
	r = keyval_u64(text, "oom_kill", &x);
	if (r == -ENODATA)
		return 0; /* before 4.13 */
	if (r < 0)
		return r;
	vmstat_add(v, "oom_kill", x);
	return 0;
}

int burrow_gather_vmstat(int root_fd, const struct burrow_container *c, uint64_t page_size,
			 struct burrow_vmstat *ret)
{
	_cleanup_free_ char *stat = NULL;
	struct burrow_vmstat v = { .n = 0 };
	struct burrow_cgpath p;
	struct burrow_mem m;
	uint64_t thp_size;
	char buf[4096], path[4096];
	int r;

	if (page_size == 0)
		return -EINVAL;
	r = burrow_gather_mem(root_fd, c, &m);
	if (r < 0)
		return r;
	if (m.host) {
		*ret = (struct burrow_vmstat){ .host = true };
		return 0;
	}
	r = burrow_mem_cgroup(root_fd, c, buf, sizeof(buf), &p);
	if (r == 0)
		r = -ENODATA; /* moved to the root since gather_mem: gone */
	if (r < 0)
		return r;
	r = cg_file(&p, "memory.stat", path, sizeof(path));
	if (r < 0)
		return r;
	r = read_full_at(root_fd, path, &stat, NULL);
	if (r < 0)
		return r;

	/* What meminfo calls MemFree, in pages; the renderer caps it at the host's. */
	vmstat_add(&v, "nr_free_pages", SUB_SAT(m.limit, m.usage) / page_size);
	if (read_u64_at(root_fd, "sys/kernel/mm/transparent_hugepage/hpage_pmd_size", &thp_size) <
	    0)
		thp_size = 0;
	r = add_stat(&v, stat, !p.v2, page_size, thp_size);
	if (r < 0)
		return r;
	r = add_oom_kill(&v, root_fd, &p);
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

int burrow_render_vmstat(const struct burrow_vmstat *v, const char *host_vmstat, struct strbuf *out)
{
	for (const char *l = host_vmstat; *l;) {
		size_t len = strcspn(l, "\n"), name_len = strcspn(l, " \n");
		const struct burrow_vmstat_value *x = v->host ? NULL : find_value(v, l, name_len);
		const char *p = l + name_len;
		uint64_t host;

		/*
		 * No line above the host's: the container's pages and events
		 * are a part of the machine's (an unlimited cgroup's free
		 * pages are the host's free pages).
		 */
		if (x && parse_u64_prefix(&p, &host) == 0)
			strbuf_printf(out, "%.*s %" PRIu64 "\n", (int)name_len, l,
				      MIN(x->value, host));
		else if (len > 0) {
			strbuf_append(out, l, len);
			strbuf_puts(out, "\n");
		}
		l += len + (l[len] == '\n');
	}
	return strbuf_error(out);
}
