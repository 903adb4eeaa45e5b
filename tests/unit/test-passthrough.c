/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "macro.h"

static void check_slabinfo(const char *name)
{
	_cleanup_close_ int root = fixture_root(name);
	_cleanup_free_ char *expected = fixture_expected(name, "slabinfo");
	_cleanup_free_ char *text = NULL;
	struct burrow_container c;
	size_t len = 0;
	int r;

	fixture_container(root, &c);
	r = burrow_gather_slabinfo(root, &c, &text, &len);
	ck_assert_msg(r == 0, "%s: slabinfo: %s", name, strerror(-r));
	ck_assert_uint_eq(len, strlen(text));
	assert_text_eq("slabinfo", text, expected);
	burrow_container_done(&c);
}

START_TEST(test_slabinfo_v1_own)
{
	_cleanup_free_ char *host = fixture_read("mem-v1-nested", "proc/slabinfo");
	_cleanup_free_ char *own =
		fixture_read("mem-v1-nested", "sys/fs/cgroup/memory/lxc/c1/memory.kmem.slabinfo");

	/* A kernel before 5.9 lists the cgroup's own caches: those, not the host's. */
	check_slabinfo("mem-v1-nested");
	ck_assert_str_ne(own, host);
	ck_assert_ptr_nonnull(strstr(own, "radix_tree_node"));
}
END_TEST

START_TEST(test_slabinfo_fallbacks)
{
	/* 5.9+: memory.kmem.slabinfo exists but is empty (this machine, 6.18). */
	check_slabinfo("mem-hybrid");
	/* v2 has no per-cgroup slabinfo. */
	check_slabinfo("mem-v2-sample");
	/* No memory hierarchy at all. */
	check_slabinfo("mem-missing");
}
END_TEST

static char *pressure(const char *name, const char *resource, int *ret_r)
{
	_cleanup_close_ int root = fixture_root(name);
	struct burrow_container c;
	char *text = NULL;
	size_t len = 0;

	fixture_container(root, &c);
	*ret_r = burrow_gather_pressure(root, &c, resource, &text, &len);
	if (*ret_r == 0)
		ck_assert_uint_eq(len, strlen(text));
	burrow_container_done(&c);
	return text;
}

static void check_pressure(const char *name)
{
	static const char *const res[] = { "cpu", "io", "memory" };

	for (size_t i = 0; i < ELEMENTSOF(res); i++) {
		_cleanup_free_ char *text = NULL, *expected = NULL;
		char file[32];
		int r;

		snprintf(file, sizeof(file), "pressure-%s", res[i]);
		expected = fixture_expected(name, file);
		text = pressure(name, res[i], &r);
		ck_assert_msg(r == 0, "%s: %s: %s", name, res[i], strerror(-r));
		assert_text_eq(file, text, expected);
	}
}

START_TEST(test_pressure_cgroup)
{
	_cleanup_free_ char *host = fixture_read("mem-hybrid", "proc/pressure/io");
	_cleanup_free_ char *text = NULL;
	int r;

	/* Hybrid: the unified cgroup has PSI though it has no controllers. */
	check_pressure("mem-hybrid");
	text = pressure("mem-hybrid", "io", &r);
	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(text, "some avg10=0.00 avg60=0.00 avg300=0.00 total=24475\n"
			       "full avg10=0.00 avg60=0.00 avg300=0.00 total=24469\n");
	ck_assert_str_ne(text, host);
	/* Pure v2: sample/child's, not sample/'s. */
	check_pressure("mem-v2-sample");
}
END_TEST

START_TEST(test_pressure_host)
{
	/* No unified hierarchy mounted (pure v1). */
	check_pressure("mem-v1-nested");
	/* cgroup.pressure set to 0 hides the cgroup's files. */
	check_pressure("mem-v2-nokeys");
}
END_TEST

START_TEST(test_pressure_bad_resource)
{
	static const char *const bad[] = { "irq", "", "cpu/../memory", "CPU", "cpu.pressure" };

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_free_ char *text = NULL;
		int r;

		text = pressure("mem-v2-sample", bad[i], &r);
		ck_assert_msg(r == -EINVAL, "'%s' gave %d", bad[i], r);
		ck_assert_ptr_null(text);
	}
}
END_TEST

START_TEST(test_vanished)
{
	_cleanup_close_ int root = fixture_root("mem-hybrid");
	struct burrow_container c;
	char *text = NULL, *gone;
	size_t len;

	fixture_container(root, &c);
	ck_assert_int_ge(asprintf(&gone, "%s/gone", c.cg[BURROW_CG_UNIFIED].path), 0);
	free(c.cg[BURROW_CG_UNIFIED].path);
	c.cg[BURROW_CG_UNIFIED].path = gone;
	ck_assert_int_ge(asprintf(&gone, "%s/gone", c.cg[BURROW_CG_MEMORY].path), 0);
	free(c.cg[BURROW_CG_MEMORY].path);
	c.cg[BURROW_CG_MEMORY].path = gone;
	/* A removed cgroup is an error, not a reason to serve the host's file. */
	ck_assert_int_eq(burrow_gather_pressure(root, &c, "cpu", &text, &len), -ENODATA);
	ck_assert_int_eq(burrow_gather_slabinfo(root, &c, &text, &len), -ENODATA);
	ck_assert_ptr_null(text);
	burrow_container_done(&c);
}
END_TEST

static Suite *passthrough_suite(void)
{
	Suite *s = suite_create("passthrough");
	TCase *tc = tcase_create("passthrough");

	tcase_add_test(tc, test_slabinfo_v1_own);
	tcase_add_test(tc, test_slabinfo_fallbacks);
	tcase_add_test(tc, test_pressure_cgroup);
	tcase_add_test(tc, test_pressure_host);
	tcase_add_test(tc, test_pressure_bad_resource);
	tcase_add_test(tc, test_vanished);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fixture_run_suite(passthrough_suite());
}
