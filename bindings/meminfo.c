/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "burrow.h"
#include "macro.h"

#define KIB 1024

/*
 * The rules behind every number here:
 *
 *  - the container's figure comes from its cgroup (struct burrow_mem);
 *  - memory figures never exceed MemTotal and swap figures never exceed
 *    SwapTotal, so free never exceeds total and subtraction saturates at 0;
 *  - no figure exceeds the host's value on the same line: the container's
 *    memory is part of the host's, and a limit the host cannot back (an
 *    unlimited cgroup, a free figure larger than the host has free) shows
 *    what the host really has.
 */

/* A host meminfo figure in bytes; a line the host lacks reads as 0. */
static uint64_t host_value(const char *host, const char *key)
{
	uint64_t kb;

	if (keyval_u64(host, key, &kb) < 0)
		return 0;
	return mul_sat(kb, KIB);
}

struct swap_figures {
	uint64_t total, free; /* bytes */
	bool on;
};

static struct swap_figures swap_figures(const struct burrow_mem *m, const char *host,
					const struct burrow_opts *o)
{
	uint64_t host_total = host_value(host, "SwapTotal");
	uint64_t host_free = MIN(host_value(host, "SwapFree"), host_total);
	struct swap_figures s = { 0 };

	/* -u, or a kernel that does not charge swap to cgroups: no swap to show. */
	if (!o->swap || (!m->host && !m->swap_accounted))
		return s;
	s.on = true;
	if (m->host) {
		s.total = host_total;
		s.free = host_free;
		return s;
	}
	s.total = MIN(m->swap_limit, host_total);
	s.free = MIN(SUB_SAT(s.total, m->swap_usage), host_free);
	return s;
}

struct line_value {
	const char *key;
	uint64_t bytes;
};

#define N_VALUES 32

struct values {
	struct line_value v[N_VALUES];
	size_t n;
};

static void values_add(struct values *vs, const char *key, uint64_t bytes)
{
	if (vs->n < N_VALUES)
		vs->v[vs->n++] = (struct line_value){ key, bytes };
}

static void swap_values(struct values *vs, const struct burrow_mem *m, const struct swap_figures *s)
{
	values_add(vs, "SwapTotal", s->total);
	values_add(vs, "SwapFree", s->free);
	values_add(vs, "SwapCached", s->on ? MIN(m->swapcached, s->total) : 0);
}

static void mem_values(struct values *vs, const struct burrow_mem *m, uint64_t total)
{
	uint64_t mem_free = SUB_SAT(total, m->usage);
	uint64_t reclaimable =
		add_sat(add_sat(m->active_file, m->inactive_file), m->slab_reclaimable);

	values_add(vs, "MemTotal", total);
	values_add(vs, "MemFree", mem_free);
	values_add(vs, "MemAvailable", MIN(add_sat(mem_free, reclaimable), total));
	/* Buffers are block-device page cache, charged to no cgroup. */
	values_add(vs, "Buffers", 0);
	values_add(vs, "Cached", MIN(m->file, total));
	values_add(vs, "Active", MIN(add_sat(m->active_anon, m->active_file), total));
	values_add(vs, "Inactive", MIN(add_sat(m->inactive_anon, m->inactive_file), total));
	values_add(vs, "Active(anon)", MIN(m->active_anon, total));
	values_add(vs, "Inactive(anon)", MIN(m->inactive_anon, total));
	values_add(vs, "Active(file)", MIN(m->active_file, total));
	values_add(vs, "Inactive(file)", MIN(m->inactive_file, total));
	values_add(vs, "Unevictable", MIN(m->unevictable, total));
	values_add(vs, "Dirty", MIN(m->dirty, total));
	values_add(vs, "Writeback", MIN(m->writeback, total));
	values_add(vs, "AnonPages", MIN(m->anon, total));
	values_add(vs, "Mapped", MIN(m->mapped, total));
	values_add(vs, "Shmem", MIN(m->shmem, total));
	/* Reclaimable kernel memory a cgroup is charged for is its reclaimable slab. */
	values_add(vs, "KReclaimable", MIN(m->slab_reclaimable, total));
	values_add(vs, "Slab", MIN(add_sat(m->slab_reclaimable, m->slab_unreclaimable), total));
	values_add(vs, "SReclaimable", MIN(m->slab_reclaimable, total));
	values_add(vs, "SUnreclaim", MIN(m->slab_unreclaimable, total));
	values_add(vs, "KernelStack", MIN(m->kernel_stack, total));
	values_add(vs, "PageTables", MIN(m->pagetables, total));
}

static const struct line_value *values_find(const struct values *vs, const char *key, size_t len)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strncmp(vs->v[i].key, key, len) == 0 && vs->v[i].key[len] == '\0')
			return &vs->v[i];
	return NULL;
}

/* One host line, either as the host has it or with the container's figure. */
static void render_line(const struct values *vs, const char *line, size_t len, struct strbuf *out)
{
	const char *colon = memchr(line, ':', len);
	const struct line_value *v = NULL;
	uint64_t host_kb = 0;

	if (colon) {
		const char *p = colon + 1;

		v = values_find(vs, line, (size_t)(colon - line));
		if (v && parse_u64_prefix(&p, &host_kb) < 0)
			v = NULL;
	}
	if (!v) {
		strbuf_append(out, line, len);
		strbuf_puts(out, "\n");
		return;
	}
	/* show_val_kb(): the label padded to 16 columns, the number to 8. */
	strbuf_printf(out, "%-16.*s%8" PRIu64 " kB\n", (int)(colon - line + 1), line,
		      MIN(v->bytes, mul_sat(host_kb, KIB)) / KIB);
}

/* The container's figures for the host's lines; -EINVAL when the host shows no MemTotal. */
static int meminfo_values(const struct burrow_mem *m, const char *host_meminfo,
			  const struct burrow_opts *o, struct values *vs)
{
	struct swap_figures s = swap_figures(m, host_meminfo, o);
	uint64_t host_total;

	vs->n = 0;
	if (keyval_u64(host_meminfo, "MemTotal", &host_total) < 0)
		return -EINVAL;
	/* The host's own figures stand, apart from swap hidden by -u. */
	if (!m->host)
		mem_values(vs, m, MIN(m->limit, mul_sat(host_total, KIB)));
	if (!m->host || !s.on)
		swap_values(vs, m, &s);
	return 0;
}

int burrow_render_meminfo(const struct burrow_mem *m, const char *host_meminfo,
			  const struct burrow_opts *o, struct strbuf *out)
{
	struct values vs;
	int r;

	r = meminfo_values(m, host_meminfo, o, &vs);
	if (r < 0)
		return r;
	for (const char *line = host_meminfo; *line;) {
		size_t len = strcspn(line, "\n");

		render_line(&vs, line, len, out);
		line += len;
		if (*line == '\n')
			line++;
	}
	return strbuf_error(out);
}

/* The figure render_line() prints for key, in bytes; -ENODATA when the host has no such line. */
static int shown_bytes(const struct values *vs, const char *host_meminfo, const char *key,
		       uint64_t *ret)
{
	const struct line_value *v = values_find(vs, key, strlen(key));
	uint64_t host_kb;

	if (keyval_u64(host_meminfo, key, &host_kb) < 0)
		return -ENODATA;
	*ret = (v ? MIN(v->bytes, mul_sat(host_kb, KIB)) / KIB : host_kb) * KIB;
	return 0;
}

int burrow_meminfo_figures(const struct burrow_mem *m, const char *host_meminfo,
			   const struct burrow_opts *o, struct burrow_meminfo *ret)
{
	struct burrow_meminfo f = { 0 };
	struct values vs;
	int r;

	r = meminfo_values(m, host_meminfo, o, &vs);
	if (r < 0)
		return r;
	if (shown_bytes(&vs, host_meminfo, "MemTotal", &f.total) < 0 ||
	    shown_bytes(&vs, host_meminfo, "MemFree", &f.free) < 0)
		return -EINVAL;
	/* Lines a kernel may lack read as 0, as si_meminfo() would have none. */
	(void)shown_bytes(&vs, host_meminfo, "Shmem", &f.shared);
	(void)shown_bytes(&vs, host_meminfo, "Buffers", &f.buffers);
	(void)shown_bytes(&vs, host_meminfo, "SwapTotal", &f.swap_total);
	(void)shown_bytes(&vs, host_meminfo, "SwapFree", &f.swap_free);
	*ret = f;
	return 0;
}

int burrow_render_swaps(const struct burrow_mem *m, const char *host_meminfo,
			const struct burrow_opts *o, struct strbuf *out)
{
	struct swap_figures s = swap_figures(m, host_meminfo, o);
	uint64_t size = s.total / KIB, used = size - s.free / KIB;

	strbuf_puts(out, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	/*
	 * The container's swap is a share of the host's areas, not one of
	 * them: one line, "none" of type "virtual", in swap_show()'s columns
	 * (name padded to 40, an extra tab after numbers under 10000000).
	 */
	if (size > 0)
		strbuf_printf(out, "%-40s%s\t%" PRIu64 "\t%s%" PRIu64 "\t%s%d\n", "none",
			      "virtual\t", size, size < 10000000 ? "\t" : "", used,
			      used < 10000000 ? "\t" : "", 0);
	return strbuf_error(out);
}
