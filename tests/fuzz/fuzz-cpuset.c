/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cpuset lists (cpuset.cpus, cpuset.effective_cpus, cpuset.cpus.effective,
 * sys/devices/system/cpu/online): part 0 and part 1 are two lists.
 *
 * Beyond not crashing: a parsed set printed back in list form parses to the
 * same set; nth walks the members in order; the visible/host index maps are
 * each other's inverse; an intersection holds exactly the common members.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "burrow.h"
#include "fuzz-common.h"
#include "strbuf.h"

static void format_list(const struct burrow_cpuset *s, struct strbuf *out)
{
	for (unsigned c = 0; c < BURROW_MAX_CPUS; c++) {
		unsigned e = c;

		if (!cpuset_isset(s, c))
			continue;
		while (e + 1 < BURROW_MAX_CPUS && cpuset_isset(s, e + 1))
			e++;
		if (out->len > 0)
			strbuf_puts(out, ",");
		if (e == c)
			strbuf_printf(out, "%u", c);
		else
			strbuf_printf(out, "%u-%u", c, e);
		c = e;
	}
	strbuf_puts(out, "\n");
}

static void check_set(const struct burrow_cpuset *s)
{
	_cleanup_strbuf_ struct strbuf text = STRBUF_INIT;
	static struct burrow_cpuset again;
	unsigned n = cpuset_count(s);
	int prev = -1, r;

	format_list(s, &text);
	fuzz_assert(strbuf_error(&text) == 0, "out of memory");
	r = cpuset_parse(text.buf, &again);
	fuzz_assert(r == 0, "own output '%s' does not parse: %d", text.buf, r);
	fuzz_assert(memcmp(s, &again, sizeof(again)) == 0, "'%s' parses to another set", text.buf);

	for (unsigned i = 0; i < n; i++) {
		int h = cpuset_nth(s, i);

		fuzz_assert(h > prev && cpuset_isset(s, (unsigned)h), "nth(%u) = %d after %d", i, h,
			    prev);
		prev = h;
	}
	fuzz_assert(cpuset_nth(s, n) == -ENOENT, "nth past the end of %u members", n);
}

/* A CPU view of s cut to `visible` CPUs, as --enable-cfs cuts it. */
static void check_view(const struct burrow_cpuset *s, unsigned visible)
{
	static struct burrow_cpu cpu;
	unsigned n = cpuset_count(s);

	cpu.cpus = *s;
	cpu.nr_visible = visible < n ? visible : n;
	for (unsigned i = 0; i < cpu.nr_visible; i++) {
		int h = burrow_cpu_host_index(&cpu, i);

		fuzz_assert(h >= 0, "visible CPU %u has no host CPU", i);
		fuzz_assert(burrow_cpu_visible_index(&cpu, (unsigned)h) == (int)i,
			    "host CPU %d of visible %u maps back to %d", h, i,
			    burrow_cpu_visible_index(&cpu, (unsigned)h));
	}
	fuzz_assert(burrow_cpu_host_index(&cpu, cpu.nr_visible) == -ENOENT, "past the end");
	fuzz_assert(burrow_cpu_visible_index(&cpu, BURROW_MAX_CPUS) == -ENOENT, "huge host CPU");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct burrow_cpuset a, b, both;
	struct fuzz_parts p;
	bool have_a, have_b;

	fuzz_split(data, size, &p);
	have_a = cpuset_parse(p.part[0], &a) == 0;
	have_b = p.n > 1 && cpuset_parse(p.part[1], &b) == 0;
	if (have_a) {
		check_set(&a);
		check_view(&a, p.n > 2 ? (unsigned)p.len[2] : BURROW_MAX_CPUS);
	}
	if (have_a && have_b) {
		both = a;
		cpuset_and(&both, &b);
		for (unsigned c = 0; c < BURROW_MAX_CPUS; c++)
			fuzz_assert(cpuset_isset(&both, c) ==
					    (cpuset_isset(&a, c) && cpuset_isset(&b, c)),
				    "intersection wrong at CPU %u", c);
		check_set(&both);
	}
	fuzz_parts_done(&p);
	return 0;
}
