/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fixture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"

int fixture_root(const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/root", FIXTURE_DIR, name);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "fixture %s: %m", path);
	return fd;
}

void fixture_container(int root_fd, struct burrow_container *ret)
{
	struct burrow_layout *l = NULL;
	int r;

	r = burrow_layout_load(root_fd, &l);
	ck_assert_msg(r == 0, "layout: %s", strerror(-r));
	r = burrow_container_load(root_fd, l, FIXTURE_PID, ret);
	ck_assert_msg(r == 0, "container: %s", strerror(-r));
	burrow_layout_free(l);
}

static char *read_rel(const char *name, const char *dir, const char *rel)
{
	char path[4096];
	char *text = NULL;
	int r;

	snprintf(path, sizeof(path), "%s/%s/%s/%s", FIXTURE_DIR, name, dir, rel);
	r = read_full_at(AT_FDCWD, path, &text, NULL);
	ck_assert_msg(r == 0, "fixture file %s: %s", path, strerror(-r));
	return text;
}

char *fixture_read(const char *name, const char *rel)
{
	return read_rel(name, "root", rel);
}

char *fixture_expected(const char *name, const char *file)
{
	return read_rel(name, "expected", file);
}

static size_t line_len(const char *s)
{
	const char *nl = strchr(s, '\n');

	return nl ? (size_t)(nl - s) : strlen(s);
}

void assert_text_eq(const char *what, const char *actual, const char *expected)
{
	const char *a = actual, *e = expected;
	unsigned lineno = 1;

	ck_assert_ptr_nonnull(actual);
	while (*a || *e) {
		size_t la = line_len(a), le = line_len(e);

		if (la != le || memcmp(a, e, la) != 0)
			ck_abort_msg("%s line %u:\n  got      '%.*s'\n  expected '%.*s'", what,
				     lineno, (int)la, a, (int)le, e);
		a += la + (a[la] == '\n');
		e += le + (e[le] == '\n');
		lineno++;
	}
	/* Lines match; the trailing newline must too. */
	ck_assert_uint_eq(strlen(actual), strlen(expected));
}

int fixture_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
