/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "macro.h"

static void gather(const char *name, struct burrow_io *ret)
{
	_cleanup_close_ int root = fixture_root(name);
	struct burrow_container c;
	int r;

	fixture_container(root, &c);
	r = burrow_gather_io(root, &c, ret);
	ck_assert_msg(r == 0, "%s: gather: %s", name, strerror(-r));
	burrow_container_done(&c);
}

static char *render(const char *name, const struct burrow_io *io)
{
	_cleanup_free_ char *host = fixture_read(name, "proc/diskstats");
	struct strbuf out = STRBUF_INIT;
	int r;

	r = burrow_render_diskstats(io, host, &out);
	ck_assert_msg(r == 0, "%s: render: %s", name, strerror(-r));
	/* An empty render leaves the buffer unallocated. */
	if (!out.buf)
		return strdup("");
	return strbuf_steal(&out, NULL);
}

static void check_file(const char *name, const struct burrow_io *io)
{
	_cleanup_free_ char *text = render(name, io);
	_cleanup_free_ char *expected = fixture_expected(name, "diskstats");

	assert_text_eq("diskstats", text, expected);
}

static const struct burrow_io_dev *dev(const struct burrow_io *io, unsigned major, unsigned minor)
{
	for (size_t i = 0; i < io->n; i++)
		if (io->dev[i].major == major && io->dev[i].minor == minor)
			return &io->dev[i];
	ck_abort_msg("no device %u:%u", major, minor);
	return NULL;
}

/* Column n of the line for name: 1 major, 2 minor, 3 name, 4 reads completed, ... */
static uint64_t field(const char *text, const char *name, unsigned n)
{
	const char *p = text;

	while (*p) {
		const char *f = p;
		uint64_t v = 0;

		p += strcspn(p, "\n");
		p += *p == '\n';
		/* "major minor name": the name is field 3. */
		for (unsigned i = 1; i < 3; i++) {
			f += strspn(f, " ");
			f += strcspn(f, " ");
		}
		f += strspn(f, " ");
		if (strncmp(f, name, strlen(name)) != 0 || f[strlen(name)] != ' ')
			continue;
		f += strlen(name);
		for (unsigned i = 4; i <= n; i++)
			ck_assert_int_eq(parse_u64_prefix(&f, &v), 0);
		return v;
	}
	ck_abort_msg("no diskstats line for %s", name);
	return 0;
}

static unsigned count_fields(const char *line)
{
	unsigned n = 0;

	for (const char *p = line; *p && *p != '\n';) {
		p += strspn(p, " ");
		if (!*p || *p == '\n')
			break;
		n++;
		p += strcspn(p, " \n");
	}
	return n;
}

START_TEST(test_v2_sample)
{
	_cleanup_free_ char *text = NULL;
	struct burrow_io io;

	gather("mem-v2-sample", &io);
	ck_assert(!io.host);
	ck_assert_uint_eq(io.n, 1);
	ck_assert_uint_eq(dev(&io, 254, 0)->rbytes, 356352);
	ck_assert_uint_eq(dev(&io, 254, 0)->wios, 8);
	check_file("mem-v2-sample", &io);

	text = render("mem-v2-sample", &io);
	/* The kernel's 20 fields since 5.5: major, minor, name and 17 counters. */
	ck_assert_uint_eq(count_fields(text), 20);
	ck_assert_uint_eq(field(text, "vda", 4), 13);
	ck_assert_uint_eq(field(text, "vda", 10), 16384);
	burrow_io_done(&io);
}
END_TEST

START_TEST(test_hybrid)
{
	struct burrow_io io;

	/* A real 6.18 capture: v1 blkio with a throttle rule, 16 MiB direct I/O. */
	gather("mem-hybrid", &io);
	ck_assert(!io.host);
	ck_assert_uint_eq(dev(&io, 254, 0)->rbytes, 33837056);
	ck_assert_uint_eq(dev(&io, 254, 0)->wbytes, 16777216);
	ck_assert_uint_eq(dev(&io, 254, 0)->rios, 299);
	ck_assert_uint_eq(dev(&io, 254, 0)->wios, 16);
	check_file("mem-hybrid", &io);
	burrow_io_done(&io);
}
END_TEST

START_TEST(test_v1_multi)
{
	_cleanup_free_ char *text = NULL;
	struct burrow_io io;

	gather("io-v1-multi", &io);
	/* The _recursive files, not the plain ones (which say 4096 B, 1 read). */
	ck_assert_uint_eq(dev(&io, 253, 0)->rbytes, 20971520);
	ck_assert_uint_eq(dev(&io, 253, 0)->rios, 5120);
	ck_assert_uint_eq(dev(&io, 253, 0)->dbytes, 1048576);
	ck_assert_uint_eq(dev(&io, 253, 0)->dios, 256);
	ck_assert_uint_eq(dev(&io, 8, 16)->rbytes, 0);
	check_file("io-v1-multi", &io);

	text = render("io-v1-multi", &io);
	ck_assert_uint_eq(field(text, "dm-0", 6), 40960);
	ck_assert_uint_eq(field(text, "dm-0", 15), 256);
	ck_assert_uint_eq(field(text, "dm-0", 17), 2048);
	/* Untouched (sdb) and unknown to the host (259:0): absent. */
	ck_assert_ptr_null(strstr(text, "sdb"));
	ck_assert_ptr_null(strstr(text, " 259 "));
	burrow_io_done(&io);
}
END_TEST

START_TEST(test_v1_plain)
{
	struct burrow_io io;

	gather("io-v1-plain", &io);
	ck_assert_uint_eq(io.n, 1);
	ck_assert_uint_eq(dev(&io, 8, 0)->rbytes, 4194304);
	ck_assert_uint_eq(dev(&io, 8, 0)->wios, 16);
	check_file("io-v1-plain", &io);
	burrow_io_done(&io);
}
END_TEST

START_TEST(test_v2_keys)
{
	_cleanup_free_ char *text = NULL;
	struct burrow_io io;

	gather("io-v2-keys", &io);
	ck_assert_uint_eq(dev(&io, 8, 0)->dbytes, 4194304);
	ck_assert_uint_eq(dev(&io, 8, 0)->dios, 8);
	ck_assert_uint_eq(dev(&io, 259, 0)->rios, 16);
	/* "7:3 " with no keys is a device, all zero. */
	ck_assert_uint_eq(dev(&io, 7, 3)->rbytes, 0);
	check_file("io-v2-keys", &io);

	text = render("io-v2-keys", &io);
	ck_assert_uint_eq(field(text, "sda", 8), 320);
	ck_assert_uint_eq(field(text, "nvme0n1", 6), 2048);
	ck_assert_ptr_null(strstr(text, "nvme0n1p1"));
	burrow_io_done(&io);
}
END_TEST

START_TEST(test_no_controller_in_leaf)
{
	struct burrow_io io;

	/* sample/child has no io.stat: its I/O is charged to sample/. */
	gather("mem-v2-noctl", &io);
	ck_assert(!io.host);
	ck_assert_uint_eq(dev(&io, 254, 0)->rios, 32);
	check_file("mem-v2-noctl", &io);
	burrow_io_done(&io);
}
END_TEST

START_TEST(test_missing_controller)
{
	_cleanup_free_ char *host = fixture_read("mem-missing", "proc/diskstats");
	_cleanup_free_ char *text = NULL;
	struct burrow_io io;

	gather("mem-missing", &io);
	ck_assert(io.host);
	ck_assert_uint_eq(io.n, 0);
	check_file("mem-missing", &io);
	text = render("mem-missing", &io);
	ck_assert_str_eq(text, host);
	burrow_io_done(&io);
}
END_TEST

START_TEST(test_vanished)
{
	static const char *const cases[] = { "mem-v2-sample", "mem-hybrid", "io-v1-multi" };

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_close_ int root = fixture_root(cases[i]);
		struct burrow_container c;
		struct burrow_io io;
		char *gone;

		fixture_container(root, &c);
		ck_assert_int_ge(asprintf(&gone, "%s/gone", c.cg[BURROW_CG_IO].path), 0);
		free(c.cg[BURROW_CG_IO].path);
		c.cg[BURROW_CG_IO].path = gone;
		ck_assert_int_eq(burrow_gather_io(root, &c, &io), -ENODATA);
		burrow_container_done(&c);
	}
}
END_TEST

START_TEST(test_nothing_touched)
{
	struct burrow_io_dev d = { .major = 254, .minor = 0 };
	struct burrow_io io = { .dev = &d, .n = 1 };
	struct strbuf out = STRBUF_INIT;

	ck_assert_int_eq(burrow_render_diskstats(&io, " 254       0 vda 1 2 3\n", &out), 0);
	ck_assert_uint_eq(out.len, 0);
	strbuf_free(&out);
	/* done on an empty struct, and twice, is harmless. */
	io = (struct burrow_io){ 0 };
	burrow_io_done(&io);
	burrow_io_done(&io);
}
END_TEST

static Suite *io_suite(void)
{
	Suite *s = suite_create("io");
	TCase *tc = tcase_create("diskstats");

	tcase_add_test(tc, test_v2_sample);
	tcase_add_test(tc, test_hybrid);
	tcase_add_test(tc, test_v1_multi);
	tcase_add_test(tc, test_v1_plain);
	tcase_add_test(tc, test_v2_keys);
	tcase_add_test(tc, test_no_controller_in_leaf);
	tcase_add_test(tc, test_missing_controller);
	tcase_add_test(tc, test_vanished);
	tcase_add_test(tc, test_nothing_touched);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fixture_run_suite(io_suite());
}
