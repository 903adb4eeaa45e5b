/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "macro.h"

static const struct burrow_opts swap_on = { .swap = true };
static const struct burrow_opts swap_off = { .swap = false };

static void gather(const char *name, struct burrow_mem *ret)
{
	_cleanup_close_ int root = fixture_root(name);
	struct burrow_container c;
	int r;

	fixture_container(root, &c);
	r = burrow_gather_mem(root, &c, ret);
	ck_assert_msg(r == 0, "%s: gather: %s", name, strerror(-r));
	burrow_container_done(&c);
}

/* What the renderer makes of the fixture; the caller frees it. */
static char *render(const char *name, const struct burrow_mem *m, const struct burrow_opts *o,
		    bool swaps)
{
	_cleanup_free_ char *host = fixture_read(name, "proc/meminfo");
	struct strbuf out = STRBUF_INIT;
	int r;

	r = swaps ? burrow_render_swaps(m, host, o, &out) : burrow_render_meminfo(m, host, o, &out);
	ck_assert_msg(r == 0, "%s: render: %s", name, strerror(-r));
	return strbuf_steal(&out, NULL);
}

static void check_file(const char *name, const struct burrow_mem *m, const struct burrow_opts *o,
		       bool swaps, const char *expected_file)
{
	_cleanup_free_ char *text = render(name, m, o, swaps);
	_cleanup_free_ char *expected = fixture_expected(name, expected_file);

	assert_text_eq(expected_file, text, expected);
}

/* A meminfo figure in kB, as a reader would parse it. */
static uint64_t kb(const char *text, const char *key)
{
	uint64_t v;

	ck_assert_msg(keyval_u64(text, key, &v) == 0, "no %s line", key);
	return v;
}

/* Every line is there, in order, with the same label as the host's. */
static void assert_same_labels(const char *text, const char *host)
{
	const char *a = text, *h = host;

	while (*a && *h) {
		size_t la = strcspn(a, ":"), lh = strcspn(h, ":");

		ck_assert_msg(la == lh && strncmp(a, h, la) == 0, "label '%.*s' vs host '%.*s'",
			      (int)la, a, (int)lh, h);
		a += strcspn(a, "\n");
		h += strcspn(h, "\n");
		a += *a == '\n';
		h += *h == '\n';
	}
	ck_assert(!*a && !*h);
}

START_TEST(test_hybrid)
{
	_cleanup_free_ char *host = fixture_read("mem-hybrid", "proc/meminfo");
	_cleanup_free_ char *text = NULL;
	struct burrow_mem m;

	gather("mem-hybrid", &m);
	ck_assert(!m.host);
	/* lxc/ has 1 GiB, lxc/c1/ 256 MiB, the root v1's "unlimited". */
	ck_assert_uint_eq(m.limit, 268435456);
	ck_assert_uint_eq(m.usage, 71118848);
	/* memsw: 512 MiB at c1, unlimited above, minus the memory limit. */
	ck_assert(m.swap_accounted);
	ck_assert_uint_eq(m.swap_limit, 268435456);
	ck_assert_uint_eq(m.swap_usage, 71528448 - 71118848);
	/* total_* keys; v1 has no slab keys. */
	ck_assert_uint_eq(m.file, 21254144);
	ck_assert_uint_eq(m.anon, 49225728);
	ck_assert_uint_eq(m.slab_reclaimable, 0);

	check_file("mem-hybrid", &m, &swap_on, false, "meminfo");
	check_file("mem-hybrid", &m, &swap_on, true, "swaps");
	/* No host swap: -u changes nothing. */
	check_file("mem-hybrid", &m, &swap_off, false, "meminfo");

	text = render("mem-hybrid", &m, &swap_on, false);
	assert_same_labels(text, host);
	ck_assert_uint_eq(kb(text, "MemTotal"), 262144);
	ck_assert_uint_eq(kb(text, "MemFree"), 192692);
	ck_assert_uint_eq(kb(text, "MemAvailable"), 209352);
	/* The host has no swap, so memsw's 256 MiB cannot be backed. */
	ck_assert_uint_eq(kb(text, "SwapTotal"), 0);
	ck_assert_uint_eq(kb(text, "SwapFree"), 0);
	/* Capped at the host's own figure. */
	ck_assert_uint_eq(kb(text, "AnonPages"), 18924);
	/* Not virtualized: the host's. */
	ck_assert_uint_eq(kb(text, "Mlocked"), 16140);
}
END_TEST

START_TEST(test_v2_sample)
{
	_cleanup_free_ char *text = NULL;
	struct burrow_mem m;

	gather("mem-v2-sample", &m);
	ck_assert(!m.host);
	/* sample/ 300 MiB, sample/child/ 200 MiB: the child's wins. */
	ck_assert_uint_eq(m.limit, 209715200);
	ck_assert_uint_eq(m.usage, 380928);
	ck_assert(m.swap_accounted);
	ck_assert_uint_eq(m.swap_limit, 104857600);
	ck_assert_uint_eq(m.swap_usage, 0);
	ck_assert_uint_eq(m.slab_reclaimable, 17752);
	ck_assert_uint_eq(m.inactive_file, 270336);

	check_file("mem-v2-sample", &m, &swap_on, false, "meminfo");
	check_file("mem-v2-sample", &m, &swap_off, false, "meminfo");
	check_file("mem-v2-sample", &m, &swap_on, true, "swaps");
	check_file("mem-v2-sample", &m, &swap_off, true, "swaps");

	text = render("mem-v2-sample", &m, &swap_on, false);
	ck_assert_uint_eq(kb(text, "MemTotal"), 204800);
	ck_assert_uint_eq(kb(text, "MemFree"), 204428);
	ck_assert_uint_eq(kb(text, "MemAvailable"), 204793);
	ck_assert_uint_eq(kb(text, "Slab"), 18);
	/* 100 MiB of swap allowed, but the sample host has none. */
	ck_assert_uint_eq(kb(text, "SwapTotal"), 0);
}
END_TEST

START_TEST(test_v2_swap)
{
	_cleanup_free_ char *on = NULL, *off = NULL;
	struct burrow_mem m;

	gather("mem-v2-swap", &m);
	ck_assert_uint_eq(m.swap_limit, 104857600);
	ck_assert_uint_eq(m.swap_usage, 10485760);
	ck_assert_uint_eq(m.swapcached, 65536);

	check_file("mem-v2-swap", &m, &swap_on, false, "meminfo");
	check_file("mem-v2-swap", &m, &swap_off, false, "meminfo-noswap");
	check_file("mem-v2-swap", &m, &swap_on, true, "swaps");
	check_file("mem-v2-swap", &m, &swap_off, true, "swaps-noswap");

	on = render("mem-v2-swap", &m, &swap_on, false);
	ck_assert_uint_eq(kb(on, "SwapTotal"), 102400);
	ck_assert_uint_eq(kb(on, "SwapFree"), 92160);
	ck_assert_uint_eq(kb(on, "SwapCached"), 64);
	off = render("mem-v2-swap", &m, &swap_off, false);
	ck_assert_uint_eq(kb(off, "SwapTotal"), 0);
	ck_assert_uint_eq(kb(off, "SwapFree"), 0);
	ck_assert_uint_eq(kb(off, "SwapCached"), 0);
	/* -u touches swap only. */
	ck_assert_uint_eq(kb(off, "MemTotal"), kb(on, "MemTotal"));
}
END_TEST

START_TEST(test_v1_nested)
{
	_cleanup_free_ char *text = NULL;
	struct burrow_mem m;

	gather("mem-v1-nested", &m);
	/* lxc/ 512 MiB is tighter than lxc/c1/'s 1 GiB. */
	ck_assert_uint_eq(m.limit, 536870912);
	ck_assert_uint_eq(m.usage, 419430400);
	/* lxc/'s memsw 768 MiB minus 512 MiB. */
	ck_assert_uint_eq(m.swap_limit, 268435456);
	ck_assert_uint_eq(m.swap_usage, 52428800);
	/* total_cache, not the bare cache of lxc/c1 alone. */
	ck_assert_uint_eq(m.file, 157286400);
	ck_assert_uint_eq(m.active_file, 35651584);
	ck_assert_uint_eq(m.swapcached, 0);

	check_file("mem-v1-nested", &m, &swap_on, false, "meminfo");
	check_file("mem-v1-nested", &m, &swap_off, false, "meminfo-noswap");
	check_file("mem-v1-nested", &m, &swap_on, true, "swaps");

	text = render("mem-v1-nested", &m, &swap_on, false);
	ck_assert_uint_eq(kb(text, "MemTotal"), 524288);
	ck_assert_uint_eq(kb(text, "SwapTotal"), 262144);
	ck_assert_uint_eq(kb(text, "SwapFree"), 210944);
	ck_assert_uint_eq(kb(text, "Cached"), 153600);
}
END_TEST

START_TEST(test_v2_unlimited)
{
	_cleanup_free_ char *text = NULL;
	struct burrow_mem m;

	gather("mem-v2-unlimited", &m);
	ck_assert_uint_eq(m.limit, UINT64_MAX);
	ck_assert_uint_eq(m.swap_limit, UINT64_MAX);

	check_file("mem-v2-unlimited", &m, &swap_on, false, "meminfo");
	check_file("mem-v2-unlimited", &m, &swap_off, false, "meminfo-noswap");
	check_file("mem-v2-unlimited", &m, &swap_on, true, "swaps");

	text = render("mem-v2-unlimited", &m, &swap_on, false);
	/* Every figure an unlimited cgroup cannot have comes from the host. */
	ck_assert_uint_eq(kb(text, "MemTotal"), 3043256);
	ck_assert_uint_eq(kb(text, "MemFree"), 1500000);
	ck_assert_uint_eq(kb(text, "MemAvailable"), 2400000);
	ck_assert_uint_eq(kb(text, "SwapTotal"), 1048572);
	ck_assert_uint_eq(kb(text, "SwapFree"), 1000000);
}
END_TEST

START_TEST(test_v1_huge)
{
	_cleanup_free_ char *text = NULL;
	struct burrow_mem m;

	gather("mem-v1-huge", &m);
	/* 2^62, LONG_MAX with 64 KiB and with 4 KiB pages: all "no limit". */
	ck_assert_uint_eq(m.limit, UINT64_MAX);
	/* memsw - limit of two unlimited values is unlimited, not 0. */
	ck_assert_uint_eq(m.swap_limit, UINT64_MAX);
	ck_assert_uint_eq(m.swap_usage, 4194304);

	check_file("mem-v1-huge", &m, &swap_on, false, "meminfo");
	check_file("mem-v1-huge", &m, &swap_on, true, "swaps");

	text = render("mem-v1-huge", &m, &swap_on, false);
	ck_assert_uint_eq(kb(text, "MemTotal"), 24684096);
	ck_assert_uint_eq(kb(text, "SwapTotal"), 4194300);
	ck_assert_uint_eq(kb(text, "SwapFree"), 4190204);
}
END_TEST

START_TEST(test_v1_overlimit)
{
	_cleanup_free_ char *text = NULL;
	struct burrow_mem m;

	gather("mem-v1-overlimit", &m);
	ck_assert_uint_gt(m.usage, m.limit);

	check_file("mem-v1-overlimit", &m, &swap_on, false, "meminfo");
	check_file("mem-v1-overlimit", &m, &swap_on, true, "swaps");

	text = render("mem-v1-overlimit", &m, &swap_on, false);
	ck_assert_uint_eq(kb(text, "MemTotal"), 131072);
	/* Saturates instead of wrapping to ~2^54 kB. */
	ck_assert_uint_eq(kb(text, "MemFree"), 0);
	ck_assert_uint_eq(kb(text, "Cached"), 131072);
	/* memsw usage read below usage: no swap used, not ~2^64 of it. */
	ck_assert_uint_eq(m.swap_usage, 0);
	ck_assert_uint_eq(kb(text, "SwapFree"), kb(text, "SwapTotal"));
}
END_TEST

START_TEST(test_missing_controller)
{
	_cleanup_free_ char *host = fixture_read("mem-missing", "proc/meminfo");
	_cleanup_free_ char *text = NULL;
	struct burrow_mem m;

	gather("mem-missing", &m);
	ck_assert(m.host);

	check_file("mem-missing", &m, &swap_on, false, "meminfo");
	check_file("mem-missing", &m, &swap_off, false, "meminfo-noswap");
	check_file("mem-missing", &m, &swap_on, true, "swaps");
	check_file("mem-missing", &m, &swap_off, true, "swaps-noswap");

	text = render("mem-missing", &m, &swap_on, false);
	ck_assert_str_eq(text, host);
}
END_TEST

START_TEST(test_missing_keys)
{
	_cleanup_free_ char *text = NULL;
	struct burrow_mem m;

	gather("mem-v2-nokeys", &m);
	ck_assert_uint_eq(m.limit, 536870912);
	/* swapaccount=0: no memory.swap.* anywhere. */
	ck_assert(!m.swap_accounted);
	ck_assert_uint_eq(m.dirty, 0);
	ck_assert_uint_eq(m.slab_reclaimable, 0);
	ck_assert_uint_eq(m.anon, 134217728);

	check_file("mem-v2-nokeys", &m, &swap_on, false, "meminfo");
	check_file("mem-v2-nokeys", &m, &swap_off, false, "meminfo");
	check_file("mem-v2-nokeys", &m, &swap_on, true, "swaps");

	text = render("mem-v2-nokeys", &m, &swap_on, false);
	/* The host has swap; the container's is not accounted, so none is shown. */
	ck_assert_uint_eq(kb(text, "SwapTotal"), 0);
	ck_assert_uint_eq(kb(text, "MemAvailable"), 356352);
}
END_TEST

START_TEST(test_no_controller_in_leaf)
{
	struct burrow_mem m;

	gather("mem-v2-noctl", &m);
	/* Charged to sample/, the nearest cgroup with memory enabled. */
	ck_assert(!m.host);
	ck_assert_uint_eq(m.limit, 314572800);
	ck_assert_uint_eq(m.usage, 5242880);
	ck_assert_uint_eq(m.swap_limit, 104857600);
	ck_assert_uint_eq(m.kernel_stack, 65536);

	check_file("mem-v2-noctl", &m, &swap_on, false, "meminfo");
	check_file("mem-v2-noctl", &m, &swap_on, true, "swaps");
}
END_TEST

/* The container's cgroup was removed after it was resolved. */
static void check_vanished(const char *name)
{
	_cleanup_close_ int root = fixture_root(name);
	struct burrow_container c;
	struct burrow_mem m;
	char *gone;

	fixture_container(root, &c);
	ck_assert_int_ge(asprintf(&gone, "%s/gone", c.cg[BURROW_CG_MEMORY].path), 0);
	free(c.cg[BURROW_CG_MEMORY].path);
	c.cg[BURROW_CG_MEMORY].path = gone;
	/* Not the parent's figures, not the host's: an error. */
	ck_assert_int_eq(burrow_gather_mem(root, &c, &m), -ENODATA);
	burrow_container_done(&c);
}

START_TEST(test_vanished)
{
	check_vanished("mem-v2-sample");
	check_vanished("mem-v1-nested");
	check_vanished("mem-hybrid");
}
END_TEST

START_TEST(test_host_without_memtotal)
{
	struct burrow_mem m = { .limit = UINT64_MAX };
	struct strbuf out = STRBUF_INIT;

	ck_assert_int_eq(burrow_render_meminfo(&m, "MemFree: 1 kB\n", &swap_on, &out), -EINVAL);
	strbuf_free(&out);
}
END_TEST

/* Whatever the fixture, free never exceeds total and every host line stays. */
START_TEST(test_invariants)
{
	static const char *const cases[] = {
		"mem-hybrid",	    "mem-v2-sample", "mem-v2-swap",	 "mem-v1-nested",
		"mem-v2-unlimited", "mem-v1-huge",   "mem-v1-overlimit", "mem-missing",
		"mem-v2-nokeys",    "mem-v2-noctl",
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *host = fixture_read(cases[i], "proc/meminfo");
		_cleanup_free_ char *text = NULL;
		struct burrow_mem m;

		gather(cases[i], &m);
		text = render(cases[i], &m, &swap_on, false);
		assert_same_labels(text, host);
		ck_assert_uint_le(kb(text, "MemTotal"), kb(host, "MemTotal"));
		ck_assert_uint_le(kb(text, "MemFree"), kb(text, "MemTotal"));
		ck_assert_uint_le(kb(text, "MemAvailable"), kb(text, "MemTotal"));
		ck_assert_uint_le(kb(text, "Cached"), kb(text, "MemTotal"));
		ck_assert_uint_le(kb(text, "SwapTotal"), kb(host, "SwapTotal"));
		ck_assert_uint_le(kb(text, "SwapFree"), kb(text, "SwapTotal"));
	}
}
END_TEST

static Suite *mem_suite(void)
{
	Suite *s = suite_create("mem");
	TCase *tc = tcase_create("meminfo");

	tcase_add_test(tc, test_hybrid);
	tcase_add_test(tc, test_v2_sample);
	tcase_add_test(tc, test_v2_swap);
	tcase_add_test(tc, test_v1_nested);
	tcase_add_test(tc, test_v2_unlimited);
	tcase_add_test(tc, test_v1_huge);
	tcase_add_test(tc, test_v1_overlimit);
	tcase_add_test(tc, test_missing_controller);
	tcase_add_test(tc, test_missing_keys);
	tcase_add_test(tc, test_no_controller_in_leaf);
	tcase_add_test(tc, test_vanished);
	tcase_add_test(tc, test_host_without_memtotal);
	tcase_add_test(tc, test_invariants);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fixture_run_suite(mem_suite());
}
