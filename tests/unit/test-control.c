/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control socket's messages (bindings/control.c) and fd passing
 * (bindings/fdpass.c): what each end accepts, and that fds a peer sends
 * beyond what a receiver takes are closed, not left in the receiver.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "fdpass.h"
#include "fixture.h"
#include "macro.h"

static const struct burrow_ctl_req attach = { BURROW_CTL_MAGIC, BURROW_CTL_VERSION,
					      BURROW_CTL_ATTACH, 0 };

START_TEST(test_req)
{
	struct burrow_ctl_req q = attach, got;

	ck_assert_int_eq(burrow_ctl_req_check(&q, sizeof(q), 1, &got), 0);
	ck_assert_uint_eq(got.op, BURROW_CTL_ATTACH);
	/* ATTACH names its container by exactly one pidfd. */
	ck_assert_int_eq(burrow_ctl_req_check(&q, sizeof(q), 0, &got), -EPROTO);
	ck_assert_int_eq(burrow_ctl_req_check(&q, sizeof(q), 2, &got), -EPROTO);
	ck_assert_int_eq(burrow_ctl_req_check(&q, sizeof(q) - 1, 1, &got), -EPROTO);
	q.op = BURROW_CTL_STATS;
	ck_assert_int_eq(burrow_ctl_req_check(&q, sizeof(q), 0, &got), 0);
	ck_assert_int_eq(burrow_ctl_req_check(&q, sizeof(q), 1, &got), -EPROTO);
	q.op = 99;
	ck_assert_int_eq(burrow_ctl_req_check(&q, sizeof(q), 0, &got), -EOPNOTSUPP);
	q = attach;
	q.flags = BURROW_CTL_ATTACH_CGROUP;
	ck_assert_int_eq(burrow_ctl_req_check(&q, sizeof(q), 1, &got), 0);
	ck_assert_uint_eq(got.flags, BURROW_CTL_ATTACH_CGROUP);
	/* Flags no daemon knows, and flags on STATS, are refused. */
	q.flags = 2;
	ck_assert_int_eq(burrow_ctl_req_check(&q, sizeof(q), 1, &got), -EPROTO);
	q.op = BURROW_CTL_STATS;
	q.flags = BURROW_CTL_ATTACH_CGROUP;
	ck_assert_int_eq(burrow_ctl_req_check(&q, sizeof(q), 0, &got), -EPROTO);
	q = attach;
	q.version = 2;
	ck_assert_int_eq(burrow_ctl_req_check(&q, sizeof(q), 1, &got), -EPROTO);
	q = attach;
	q.magic = 0;
	ck_assert_int_eq(burrow_ctl_req_check(&q, sizeof(q), 1, &got), -EPROTO);
}
END_TEST

/* A reply of n fds and the given body, in buf (with a byte to spare); its length. */
static size_t reply(char *buf, int32_t error, uint32_t n, const char *body, size_t blen)
{
	struct burrow_ctl_reply h = { BURROW_CTL_MAGIC, BURROW_CTL_VERSION, error, n };

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), body, blen);
	return sizeof(h) + blen;
}

START_TEST(test_reply)
{
	static const char paths[] = "proc/meminfo\0proc/pressure/cpu\0";
	char buf[sizeof(struct burrow_ctl_reply) + BURROW_CTL_MAX + 1];
	struct burrow_ctl_reply h;
	const char *body;
	size_t len, blen;

	len = reply(buf, 0, 2, paths, sizeof(paths) - 1);
	ck_assert_int_eq(burrow_ctl_reply_check(buf, len, 2, &h, &body, &blen), 0);
	ck_assert_str_eq(burrow_ctl_path(body, blen, h.n, 0), "proc/meminfo");
	ck_assert_str_eq(burrow_ctl_path(body, blen, h.n, 1), "proc/pressure/cpu");
	ck_assert_ptr_null(burrow_ctl_path(body, blen, h.n, 2));
	/* The fds that came must be the ones announced. */
	ck_assert_int_eq(burrow_ctl_reply_check(buf, len, 1, &h, &body, &blen), -EPROTO);
	/* Fewer paths than fds, or bytes after the last path. */
	len = reply(buf, 0, 3, paths, sizeof(paths) - 1);
	ck_assert_int_eq(burrow_ctl_reply_check(buf, len, 3, &h, &body, &blen), -EPROTO);
	len = reply(buf, 0, 1, paths, sizeof(paths) - 1);
	ck_assert_int_eq(burrow_ctl_reply_check(buf, len, 1, &h, &body, &blen), -EPROTO);
	/* An unterminated last path. */
	len = reply(buf, 0, 1, "proc/meminfo", 12);
	ck_assert_int_eq(burrow_ctl_reply_check(buf, len, 1, &h, &body, &blen), -EPROTO);

	/* Paths that would leave the container's root are refused. */
	static const char *const bad[] = {
		"/etc/passwd", "../etc", "proc/../../etc", "proc//meminfo", "proc/", "./proc", ""
	};
	for (size_t k = 0; k < ELEMENTSOF(bad); k++) {
		len = reply(buf, 0, 1, bad[k], strlen(bad[k]) + 1);
		ck_assert_msg(burrow_ctl_reply_check(buf, len, 1, &h, &body, &blen) == -EPROTO,
			      "accepted \"%s\"", bad[k]);
	}

	/* An error carries its text, and no fds. */
	len = reply(buf, -EPERM, 0, "not yours", 9);
	ck_assert_int_eq(burrow_ctl_reply_check(buf, len, 0, &h, &body, &blen), 0);
	ck_assert_int_eq(h.error, -EPERM);
	ck_assert_str_eq(body, "not yours");
	ck_assert_int_eq(burrow_ctl_reply_check(buf, len, 1, &h, &body, &blen), -EPROTO);
	len = reply(buf, 5, 0, "", 0);
	ck_assert_int_eq(burrow_ctl_reply_check(buf, len, 0, &h, &body, &blen), -EPROTO);
	ck_assert_int_eq(burrow_ctl_reply_check(buf, sizeof(h) - 1, 0, &h, &body, &blen), -EPROTO);
}
END_TEST

static ino_t ino_of(int fd)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return st.st_ino;
}

static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

START_TEST(test_fdpass)
{
	int sv[2], fds[3], got[FDPASS_MAX], many[FDPASS_MAX + 1], before;
	char buf[16];
	size_t n;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	for (size_t k = 0; k < ELEMENTSOF(fds); k++)
		ck_assert_int_ge(fds[k] = open("/", O_PATH | O_CLOEXEC), 0);
	fds[1] = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ck_assert_int_eq(fdpass_send(sv[0], "abc", 3, fds, 3), 0);
	ck_assert_int_eq(fdpass_recv(sv[1], buf, sizeof(buf), got, ELEMENTSOF(got), &n), 3);
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(buf, "abc", 3);
	for (size_t k = 0; k < 3; k++) {
		ck_assert_uint_eq(ino_of(got[k]), ino_of(fds[k]));
		ck_assert_int_eq(fcntl(got[k], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		close(got[k]);
	}

	/* More fds than the receiver takes: none of them stays open. */
	before = open_fds();
	ck_assert_int_eq(fdpass_send(sv[0], "x", 1, fds, 3), 0);
	ck_assert_int_eq(fdpass_recv(sv[1], buf, sizeof(buf), got, 2, &n), -EMSGSIZE);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(open_fds(), before);

	/* A message longer than the buffer (seqpacket truncates it): the same. */
	ck_assert_int_eq(fdpass_send(sv[0], "0123456789abcdefXYZ", 19, fds, 1), 0);
	ck_assert_int_eq(fdpass_recv(sv[1], buf, sizeof(buf), got, 4, &n), -EMSGSIZE);
	ck_assert_int_eq(open_fds(), before);

	/* No fds at all, and too many to send. */
	ck_assert_int_eq(fdpass_send(sv[0], "y", 1, NULL, 0), 0);
	ck_assert_int_eq(fdpass_recv(sv[1], buf, sizeof(buf), got, 4, &n), 1);
	ck_assert_uint_eq(n, 0);
	for (size_t k = 0; k < ELEMENTSOF(many); k++)
		many[k] = fds[0];
	ck_assert_int_eq(fdpass_send(sv[0], "z", 1, many, ELEMENTSOF(many)), -EINVAL);

	/* The peer gone. */
	close(sv[0]);
	ck_assert_int_eq(fdpass_recv(sv[1], buf, sizeof(buf), got, 4, &n), 0);
	close(sv[1]);
	for (size_t k = 0; k < ELEMENTSOF(fds); k++)
		close(fds[k]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("control");

	tcase_add_test(tc, test_req);
	tcase_add_test(tc, test_reply);
	tcase_add_test(tc, test_fdpass);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
