/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * keeper_sweep() (fs/persist/keeper.c) on a directory of real sockets: only a socket
 * named as a keeper's that refuses connections goes; a live keeper's socket,
 * other names and other file types stay.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fixture.h"
#include "keeper.h"
#include "macro.h"

#define LIVE "0123456789abcdef.sock"
#define DEAD "fedcba9876543210.sock"

/* A SEQPACKET socket bound at dir/name; listening when listening, else closed (dead). */
static int make_sock(const char *dir, const char *name, bool listening)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, name);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (listening) {
		ck_assert_int_eq(listen(fd, 8), 0);
		return fd;
	}
	close(fd);
	return -1;
}

static bool exists(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return lstat(p, &st) == 0;
}

START_TEST(test_sweep)
{
	char dir[] = "/tmp/burrow-test-keeper.XXXXXX", sock[PATH_MAX], p[PATH_MAX];
	_cleanup_close_ int live = -1;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	live = make_sock(dir, LIVE, true);
	make_sock(dir, DEAD, false);
	/* Not a keeper's name, though nobody listens: not ours to judge. */
	make_sock(dir, "other.sock", false);
	/* A keeper's name, but a regular file. */
	snprintf(p, sizeof(p), "%s/%s", dir, "aaaaaaaaaaaaaaaa.sock");
	fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);

	snprintf(sock, sizeof(sock), "%s/%s", dir, LIVE);
	ck_assert_int_eq(keeper_sweep(sock), 1);
	ck_assert(exists(dir, LIVE));
	ck_assert(!exists(dir, DEAD));
	ck_assert(exists(dir, "other.sock"));
	ck_assert(exists(dir, "aaaaaaaaaaaaaaaa.sock"));
	/* Nothing more to remove; the live keeper still answers. */
	ck_assert_int_eq(keeper_sweep(sock), 0);
	ck_assert_int_eq(keeper_connect(sock, &fd), 0);
	close(fd);

	close(TAKE_FD(live));
	/* Its keeper gone, the socket goes at the next sweep. */
	ck_assert_int_eq(keeper_sweep(sock), 1);
	ck_assert(!exists(dir, LIVE));

	snprintf(p, sizeof(p), "%s/other.sock", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/aaaaaaaaaaaaaaaa.sock", dir);
	unlink(p);
	ck_assert_int_eq(rmdir(dir), 0);
	ck_assert_int_eq(keeper_sweep("nodir"), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("keeper");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_sweep);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
