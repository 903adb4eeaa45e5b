/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * burrowfs --print-binds (bindings/bind-args.c) on tests/fixtures/bind-args:
 * the mount at its own path first, then the served table's bound entries that
 * both the mount and the host have, escaped for nspawn's syntax.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "bind-args.h"
#include "fixture.h"
#include "macro.h"

static int open_dir(const char *rel)
{
	_cleanup_free_ char *path = NULL;
	int fd;

	ck_assert_int_ge(asprintf(&path, "%s/bind-args/%s", FIXTURE_DIR, rel), 0);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "cannot open %s", path);
	return fd;
}

START_TEST(test_binds)
{
	_cleanup_close_ int mnt = open_dir("mnt"), host = fixture_root("bind-args");
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	_cleanup_free_ char *want = fixture_expected("bind-args", "binds");

	ck_assert_int_eq(burrow_render_bind_args(mnt, host, "/var/lib/bur:row\\fs", &out), 0);
	assert_text_eq("binds", out.buf, want);
}
END_TEST

START_TEST(test_refused)
{
	_cleanup_close_ int mnt = open_dir("mnt"), host = fixture_root("bind-args");
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;

	ck_assert_int_eq(burrow_render_bind_args(mnt, host, "var/lib/burrowfs", &out), -EINVAL);
	ck_assert_int_eq(burrow_render_bind_args(mnt, host, "/var/lib/a\nb", &out), -EINVAL);
	/* The host's tree has no proc/meminfo of burrowfs's: nothing serves there. */
	ck_assert_int_eq(burrow_render_bind_args(open_dir("root/sys"), host, "/x", &out),
			 -ENOMEDIUM);
	ck_assert_uint_eq(out.len, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bind-args");
	TCase *tc = tcase_create("bind-args");

	tcase_add_test(tc, test_binds);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
