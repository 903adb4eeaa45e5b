/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * burrow_gather_mem on a cgroup tree whose files hold whatever the input
 * says, then burrow_render_meminfo and burrow_render_swaps over a fuzzed
 * host meminfo.
 *
 * Part 0, byte 0: bit 0 v2 (else v1), bit 1 swap shown (not -u), bit 2 the
 * container sits in the hierarchy's root, bit 3 its cgroup is gone.
 * Parts 1-9: the files of the table below (v1 name, v2 name); part 10: the
 * host's meminfo.
 *
 * Invariants: the render keeps the host's lines one for one, and no figure
 * it changes exceeds the host's figure on the same line; swaps' Used never
 * exceeds its Size.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "burrow.h"
#include "fuzz-common.h"

static const struct fuzz_cgfile files[] = {
	[1] = { "cg/a/b/memory.usage_in_bytes", "cg/a/b/memory.current" },
	[2] = { "cg/a/b/memory.limit_in_bytes", "cg/a/b/memory.max" },
	[3] = { "cg/a/memory.limit_in_bytes", "cg/a/memory.max" },
	[4] = { "cg/memory.limit_in_bytes", "cg/memory.max" },
	[5] = { "cg/a/b/memory.memsw.usage_in_bytes", "cg/a/b/memory.swap.current" },
	[6] = { "cg/a/b/memory.memsw.limit_in_bytes", "cg/a/b/memory.swap.max" },
	[7] = { "cg/a/memory.memsw.limit_in_bytes", "cg/a/memory.swap.max" },
	[8] = { "cg/a/b/memory.stat", "cg/a/b/memory.stat" },
	[9] = { "cg/a/memory.usage_in_bytes", "cg/a/memory.current" },
};
#define PART_HOST 10

static void write_tree(const struct fuzz_parts *p, bool v2)
{
	static bool made;

	if (!made) {
		fuzz_mkdir("cg/a/b");
		made = true;
	}
	fuzz_put_cgfiles(files, sizeof(files) / sizeof(files[0]), p, v2);
}

/* "Key:   1234 kB": the number after the colon; false when there is none. */
static bool line_kb(const char *line, size_t len, size_t *ret_klen, uint64_t *ret)
{
	const char *colon = memchr(line, ':', len), *v;

	if (!colon)
		return false;
	v = colon + 1;
	*ret_klen = (size_t)(colon - line);
	return parse_u64_prefix(&v, ret) == 0 && v <= line + len;
}

static void check_meminfo(const char *host, const char *out)
{
	size_t n = fuzz_lines(host);

	fuzz_assert(fuzz_lines(out) == n, "%zu lines rendered from %zu", fuzz_lines(out), n);
	for (size_t i = 0; i < n; i++) {
		size_t hlen = 0, olen = 0, hk, ok;
		const char *h = fuzz_line(host, i, &hlen), *o = fuzz_line(out, i, &olen);
		uint64_t hv, ov;

		if (!h || !o || (hlen == olen && memcmp(h, o, hlen) == 0))
			continue;
		fuzz_assert(line_kb(h, hlen, &hk, &hv) && line_kb(o, olen, &ok, &ov),
			    "line %zu changed but has no figure: '%.*s'", i, (int)olen, o);
		fuzz_assert(hk == ok && memcmp(h, o, hk) == 0, "line %zu changed its key", i);
		fuzz_assert(ov <= hv, "line %zu: %" PRIu64 " kB over the host's %" PRIu64, i, ov,
			    hv);
	}
}

static void check_swaps(const char *out)
{
	size_t len = 0;
	const char *l = fuzz_line(out, 1, &len);
	uint64_t size, used;
	const char *p;

	if (!l)
		return;
	p = l + strcspn(l, "\t ");
	p += strspn(p, "\t ");
	p += strcspn(p, "\t "); /* "virtual" */
	fuzz_assert(parse_u64_prefix(&p, &size) == 0 && parse_u64_prefix(&p, &used) == 0,
		    "swaps line '%.*s'", (int)len, l);
	fuzz_assert(used <= size, "swap used %" PRIu64 " over size %" PRIu64, used, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct burrow_container c = { .init_pid = 1 };
	struct burrow_opts o = { 0 };
	struct burrow_mem m;
	struct fuzz_parts p;
	unsigned flags;
	int r;

	fuzz_split(data, size, &p);
	flags = fuzz_flags(&p);
	write_tree(&p, flags & 1);
	o.swap = flags & 2;
	c.cg[BURROW_CG_MEMORY] = (struct burrow_cgpath){
		.path = (char *)(flags & 4   ? "cg"
				 : flags & 8 ? "cg/a/b/gone"
					     : "cg/a/b"),
		.mount_len = 2,
		.v2 = flags & 1,
	};

	r = burrow_gather_mem(fuzz_root(), &c, &m);
	if (r == 0 && fuzz_file(&p, PART_HOST)) {
		_cleanup_strbuf_ struct strbuf out = STRBUF_INIT, swaps = STRBUF_INIT;
		const char *host = p.part[PART_HOST];

		if (burrow_render_meminfo(&m, host, &o, &out) == 0)
			check_meminfo(host, out.buf ? out.buf : "");
		if (burrow_render_swaps(&m, host, &o, &swaps) == 0)
			check_swaps(swaps.buf);
	}
	fuzz_parts_done(&p);
	return 0;
}
