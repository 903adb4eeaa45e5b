/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "macro.h"

static int gather_at(const char *name, pid_t pid, uint64_t page_size, struct burrow_vmstat *ret)
{
	_cleanup_close_ int root = fixture_root(name);
	struct burrow_layout *l = NULL;
	struct burrow_container c;
	int r;

	ck_assert_int_eq(burrow_layout_load(root, &l), 0);
	ck_assert_int_eq(burrow_container_load(root, l, pid, &c), 0);
	burrow_layout_free(l);
	r = burrow_gather_vmstat(root, &c, page_size, ret);
	burrow_container_done(&c);
	return r;
}

/* The fixture's own host file rendered for its container; the caller frees it. */
static char *render(const char *name, uint64_t page_size)
{
	_cleanup_free_ char *host = fixture_read(name, "proc/vmstat");
	struct strbuf out = STRBUF_INIT;
	struct burrow_vmstat v;
	int r;

	r = gather_at(name, FIXTURE_PID, page_size, &v);
	ck_assert_msg(r == 0, "%s: gather: %s", name, strerror(-r));
	ck_assert(!v.host);
	ck_assert_int_eq(burrow_render_vmstat(&v, host, &out), 0);
	return strbuf_steal(&out, NULL);
}

static uint64_t value(const char *text, const char *key)
{
	uint64_t v;

	ck_assert_msg(keyval_u64(text, key, &v) == 0, "no %s line", key);
	return v;
}

/* The host's lines, every one, in its order: vmstat, sar and procps look them up by name. */
static void assert_same_names(const char *text, const char *host)
{
	const char *a = text, *h = host;

	while (*a && *h) {
		size_t la = strcspn(a, " "), lh = strcspn(h, " ");

		ck_assert_msg(la == lh && strncmp(a, h, la) == 0, "'%.*s' vs host '%.*s'", (int)la,
			      a, (int)lh, h);
		a += strcspn(a, "\n");
		h += strcspn(h, "\n");
		a += *a == '\n';
		h += *h == '\n';
	}
	ck_assert(!*a && !*h);
}

START_TEST(test_v2)
{
	_cleanup_free_ char *text = render("vmstat-v2", 4096);
	_cleanup_free_ char *host = fixture_read("vmstat-v2", "proc/vmstat");
	_cleanup_free_ char *want = fixture_expected("vmstat-v2", "vmstat");

	assert_text_eq("vmstat", text, want);
	assert_same_names(text, host);
	ck_assert_uint_eq(value(text, "pgfault"), 123456);
	ck_assert_uint_eq(value(text, "pgmajfault"), 789);
	ck_assert_uint_eq(value(text, "nr_free_pages"), 25600);
	ck_assert_uint_eq(value(text, "nr_kernel_stack"), 400);
	ck_assert_uint_eq(value(text, "nr_anon_transparent_hugepages"), 3);
	ck_assert_uint_eq(value(text, "oom_kill"), 2);
	/* Above the host's: capped. */
	ck_assert_uint_eq(value(text, "pgscan_direct"), 1000);
	/* Global only, or unknown to this memory.stat: the host's. */
	ck_assert_uint_eq(value(text, "pgfree"), value(host, "pgfree"));
	ck_assert_uint_eq(value(text, "pswpin"), value(host, "pswpin"));
	ck_assert_uint_eq(value(text, "pgpgin"), value(host, "pgpgin"));
}
END_TEST

START_TEST(test_v1)
{
	_cleanup_free_ char *text = render("vmstat-v1", 4096);
	_cleanup_free_ char *host = fixture_read("vmstat-v1", "proc/vmstat");
	_cleanup_free_ char *want = fixture_expected("vmstat-v1", "vmstat");

	assert_text_eq("vmstat", text, want);
	assert_same_names(text, host);
	/* total_*, not the bare keys of the cgroup alone. */
	ck_assert_uint_eq(value(text, "pgfault"), 2345678);
	ck_assert_uint_eq(value(text, "nr_file_pages"), 51200);
	ck_assert_uint_eq(value(text, "oom_kill"), 3);
	/* v1's pgpgin counts charges, not kB read: not vmstat's. */
	ck_assert_uint_eq(value(text, "pgpgin"), value(host, "pgpgin"));
	/* No THP size: no huge page count. */
	ck_assert_uint_eq(value(text, "nr_anon_transparent_hugepages"),
			  value(host, "nr_anon_transparent_hugepages"));
}
END_TEST

/* 64 KiB pages (arm64, ppc64): the same bytes are fewer pages. */
START_TEST(test_page_size)
{
	_cleanup_free_ char *text = render("vmstat-v2", 65536);
	struct burrow_vmstat v;

	ck_assert_uint_eq(value(text, "nr_anon_pages"), 52428800 / 65536);
	ck_assert_uint_eq(value(text, "nr_free_pages"), 104857600 / 65536);
	ck_assert_uint_eq(value(text, "nr_kernel_stack"), 400);
	ck_assert_uint_eq(value(text, "pgfault"), 123456);
	ck_assert_int_eq(gather_at("vmstat-v2", FIXTURE_PID, 0, &v), -EINVAL);
}
END_TEST

START_TEST(test_host)
{
	_cleanup_free_ char *host = fixture_read("vmstat-v2", "proc/vmstat");
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	struct burrow_vmstat v;

	/* In the memory hierarchy's root: the host's file, unchanged. */
	ck_assert_int_eq(gather_at("tasks-pids-root", FIXTURE_PID, 4096, &v), 0);
	ck_assert(v.host);
	ck_assert_int_eq(burrow_render_vmstat(&v, host, &out), 0);
	ck_assert_str_eq(out.buf, host);
}
END_TEST

START_TEST(test_gone)
{
	struct burrow_vmstat v;

	/* The container's memory cgroup was removed: no host figures in its place. */
	ck_assert_int_eq(gather_at("hostile-broken", 1001, 4096, &v), -ENODATA);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vmstat");
	TCase *tc = tcase_create("vmstat");

	tcase_add_test(tc, test_v2);
	tcase_add_test(tc, test_v1);
	tcase_add_test(tc, test_page_size);
	tcase_add_test(tc, test_host);
	tcase_add_test(tc, test_gone);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
