/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <string.h>

#include "fileio.h"
#include "fixture.h"
#include "macro.h"

START_TEST(test_atou64)
{
	uint64_t v;

	ck_assert_int_eq(safe_atou64("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(safe_atou64("18446744073709551615\n", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(safe_atou64("18446744073709551616", &v), -ERANGE);
	ck_assert_int_eq(safe_atou64("", &v), -EINVAL);
	ck_assert_int_eq(safe_atou64("-1", &v), -EINVAL);
	ck_assert_int_eq(safe_atou64(" 1", &v), -EINVAL);
	ck_assert_int_eq(safe_atou64("12abc", &v), -EINVAL);
	ck_assert_int_eq(safe_atou64("max", &v), -EINVAL);
}
END_TEST

START_TEST(test_keyval)
{
	const char *stat = "cache 4096\nrss 8192\ntotal_cache 12288\ntotal_rss 1\n";
	const char *meminfo = "MemTotal:       24684096 kB\nMemFree:         1 kB\n";
	uint64_t v;

	ck_assert_int_eq(keyval_u64(stat, "cache", &v), 0);
	ck_assert_uint_eq(v, 4096);
	/* "rss" must not match "total_rss", nor "total_cache" match "cache". */
	ck_assert_int_eq(keyval_u64(stat, "total_cache", &v), 0);
	ck_assert_uint_eq(v, 12288);
	ck_assert_int_eq(keyval_u64(stat, "rss", &v), 0);
	ck_assert_uint_eq(v, 8192);
	ck_assert_int_eq(keyval_u64(stat, "swap", &v), -ENODATA);
	ck_assert_int_eq(keyval_u64(stat, "cach", &v), -ENODATA);
	ck_assert_int_eq(keyval_u64(meminfo, "MemTotal", &v), 0);
	ck_assert_uint_eq(v, 24684096);
	ck_assert_int_eq(keyval_u64("x 99999999999999999999\n", "x", &v), -ERANGE);
	ck_assert_int_eq(keyval_u64("x\n", "x", &v), -ENODATA);
	ck_assert_int_eq(keyval_u64("", "x", &v), -ENODATA);
}
END_TEST

START_TEST(test_cpuset)
{
	struct burrow_cpuset s, t;
	char big[32];

	ck_assert_int_eq(cpuset_parse("0-3,8,10-11\n", &s), 0);
	ck_assert_uint_eq(cpuset_count(&s), 7);
	ck_assert_int_eq(cpuset_nth(&s, 0), 0);
	ck_assert_int_eq(cpuset_nth(&s, 4), 8);
	ck_assert_int_eq(cpuset_nth(&s, 6), 11);
	ck_assert_int_eq(cpuset_nth(&s, 7), -ENOENT);
	ck_assert(cpuset_isset(&s, 10));
	ck_assert(!cpuset_isset(&s, 9));

	/* An unset v1 cpuset reads as an empty line. */
	ck_assert_int_eq(cpuset_parse("\n", &t), 0);
	ck_assert_uint_eq(cpuset_count(&t), 0);

	ck_assert_int_eq(cpuset_parse("64-127", &t), 0);
	ck_assert_uint_eq(cpuset_count(&t), 64);
	ck_assert_int_eq(cpuset_nth(&t, 63), 127);
	cpuset_and(&s, &t);
	ck_assert_uint_eq(cpuset_count(&s), 0);

	snprintf(big, sizeof(big), "0-%d", BURROW_MAX_CPUS);
	ck_assert_int_eq(cpuset_parse(big, &t), -ERANGE);
	ck_assert_int_eq(cpuset_parse("3-1", &t), -ERANGE);
	ck_assert_int_eq(cpuset_parse("1,,2", &t), -EINVAL);
	ck_assert_int_eq(cpuset_parse("a", &t), -EINVAL);
	ck_assert_int_eq(cpuset_parse("1-", &t), -EINVAL);
}
END_TEST

START_TEST(test_saturation)
{
	ck_assert_uint_eq(mul_sat(UINT64_MAX / 2, 3), UINT64_MAX);
	ck_assert_uint_eq(mul_sat(0, UINT64_MAX), 0);
	ck_assert_uint_eq(add_sat(UINT64_MAX - 1, 2), UINT64_MAX);
	ck_assert_uint_eq(SUB_SAT((uint64_t)1, (uint64_t)2), 0);
}
END_TEST

START_TEST(test_strbuf)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	size_t len;
	char *p;

	for (int i = 0; i < 1000; i++)
		strbuf_printf(&sb, "%04d\n", i);
	ck_assert_int_eq(strbuf_error(&sb), 0);
	ck_assert_uint_eq(sb.len, 5000);
	ck_assert(memcmp(sb.buf + 4995, "0999\n", 5) == 0);
	p = strbuf_steal(&sb, &len);
	ck_assert_uint_eq(len, 5000);
	ck_assert_ptr_null(sb.buf);
	free(p);
}
END_TEST

START_TEST(test_fileio)
{
	_cleanup_close_ int root = fixture_root("cgroup-v2");
	uint64_t v;
	char buf[4];

	ck_assert_int_eq(read_u64_at(root, "sys/fs/cgroup/sample/child/memory.swap.max", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(read_u64_at(root, "sys/fs/cgroup/sample/memory.max", &v), 0);
	ck_assert_uint_eq(v, 314572800);
	ck_assert_int_eq(read_u64_at(root, "sys/fs/cgroup/nope", &v), -ENODATA);
	ck_assert_int_eq(
		read_small_at(root, "sys/fs/cgroup/sample/memory.max", buf, sizeof(buf), NULL),
		-EFBIG);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_atou64);
	tcase_add_test(tc, test_keyval);
	tcase_add_test(tc, test_cpuset);
	tcase_add_test(tc, test_saturation);
	tcase_add_test(tc, test_strbuf);
	tcase_add_test(tc, test_fileio);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
