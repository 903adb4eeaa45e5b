/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fdpass_recv_ex() (bindings/fdpass.c), the receiver for hostile peers and
 * polled sockets: its recvmsg() flags reach the kernel, and every fd it
 * refuses goes to the caller's drop, none to close() behind its back.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdpass.h"
#include "fixture.h"
#include "macro.h"

struct dropped {
	int fds[8];
	size_t n;
};

static void keep_dropped(int fd, void *userdata)
{
	struct dropped *d = userdata;

	ck_assert_uint_lt(d->n, ELEMENTSOF(d->fds));
	d->fds[d->n++] = fd;
}

static ino_t ino_of(int fd)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return st.st_ino;
}

START_TEST(test_dontwait)
{
	const struct fdpass_opts opts = { .flags = MSG_DONTWAIT };
	int sv[2], got[2];
	char buf[8];
	size_t n = 7;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	/* Nothing there: at once, and no fds claimed. */
	ck_assert_int_eq(fdpass_recv_ex(sv[1], &opts, buf, sizeof(buf), got, 2, &n), -EAGAIN);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(fdpass_send(sv[0], "ab", 2, NULL, 0), 0);
	ck_assert_int_eq(fdpass_recv_ex(sv[1], &opts, buf, sizeof(buf), got, 2, &n), 2);
	ck_assert_mem_eq(buf, "ab", 2);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_drop)
{
	struct dropped d = { .n = 0 };
	const struct fdpass_opts opts = { .drop = keep_dropped, .userdata = &d };
	int sv[2], fds[3], got[2];
	char buf[4];
	size_t n;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_ge(fds[0] = open("/", O_PATH | O_CLOEXEC), 0);
	ck_assert_int_ge(fds[1] = open("/dev/null", O_RDONLY | O_CLOEXEC), 0);
	ck_assert_int_ge(fds[2] = open("/proc/self", O_PATH | O_CLOEXEC), 0);

	/* Three for a receiver of two: all three to drop, still open. */
	ck_assert_int_eq(fdpass_send(sv[0], "x", 1, fds, 3), 0);
	ck_assert_int_eq(fdpass_recv_ex(sv[1], &opts, buf, sizeof(buf), got, 2, &n), -EMSGSIZE);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(d.n, 3);
	for (size_t k = 0; k < ELEMENTSOF(fds); k++) {
		size_t seen = 0;

		for (size_t j = 0; j < d.n; j++)
			seen += ino_of(d.fds[j]) == ino_of(fds[k]);
		ck_assert_uint_eq(seen, 1);
	}
	for (size_t k = 0; k < d.n; k++)
		ck_assert_int_eq(close(d.fds[k]), 0);

	/* A message longer than the buffer: its one fd to drop as well. */
	d.n = 0;
	ck_assert_int_eq(fdpass_send(sv[0], "0123456789", 10, fds, 1), 0);
	ck_assert_int_eq(fdpass_recv_ex(sv[1], &opts, buf, sizeof(buf), got, 2, &n), -EMSGSIZE);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_uint_eq(ino_of(d.fds[0]), ino_of(fds[0]));
	ck_assert_int_eq(close(d.fds[0]), 0);

	/* What fits is taken, nothing dropped. */
	d.n = 0;
	ck_assert_int_eq(fdpass_send(sv[0], "ok", 2, fds, 2), 0);
	ck_assert_int_eq(fdpass_recv_ex(sv[1], &opts, buf, sizeof(buf), got, 2, &n), 2);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(ino_of(got[1]), ino_of(fds[1]));
	close(got[0]);
	close(got[1]);

	close(sv[0]);
	close(sv[1]);
	for (size_t k = 0; k < ELEMENTSOF(fds); k++)
		close(fds[k]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fdpass");
	TCase *tc = tcase_create("fdpass");

	tcase_add_test(tc, test_dontwait);
	tcase_add_test(tc, test_drop);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
