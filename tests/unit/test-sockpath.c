/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bindings/sockpath.c on real sockets in a temporary directory: a stale
 * socket is told from a live one, a socket of another type and a file that
 * is no socket, and only a stale one is ever removed or replaced.
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
#include "macro.h"
#include "sockpath.h"

static char dir[] = "/tmp/burrow-test-sockpath.XXXXXX";

/* A socket of type bound at path; listening when asked, else closed: stale. */
static int bound(const char *path, int type, bool listening)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (listening) {
		ck_assert_int_eq(listen(fd, 1), 0);
		return fd;
	}
	close(fd);
	return -1;
}

/* A client that stays, non-blocking: 0, or -1 with errno (EAGAIN: the backlog is full). */
static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	return connect(fd, (struct sockaddr *)&sa, sizeof(sa));
}

static ino_t ino_at(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_ino : 0;
}

static void at(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
	(void)unlink(buf);
}

START_TEST(test_probe)
{
	char live[64], stale[64], file[64], none[64];
	_cleanup_close_ int l = -1;
	int f;

	at(live, sizeof(live), "live");
	at(stale, sizeof(stale), "stale");
	at(file, sizeof(file), "file");
	at(none, sizeof(none), "none");
	l = bound(live, SOCK_SEQPACKET, true);
	bound(stale, SOCK_SEQPACKET, false);
	ck_assert_int_ge(f = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600), 0);
	close(f);

	ck_assert_int_eq(sockpath_probe(live, SOCK_SEQPACKET), SOCKPATH_LIVE);
	ck_assert_int_eq(sockpath_probe(live, SOCK_STREAM), SOCKPATH_OTHER_TYPE);
	ck_assert_int_eq(sockpath_probe(stale, SOCK_SEQPACKET), SOCKPATH_STALE);
	ck_assert_int_eq(sockpath_probe(file, SOCK_SEQPACKET), -ENOTSOCK);
	ck_assert_int_eq(sockpath_probe(none, SOCK_SEQPACKET), -ENOENT);

	/* Only the stale one goes. */
	ck_assert_int_eq(sockpath_unlink_stale(live, SOCK_SEQPACKET), 0);
	ck_assert_int_eq(sockpath_unlink_stale(file, SOCK_SEQPACKET), -ENOTSOCK);
	ck_assert_int_eq(sockpath_unlink_stale(none, SOCK_SEQPACKET), 0);
	ck_assert_int_eq(sockpath_unlink_stale(stale, SOCK_SEQPACKET), 1);
	ck_assert_uint_ne(ino_at(live), 0);
	ck_assert_uint_ne(ino_at(file), 0);
	ck_assert_uint_eq(ino_at(stale), 0);

	/* A listener whose backlog is full is alive, and the probe does not wait on it. */
	while (connect_to(live) == 0)
		;
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(sockpath_probe(live, SOCK_SEQPACKET), SOCKPATH_LIVE);
	ck_assert_int_eq(unlink(file), 0);
}
END_TEST

START_TEST(test_listen)
{
	char p[64], file[64];
	_cleanup_close_ int a = -1, b = -1;
	struct stat st;
	ino_t first;
	int f;

	at(p, sizeof(p), "agent");
	at(file, sizeof(file), "file");

	/* Over a stale socket: replaced, with the mode asked for. */
	bound(p, SOCK_STREAM, false);
	a = sockpath_listen(p, SOCK_STREAM | SOCK_NONBLOCK, 0666, 4, false);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0666);
	ck_assert_int_eq(fcntl(a, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	ck_assert_int_eq(fcntl(a, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(sockpath_probe(p, SOCK_STREAM), SOCKPATH_LIVE);
	first = ino_at(p);

	/* Over a live one: refused and left, unless replacing it is asked for. */
	ck_assert_int_eq(sockpath_listen(p, SOCK_STREAM, 0600, 4, false), -EADDRINUSE);
	ck_assert_uint_eq(ino_at(p), first);
	b = sockpath_listen(p, SOCK_STREAM, 0600, 4, true);
	ck_assert_int_ge(b, 0);
	ck_assert_uint_ne(ino_at(p), first);

	/* A live socket of another type is no listener for us: replaced. */
	close(TAKE_FD(a));
	a = sockpath_listen(p, SOCK_SEQPACKET, 0600, 4, false);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(sockpath_probe(p, SOCK_SEQPACKET), SOCKPATH_LIVE);

	/* Not a socket: never removed. */
	ck_assert_int_ge(f = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600), 0);
	close(f);
	ck_assert_int_eq(sockpath_listen(file, SOCK_STREAM, 0600, 4, true), -EEXIST);
	ck_assert_int_eq(lstat(file, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(unlink(file), 0);
	ck_assert_int_eq(unlink(p), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sockpath");
	TCase *tc = tcase_create("sockpath");
	int r;

	if (!mkdtemp(dir))
		return 99;
	tcase_add_test(tc, test_probe);
	tcase_add_test(tc, test_listen);
	suite_add_tcase(s, tc);
	r = fixture_run_suite(s);
	for (const char *n = "live\0stale\0file\0none\0agent\0"; *n; n += strlen(n) + 1) {
		char p[64];

		snprintf(p, sizeof(p), "%s/%s", dir, n);
		(void)unlink(p);
	}
	(void)rmdir(dir);
	return r;
}
