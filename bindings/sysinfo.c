/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sysinfo.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "fileio.h"
#include "macro.h"
#include "parse.h"

/* kernel/sched/loadavg.c FSHIFT and include/uapi/linux/sysinfo.h SI_LOAD_SHIFT. */
#define FSHIFT	      11
#define SI_LOAD_SHIFT 16

/* "12345.67 ..." to whole seconds, up: do_sysinfo() adds one for any fraction. */
static int uptime_seconds(const char *uptime, uint64_t *ret)
{
	const char *p = uptime;
	uint64_t sec;
	bool frac = false;

	if (parse_u64_prefix(&p, &sec) < 0)
		return -EINVAL;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			frac |= *p != '0';
	*ret = sec + frac;
	return 0;
}

int burrow_sysinfo_fill(const struct burrow_meminfo *mem, const char *uptime,
			const unsigned long avenrun[3], uint64_t procs, struct burrow_sysinfo *ret)
{
	struct burrow_sysinfo s = {
		.totalram = mem->total,
		.freeram = mem->free,
		.sharedram = mem->shared,
		.bufferram = mem->buffers,
		.totalswap = mem->swap_total,
		.freeswap = mem->swap_free,
		.procs = procs,
	};
	int r;

	r = uptime_seconds(uptime, &s.uptime);
	if (r < 0)
		return r;
	for (int i = 0; i < 3; i++)
		s.loads[i] = (uint64_t)avenrun[i] << (SI_LOAD_SHIFT - FSHIFT);
	*ret = s;
	return 0;
}

int burrow_gather_procs(int root_fd, const struct burrow_container *c, uint64_t *ret)
{
	const struct burrow_cgpath *p = &c->cg[BURROW_CG_PIDS];
	struct burrow_tasks t;
	char path[PATH_MAX];
	int r;

	if (p->path && strlen(p->path) > p->mount_len &&
	    cg_file(p, "pids.current", path, sizeof(path)) >= 0 &&
	    read_u64_at(root_fd, path, ret) >= 0)
		return 0;
	r = burrow_gather_tasks(root_fd, c, &t);
	if (r < 0)
		return r;
	*ret = t.threads;
	return 0;
}

/* Little-endian and unaligned-safe: the buffer is bytes of the caller's memory. */
static void put(unsigned char *buf, size_t off, uint64_t v, size_t width)
{
	for (size_t i = 0; i < width; i++)
		buf[off + i] = (unsigned char)(v >> (8 * i));
}

static size_t encode64(const struct burrow_sysinfo *s, unsigned char *buf)
{
	/* long uptime; unsigned long loads[3]; 6 × unsigned long; u16 procs; pad. */
	put(buf, 0, MIN(s->uptime, (uint64_t)INT64_MAX), 8);
	for (int i = 0; i < 3; i++)
		put(buf, 8 + 8 * (size_t)i, s->loads[i], 8);
	put(buf, 32, s->totalram, 8);
	put(buf, 40, s->freeram, 8);
	put(buf, 48, s->sharedram, 8);
	put(buf, 56, s->bufferram, 8);
	put(buf, 64, s->totalswap, 8);
	put(buf, 72, s->freeswap, 8);
	/* The kernel stores nr_threads in an unsigned short too, and so wraps. */
	put(buf, 80, (uint16_t)s->procs, 2);
	/* totalhigh, freehigh: 0 on 64-bit; mem_unit 1 (bytes). */
	put(buf, 104, 1, 4);
	return BURROW_SYSINFO_SIZE_64;
}

static size_t encode32(const struct burrow_sysinfo *s, unsigned char *buf)
{
	uint64_t mem[6] = { s->totalram,  s->freeram,	s->sharedram,
			    s->bufferram, s->totalswap, s->freeswap };
	unsigned shift = 0;

	/*
	 * compat_sysinfo(): once totalram or totalswap outgrows 32 bits of
	 * bytes, the unit becomes the page (4 KiB on every arch we answer).
	 */
	if (s->totalram > UINT32_MAX || s->totalswap > UINT32_MAX)
		shift = 12;
	put(buf, 0, MIN(s->uptime, (uint64_t)INT32_MAX), 4);
	for (int i = 0; i < 3; i++)
		put(buf, 4 + 4 * (size_t)i, MIN(s->loads[i], (uint64_t)UINT32_MAX), 4);
	for (size_t i = 0; i < ELEMENTSOF(mem); i++)
		put(buf, 16 + 4 * i, MIN(mem[i] >> shift, (uint64_t)UINT32_MAX), 4);
	put(buf, 40, (uint16_t)s->procs, 2);
	/* u16 pad; totalhigh, freehigh 0; mem_unit at 52; 8 bytes of padding. */
	put(buf, 52, (uint64_t)1 << shift, 4);
	return BURROW_SYSINFO_SIZE_32;
}

size_t burrow_sysinfo_encode(const struct burrow_sysinfo *s, bool abi32, void *buf)
{
	memset(buf, 0, BURROW_SYSINFO_SIZE_64);
	return abi32 ? encode32(s, buf) : encode64(s, buf);
}
