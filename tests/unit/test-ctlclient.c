/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control socket's client (bindings/ctlclient.c) against fake peers:
 * replies it must refuse without keeping a stray fd, daemon errors shown as
 * sent, a connection to a socket that is not there, the relay from the
 * launcher's parent to its child, and (as root, in a mount namespace of the
 * test's own) placing mounts in a rootfs full of traps.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "ctlclient.h"
#include "fdpass.h"
#include "fixture.h"
#include "macro.h"
#include "parse.h"

static int open_fds(void)
{
	_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	return n;
}

/* A reply's bytes with any header fields and body; its length. */
static size_t reply(char *buf, uint32_t magic, int32_t error, uint32_t n, const char *body,
		    size_t blen)
{
	struct burrow_ctl_reply h = { magic, BURROW_CTL_VERSION, error, n };

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), body, blen);
	return sizeof(h) + blen;
}

/* sendmsg() with nfds copies of fd, past fdpass's own limit. */
static void raw_send(int sock, const void *buf, size_t len, int fd, size_t nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 200)];
	} u;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	ck_assert_uint_le(nfds, 200);
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		for (size_t i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(c) + i * sizeof(int), &fd, sizeof(int));
	}
	ck_assert_int_eq(sendmsg(sock, &mh, 0), (ssize_t)len);
}

/* The fake daemon sends (body, nfds copies of an fd); the client's verdict. */
static int exchange(uint32_t magic, int32_t error, uint32_t n, const char *body, size_t blen,
		    size_t nfds, struct burrow_ctl_mounts *m, char *err, size_t errlen)
{
	char buf[sizeof(struct burrow_ctl_reply) + BURROW_CTL_MAX + 64];
	int sv[2], fd, r;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	raw_send(sv[0], buf, reply(buf, magic, error, n, body, blen), fd, nfds);
	close(fd);
	r = burrow_ctl_recv(sv[1], m, err, errlen);
	close(sv[0]);
	close(sv[1]);
	return r;
}

static const char two[] = "proc/meminfo\0proc/pressure/cpu";

START_TEST(test_recv_good)
{
	struct burrow_ctl_mounts m;
	int before = open_fds();
	char err[128] = "";

	ck_assert_int_eq(
		exchange(BURROW_CTL_MAGIC, 0, 2, two, sizeof(two), 2, &m, err, sizeof(err)), 0);
	ck_assert_uint_eq(m.n, 2);
	ck_assert_str_eq(burrow_ctl_mounts_path(&m, 0), "proc/meminfo");
	ck_assert_str_eq(burrow_ctl_mounts_path(&m, 1), "proc/pressure/cpu");
	ck_assert_int_eq(burrow_ctl_mounts_find(&m, "proc/pressure/cpu"), 1);
	ck_assert_int_eq(burrow_ctl_mounts_find(&m, "proc/stat"), -1);
	ck_assert_int_ge(fcntl(m.fd[0], F_GETFD), 0);
	ck_assert_int_eq(fcntl(m.fd[1], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(open_fds(), before + 2);
	burrow_ctl_mounts_close(&m);
	ck_assert_uint_eq(m.n, 0);
	ck_assert_int_eq(open_fds(), before);

	/* No mounts at all is a valid answer (a kernel with none of the files). */
	ck_assert_int_eq(exchange(BURROW_CTL_MAGIC, 0, 0, "", 0, 0, &m, err, sizeof(err)), 0);
	ck_assert_uint_eq(m.n, 0);
}
END_TEST

START_TEST(test_recv_daemon_error)
{
	static const char text[] = "PID 42 is not in a container";
	struct burrow_ctl_mounts m;
	char err[128] = "";
	char small[8];

	ck_assert_int_eq(
		exchange(BURROW_CTL_MAGIC, -EPERM, 0, text, strlen(text), 0, &m, err, sizeof(err)),
		-EPERM);
	ck_assert_str_eq(err, text);
	ck_assert_uint_eq(m.n, 0);
	/* The text cut to the caller's buffer, still terminated. */
	ck_assert_int_eq(exchange(BURROW_CTL_MAGIC, -EBUSY, 0, text, strlen(text), 0, &m, small,
				  sizeof(small)),
			 -EBUSY);
	ck_assert_str_eq(small, "PID 42 ");
	/* No errno the kernel has: nothing to trust in it. */
	ck_assert_int_eq(exchange(BURROW_CTL_MAGIC, -100000, 0, "x", 1, 0, &m, err, sizeof(err)),
			 -EPROTO);
}
END_TEST

/* Each malformed reply is refused, and the fds that came with it are closed. */
START_TEST(test_recv_malformed)
{
	static const struct {
		const char *what;
		uint32_t magic;
		int32_t error;
		uint32_t n;
		const char *body;
		size_t blen;
		size_t nfds;
	} cases[] = {
		{ "bad magic", 0x1234, 0, 2, two, sizeof(two), 2 },
		{ "fewer fds than paths", BURROW_CTL_MAGIC, 0, 2, two, sizeof(two), 1 },
		{ "more fds than paths", BURROW_CTL_MAGIC, 0, 2, two, sizeof(two), 3 },
		{ "an error with fds", BURROW_CTL_MAGIC, -EPERM, 0, "no", 2, 1 },
		{ "a positive error", BURROW_CTL_MAGIC, 5, 0, "", 0, 0 },
		{ "an absolute path", BURROW_CTL_MAGIC, 0, 1, "/etc/passwd", 12, 1 },
		{ "a path with ..", BURROW_CTL_MAGIC, 0, 1, "proc/../../etc/passwd", 22, 1 },
		{ "a path of ..", BURROW_CTL_MAGIC, 0, 1, "..", 3, 1 },
		{ "an empty path", BURROW_CTL_MAGIC, 0, 1, "", 1, 1 },
		{ "a doubled slash", BURROW_CTL_MAGIC, 0, 1, "proc//meminfo", 14, 1 },
		{ "an unterminated path", BURROW_CTL_MAGIC, 0, 1, "proc/meminfo", 12, 1 },
		{ "bytes after the paths", BURROW_CTL_MAGIC, 0, 1, "proc/stat\0junk", 15, 1 },
		{ "a short header", BURROW_CTL_MAGIC, 0, 0, NULL, 0, 0 },
	};
	struct burrow_ctl_mounts m;
	char err[128];

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		int before = open_fds(), r;

		err[0] = '\0';
		if (cases[i].body)
			r = exchange(cases[i].magic, cases[i].error, cases[i].n, cases[i].body,
				     cases[i].blen, cases[i].nfds, &m, err, sizeof(err));
		else {
			int sv[2];

			ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
			ck_assert_int_eq(send(sv[0], "BRWC", 4, 0), 4);
			r = burrow_ctl_recv(sv[1], &m, err, sizeof(err));
			close(sv[0]);
			close(sv[1]);
		}
		ck_assert_msg(r == -EPROTO, "%s: %d", cases[i].what, r);
		ck_assert_msg(strstr(err, "malformed"), "%s: '%s'", cases[i].what, err);
		ck_assert_msg(open_fds() == before, "%s: an fd was left open", cases[i].what);
		ck_assert_uint_eq(m.n, 0);
	}
}
END_TEST

/* More fds than a reply may carry: refused, and none of them stays. */
START_TEST(test_recv_too_many_fds)
{
	char body[FDPASS_MAX + 1][8], paths[sizeof(body)];
	struct burrow_ctl_mounts m;
	size_t len = 0;
	int before = open_fds();
	char err[128] = "";

	for (size_t i = 0; i <= FDPASS_MAX; i++) {
		snprintf(body[i], sizeof(body[i]), "f%zu", i);
		memcpy(paths + len, body[i], strlen(body[i]) + 1);
		len += strlen(body[i]) + 1;
	}
	ck_assert_int_eq(exchange(BURROW_CTL_MAGIC, 0, FDPASS_MAX + 1, paths, len, FDPASS_MAX + 1,
				  &m, err, sizeof(err)),
			 -EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "too large"));
	ck_assert_int_eq(open_fds(), before);
	ck_assert_uint_eq(m.n, 0);
}
END_TEST

START_TEST(test_recv_gone)
{
	struct burrow_ctl_mounts m;
	char err[128] = "";
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	close(sv[0]);
	ck_assert_int_eq(burrow_ctl_recv(sv[1], &m, err, sizeof(err)), -ECONNRESET);
	ck_assert_ptr_nonnull(strstr(err, "without a reply"));
	close(sv[1]);
}
END_TEST

/* The launcher's parent relays what it got to its child: the same paths, live fds. */
START_TEST(test_relay)
{
	struct burrow_ctl_mounts a, b;
	char err[128] = "";
	struct stat sa, sb;
	int sv[2], before;

	ck_assert_int_eq(
		exchange(BURROW_CTL_MAGIC, 0, 2, two, sizeof(two), 2, &a, err, sizeof(err)), 0);
	before = open_fds();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(burrow_ctl_send(sv[0], &a), 0);
	ck_assert_int_eq(burrow_ctl_recv(sv[1], &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.n, 2);
	ck_assert_str_eq(burrow_ctl_mounts_path(&b, 1), "proc/pressure/cpu");
	ck_assert_int_eq(fstat(a.fd[1], &sa), 0);
	ck_assert_int_eq(fstat(b.fd[1], &sb), 0);
	ck_assert(sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
	burrow_ctl_mounts_close(&b);
	/* A mount already placed (fd -1) cannot be handed on. */
	closep(&a.fd[0]);
	a.fd[0] = -1;
	ck_assert_int_eq(burrow_ctl_send(sv[0], &a), -EBADF);
	burrow_ctl_mounts_close(&a);
	close(sv[0]);
	close(sv[1]);
	ck_assert_int_eq(open_fds(), before - 2);
}
END_TEST

START_TEST(test_connect_missing)
{
	struct burrow_ctl_mounts m;
	char err[256] = "", buf[64];
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);

	ck_assert_int_ge(pidfd, 0);
	ck_assert_int_eq(burrow_ctl_attach("/nonexistent/burrow-test/control.sock", pidfd, &m, err,
					   sizeof(err)),
			 -ENOENT);
	ck_assert_msg(strstr(err, "/nonexistent/burrow-test/control.sock"), "%s", err);
	ck_assert_int_eq(
		burrow_ctl_stats("/nonexistent/x.sock", buf, sizeof(buf), err, sizeof(err)),
		-ENOENT);
	ck_assert_msg(strstr(err, "/nonexistent/x.sock"), "%s", err);
	close(pidfd);
}
END_TEST

/*
 * A fake daemon on a real socket path: it checks the request as the daemon
 * would (one pidfd for ATTACH, none for STATS) and answers with text.
 */
static pid_t fake_daemon(const char *path, int requests)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ls = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	pid_t pid;

	ck_assert_int_ge(ls, 0);
	strcpy(sa.sun_path, path);
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(ls, 4), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid > 0) {
		close(ls);
		return pid;
	}
	for (int k = 0; k < requests; k++) {
		char buf[64], rbuf[256], link[64], target[64] = "";
		struct burrow_ctl_req q;
		int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC), fd = -1;
		size_t nfds;
		ssize_t n = fdpass_recv(c, buf, sizeof(buf), &fd, 1, &nfds);
		const char *text;

		if (n < 0 || burrow_ctl_req_check(buf, (size_t)n, nfds, &q) < 0)
			_exit(2);
		if (q.op == BURROW_CTL_ATTACH) {
			snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
			if (readlink(link, target, sizeof(target) - 1) < 0 ||
			    strcmp(target, "anon_inode:[pidfd]") != 0)
				_exit(3);
			text = "caller uid 1000 may not act for PID 7";
			n = (ssize_t)reply(rbuf, BURROW_CTL_MAGIC, -EPERM, 0, text, strlen(text));
		} else {
			text = "connections_live 3\nrequests_read 42\n";
			n = (ssize_t)reply(rbuf, BURROW_CTL_MAGIC, 0, 0, text, strlen(text));
		}
		if (send(c, rbuf, (size_t)n, 0) != n)
			_exit(4);
		close(c);
		if (fd >= 0)
			close(fd);
	}
	_exit(0);
}

START_TEST(test_fake_daemon)
{
	char dir[] = "/tmp/burrow-ctltest-XXXXXX", path[128], err[256] = "", text[256];
	struct burrow_ctl_mounts m;
	uint64_t v = 0;
	int pidfd, status;
	pid_t pid;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/control.sock", dir);
	pid = fake_daemon(path, 2);
	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	ck_assert_int_ge(pidfd, 0);
	ck_assert_int_eq(burrow_ctl_attach(path, pidfd, &m, err, sizeof(err)), -EPERM);
	ck_assert_str_eq(err, "caller uid 1000 may not act for PID 7");
	ck_assert_int_eq(burrow_ctl_stats(path, text, sizeof(text), err, sizeof(err)),
			 (int)strlen("connections_live 3\nrequests_read 42\n"));
	ck_assert_int_eq(keyval_u64(text, "requests_read", &v), 0);
	ck_assert_uint_eq(v, 42);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "fake daemon: %d", status);
	close(pidfd);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* Fixture for placing: a one-file mount to place, as the daemon would send it. */
static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void read_eq(const char *path, const char *text)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_ge(read(fd, buf, sizeof(buf) - 1), 0);
	close(fd);
	ck_assert_msg(strcmp(buf, text) == 0, "%s holds '%s', not '%s'", path, buf, text);
}

/* m holds one detached clone of src, to go on path. */
static void one_mount(struct burrow_ctl_mounts *m, const char *src, const char *path)
{
	burrow_ctl_mounts_init(m);
	m->fd[0] = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	ck_assert_int_ge(m->fd[0], 0);
	m->off[0] = 0;
	strcpy(m->buf, path);
	m->n = 1;
}

/* Runs in a mount namespace of its own, so nothing it mounts reaches the host. */
static void place_traps(const char *d)
{
	char p[256], q[256];
	struct burrow_ctl_mounts m;
	uint32_t placed = 99, failed = 99;
	int root;

	snprintf(p, sizeof(p), "%s/src", d);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(mount("tmpfs", p, "tmpfs", 0, "size=64k"), 0);
	snprintf(p, sizeof(p), "%s/src/meminfo", d);
	write_file(p, "container");
	snprintf(p, sizeof(p), "%s/src/dir", d);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	/* The rootfs: a real target, and traps. */
	snprintf(p, sizeof(p), "%s/root", d);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/root/proc", d);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/root/proc/meminfo", d);
	write_file(p, "host");
	snprintf(p, sizeof(p), "%s/outside", d);
	write_file(p, "outside");
	snprintf(p, sizeof(p), "%s/root/etc-passwd", d);
	write_file(p, "guest");
	/* Absolute and relative symlinks: in the root or out of it, all refused. */
	snprintf(p, sizeof(p), "%s/root/proc/stat", d);
	ck_assert_int_eq(symlink("/etc-passwd", p), 0);
	snprintf(p, sizeof(p), "%s/root/proc/uptime", d);
	ck_assert_int_eq(symlink("../../outside", p), 0);
	snprintf(p, sizeof(p), "%s/root/proc/loadavg", d);
	ck_assert_int_eq(symlink("/proc/self/root/outside", p), 0);
	snprintf(p, sizeof(p), "%s/root/sys", d);
	snprintf(q, sizeof(q), "%s", d);
	ck_assert_int_eq(symlink(q, p), 0);
	snprintf(p, sizeof(p), "%s/root/proc/cpuinfo", d);
	ck_assert_int_eq(mkdir(p, 0755), 0);

	snprintf(p, sizeof(p), "%s/root", d);
	root = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(root, 0);
	snprintf(q, sizeof(q), "%s/src/meminfo", d);

	one_mount(&m, q, "proc/meminfo");
	ck_assert_int_eq(burrow_ctl_place(&m, root, &placed, &failed), 0);
	ck_assert_uint_eq(placed, 1);
	ck_assert_int_eq(m.fd[0], -1);
	snprintf(p, sizeof(p), "%s/root/proc/meminfo", d);
	read_eq(p, "container");
	/* Asked again: the same connection is there already, nothing stacks. */
	one_mount(&m, q, "proc/meminfo");
	ck_assert_int_eq(burrow_ctl_place(&m, root, &placed, &failed), 0);
	ck_assert_uint_eq(placed, 0);

	static const struct {
		const char *path;
		int err;
	} traps[] = {
		{ "proc/stat", -ELOOP },     /* absolute symlink, inside the root */
		{ "proc/uptime", -ELOOP },   /* ".." out of the root */
		{ "proc/loadavg", -ELOOP },  /* a magic link */
		{ "sys/outside", -ELOOP },   /* a directory symlink on the way */
		{ "proc/cpuinfo", -EISDIR }, /* a file over a directory */
	};
	for (size_t i = 0; i < ELEMENTSOF(traps); i++) {
		one_mount(&m, q, traps[i].path);
		failed = 99;
		ck_assert_msg(burrow_ctl_place(&m, root, &placed, &failed) == traps[i].err, "%s",
			      traps[i].path);
		ck_assert_uint_eq(failed, 0);
		ck_assert_uint_eq(placed, 0);
		burrow_ctl_mounts_close(&m);
	}
	snprintf(p, sizeof(p), "%s/outside", d);
	read_eq(p, "outside");
	snprintf(p, sizeof(p), "%s/root/etc-passwd", d);
	read_eq(p, "guest");

	/* A directory over a file, and a target that is not there: skipped. */
	snprintf(q, sizeof(q), "%s/src/dir", d);
	one_mount(&m, q, "proc/meminfo");
	ck_assert_int_eq(burrow_ctl_place(&m, root, &placed, &failed), -ENOTDIR);
	burrow_ctl_mounts_close(&m);
	one_mount(&m, q, "proc/pressure/cpu");
	ck_assert_int_eq(burrow_ctl_place(&m, root, &placed, &failed), 0);
	ck_assert_uint_eq(placed, 0);
	burrow_ctl_mounts_close(&m);
	close(root);
}

START_TEST(test_place)
{
	char d[] = "/tmp/burrow-ctlplace-XXXXXX", cmd[128];
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		fprintf(stderr, "# placing needs root: skipped\n");
		return;
	}
	ck_assert_ptr_nonnull(mkdtemp(d));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(5);
		place_traps(d);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	/* The namespace went with the child: only plain files and links are left. */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", d);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "placing: status %d", status);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctlclient");
	TCase *tc = tcase_create("ctlclient");

	tcase_add_test(tc, test_recv_good);
	tcase_add_test(tc, test_recv_daemon_error);
	tcase_add_test(tc, test_recv_malformed);
	tcase_add_test(tc, test_recv_too_many_fds);
	tcase_add_test(tc, test_recv_gone);
	tcase_add_test(tc, test_relay);
	tcase_add_test(tc, test_connect_missing);
	tcase_add_test(tc, test_fake_daemon);
	tcase_add_test(tc, test_place);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
