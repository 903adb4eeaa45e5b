/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgtree.h"
#include "fileio.h"
#include "fixture.h"
#include "macro.h"
#include "pidns.h"
#include "resolve.h"

#define C1_NS	 UINT64_C(4026532500)
#define OTHER_NS UINT64_C(4026532600)

static const char *norm(const char *in, int *ret_r)
{
	static char buf[BURROW_CGTREE_PATH_MAX];

	*ret_r = burrow_cgtree_normalize(in, buf, sizeof(buf));
	return buf;
}

START_TEST(test_normalize)
{
	int r;

	ck_assert_str_eq(norm("a//b/./c/", &r), "a/b/c");
	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(norm("", &r), "");
	ck_assert_str_eq(norm("./.", &r), "");
	norm("../x", &r);
	ck_assert_int_eq(r, -EPERM);
	norm("a/../b", &r);
	ck_assert_int_eq(r, -EPERM);
	norm("a/..", &r);
	ck_assert_int_eq(r, -EPERM);
	norm("/etc/passwd", &r);
	ck_assert_int_eq(r, -EINVAL);
	/* "..." and "..x" are ordinary names. */
	ck_assert_str_eq(norm(".../..x", &r), ".../..x");
	ck_assert_int_eq(r, 0);
}
END_TEST

START_TEST(test_hier_name)
{
	char b[64];

	ck_assert_int_eq(burrow_cgtree_hier_name("rw,xattr,name=systemd", false, b, sizeof(b)), 0);
	ck_assert_str_eq(b, "systemd");
	ck_assert_int_eq(burrow_cgtree_hier_name("rw,cpu,cpuacct", false, b, sizeof(b)), 0);
	ck_assert_str_eq(b, "cpu,cpuacct");
	ck_assert_int_eq(burrow_cgtree_hier_name("rw,memory", false, b, sizeof(b)), 0);
	ck_assert_str_eq(b, "memory");
	ck_assert_int_eq(burrow_cgtree_hier_name("rw,release_agent=/x/y,pids", false, b, sizeof(b)),
			 0);
	ck_assert_str_eq(b, "pids");
	ck_assert_int_eq(burrow_cgtree_hier_name("cpu memory io", true, b, sizeof(b)), 0);
	ck_assert_str_eq(b, "unified");
	ck_assert_int_eq(burrow_cgtree_hier_name("rw", false, b, sizeof(b)), -EINVAL);
	ck_assert_int_eq(burrow_cgtree_hier_name("rw,cpu,cpuacct", false, b, 4), -ENAMETOOLONG);
}
END_TEST

START_TEST(test_strip_init_scope)
{
	static const char *const cases[][2] = {
		{ "lxc/c1/init.scope", "lxc/c1" },
		{ "init.scope", "" },
		{ "/lxc/c1/init.scope", "/lxc/c1" },
		{ "/init.scope", "/" },
		{ "lxc/c1", "lxc/c1" },
		{ "lxc/xinit.scope", "lxc/xinit.scope" },
		{ "init.scope/a", "init.scope/a" },
		{ "", "" },
		{ "/", "/" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char b[64];

		snprintf(b, sizeof(b), "%s", cases[i][0]);
		burrow_cgtree_strip_init_scope(b);
		ck_assert_msg(strcmp(b, cases[i][1]) == 0, "'%s' gave '%s', want '%s'", cases[i][0],
			      b, cases[i][1]);
	}
}
END_TEST

static void proc_path(const char *text, const char *ctl, bool v2, int want_r, const char *want)
{
	char b[BURROW_CGTREE_PATH_MAX];
	int r = burrow_cgtree_proc_path(text, ctl, v2, b, sizeof(b));

	ck_assert_msg(r == want_r, "%s: got %d, want %d", ctl, r, want_r);
	if (r == 0) {
		burrow_cgtree_strip_init_scope(b);
		ck_assert_str_eq(b, want);
	}
}

START_TEST(test_proc_path_v1)
{
	_cleanup_free_ char *text = fixture_read("cgtree-v1", "proc/1000/cgroup");

	proc_path(text, "rw,memory", false, 0, "lxc/c1");
	/* Co-mounted controllers match whatever order either side lists them in. */
	proc_path(text, "rw,cpuacct,cpu", false, 0, "lxc/c1");
	proc_path(text, "rw,cpu", false, -ENOENT, NULL);
	/* systemd's init.scope is the init's, not the container's. */
	proc_path(text, "rw,xattr,name=systemd", false, 0, "lxc/c1");
	proc_path(text, "rw,pids", false, 0, "lxc/c1");
	proc_path(text, "", true, 0, "lxc/c1");
	proc_path(text, "rw,blkio", false, -ENOENT, NULL);
}
END_TEST

START_TEST(test_proc_path_v2)
{
	_cleanup_free_ char *text = fixture_read("cgtree-v2", "proc/2000/cgroup");

	proc_path(text, "memory pids", true, 0, "user.slice/user-1000.slice/burrow/c1");
	proc_path(text, "rw,memory", false, -ENOENT, NULL);
	proc_path("0::relative\n", "", true, -EINVAL, NULL);
	proc_path("0::/a/../../etc\n", "", true, -EPERM, NULL);
}
END_TEST

static void where(const char *top, const char *rel, enum burrow_cgtree_where want,
		  const char *want_next)
{
	const char *next = NULL;
	size_t n = 0;
	enum burrow_cgtree_where w = burrow_cgtree_where(top, rel, &next, &n);

	ck_assert_msg(w == want, "top '%s' rel '%s': got %d, want %d", top, rel, w, want);
	if (want_next) {
		ck_assert_uint_eq(n, strlen(want_next));
		ck_assert(strncmp(next, want_next, n) == 0);
	}
}

START_TEST(test_where)
{
	where("lxc/c1", "", BURROW_CGTREE_ABOVE, "lxc");
	where("lxc/c1", "lxc", BURROW_CGTREE_ABOVE, "c1");
	where("lxc/c1", "lxc/c1", BURROW_CGTREE_INSIDE, NULL);
	where("lxc/c1", "lxc/c1/sub/x", BURROW_CGTREE_INSIDE, NULL);
	where("lxc/c1", "lxc/c10", BURROW_CGTREE_OUTSIDE, NULL);
	where("lxc/c1", "lxc/c", BURROW_CGTREE_OUTSIDE, NULL);
	where("lxc/c1", "lxc/c2", BURROW_CGTREE_OUTSIDE, NULL);
	where("lxc/c1", "lxc/memory.limit_in_bytes", BURROW_CGTREE_OUTSIDE, NULL);
	where("lxc/c1", "other", BURROW_CGTREE_OUTSIDE, NULL);
	where("", "", BURROW_CGTREE_INSIDE, NULL);
	where("", "anything/below", BURROW_CGTREE_INSIDE, NULL);
}
END_TEST

START_TEST(test_open_beneath)
{
	_cleanup_close_ int root = fixture_root("cgtree-v1");
	_cleanup_close_ int mem = openat(root, "sys/fs/cgroup/memory", O_PATH | O_DIRECTORY);
	char buf[64];
	int fd;

	ck_assert_int_ge(mem, 0);
	fd = burrow_cgtree_open_beneath(mem, "lxc/c1/memory.limit_in_bytes", O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf) - 1), 10);
	ck_assert(memcmp(buf, "268435456\n", 10) == 0);
	close(fd);
	/* Symlinks are never followed, wherever they are in the path. */
	ck_assert_int_eq(burrow_cgtree_open_beneath(mem, "lxc/c1/evil/passwd", O_RDONLY, 0),
			 -ELOOP);
	ck_assert_int_eq(burrow_cgtree_open_beneath(mem, "lxc/c1/sibling/memory.limit_in_bytes",
						    O_RDONLY, 0),
			 -ELOOP);
	ck_assert_int_eq(burrow_cgtree_open_beneath(mem, "lxc/c1/evil", O_RDONLY, 0), -ELOOP);
	/* ...but a symlink itself can be looked at (readlink). */
	fd = burrow_cgtree_open_beneath(mem, "lxc/c1/evil", O_PATH | O_NOFOLLOW, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* Nothing leaves the hierarchy. */
	ck_assert_int_eq(burrow_cgtree_open_beneath(mem, "../memory/lxc", O_PATH, 0), -EXDEV);
	ck_assert_int_eq(burrow_cgtree_open_beneath(mem, "/etc/passwd", O_RDONLY, 0), -EXDEV);
	fd = burrow_cgtree_open_beneath(mem, "", O_PATH | O_DIRECTORY, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
}
END_TEST

START_TEST(test_pid_to_ns)
{
	_cleanup_close_ int root = fixture_root("cgtree-v1");
	struct burrow_pidns ns;
	pid_t p = 0;

	ck_assert_int_eq(burrow_pidns_of(root, 1000, &ns), 0);
	ck_assert_uint_eq(ns.inode, C1_NS);
	ck_assert_uint_eq(ns.level, 2);
	ck_assert_int_eq(burrow_pid_to_ns(root, 1000, &ns, &p), 0);
	ck_assert_int_eq(p, 1);
	ck_assert_int_eq(burrow_pid_to_ns(root, 4001, &ns, &p), 0);
	ck_assert_int_eq(p, 2);
	/* Another container at the same level, and the host: not there. */
	ck_assert_int_eq(burrow_pid_to_ns(root, 4002, &ns, &p), -ESRCH);
	ck_assert_int_eq(burrow_pid_to_ns(root, 700, &ns, &p), -ESRCH);
	ck_assert_int_eq(burrow_pid_to_ns(root, 999999, &ns, &p), -ESRCH);
	/* The host's namespace numbers everyone as itself. */
	ns = (struct burrow_pidns){ .inode = UINT64_C(4026531836), .level = 1 };
	ck_assert_int_eq(burrow_pid_to_ns(root, 4002, &ns, &p), 0);
	ck_assert_int_eq(p, 4002);
}
END_TEST

START_TEST(test_pid_from_ns)
{
	_cleanup_close_ int root = fixture_root("cgtree-v1");
	struct burrow_pidns ns = { .inode = C1_NS, .level = 2 };
	struct burrow_pidns other = { .inode = OTHER_NS, .level = 2 };
	pid_t p = 0;

	ck_assert_int_eq(burrow_pid_from_ns(root, 2, &ns, false, &p), 0);
	ck_assert_int_eq(p, 4001);
	ck_assert_int_eq(burrow_pid_from_ns(root, 1, &ns, false, &p), 0);
	ck_assert_int_eq(p, 1000);
	/* 7 is a pid of the other container only; 700 is a host pid. */
	ck_assert_int_eq(burrow_pid_from_ns(root, 7, &ns, false, &p), -ESRCH);
	ck_assert_int_eq(burrow_pid_from_ns(root, 700, &ns, false, &p), -ESRCH);
	ck_assert_int_eq(burrow_pid_from_ns(root, 7, &other, false, &p), 0);
	ck_assert_int_eq(p, 4002);
	ck_assert_int_eq(burrow_pid_from_ns(root, 0, &ns, false, &p), -ESRCH);
	ck_assert_int_eq(burrow_pid_from_ns(root, -5, &ns, false, &p), -ESRCH);
	/* A thread id: only the tasks file takes those. */
	ck_assert_int_eq(burrow_pid_from_ns(root, 3, &ns, false, &p), -ESRCH);
	ck_assert_int_eq(burrow_pid_from_ns(root, 3, &ns, true, &p), 0);
	ck_assert_int_eq(p, 4003);
}
END_TEST

/* The bounded search: only the threads the container's cgroups list are candidates. */
START_TEST(test_pid_from_ns_in)
{
	_cleanup_close_ int root = fixture_root("cgtree-v1");
	struct burrow_pidns ns = { .inode = C1_NS, .level = 2 };
	struct burrow_pidns other = { .inode = OTHER_NS, .level = 2 };
	const char *c1 = "sys/fs/cgroup/memory/lxc/c1";
	pid_t p = 0;

	ck_assert_int_eq(burrow_pid_from_ns_in(root, c1, false, 1, &ns, &p), 0);
	ck_assert_int_eq(p, 1000);
	/* 4001 is listed in c1/sub: descendants are searched. */
	ck_assert_int_eq(burrow_pid_from_ns_in(root, c1, false, 2, &ns, &p), 0);
	ck_assert_int_eq(p, 4001);
	/* 4002 (pid 7 of the other container) sits in c2, outside c1's subtree. */
	ck_assert_int_eq(burrow_pid_from_ns_in(root, c1, false, 7, &ns, &p), -ESRCH);
	ck_assert_int_eq(burrow_pid_from_ns_in(root, c1, false, 7, &other, &p), -ESRCH);
	ck_assert_int_eq(
		burrow_pid_from_ns_in(root, "sys/fs/cgroup/memory/lxc/c2", false, 7, &other, &p),
		0);
	ck_assert_int_eq(p, 4002);
	/* A pid of the host, and no pid at all. */
	ck_assert_int_eq(burrow_pid_from_ns_in(root, c1, false, 700, &ns, &p), -ESRCH);
	ck_assert_int_eq(burrow_pid_from_ns_in(root, c1, false, 0, &ns, &p), -ESRCH);
	/* No kernel to ask on a fixture: the ioctl says so, and callers fall back. */
	ck_assert_int_eq(burrow_tid_from_ns_ioctl(root, 1000, C1_NS, 2, &p), -EOPNOTSUPP);
}
END_TEST

START_TEST(test_translate_list)
{
	_cleanup_close_ int root = fixture_root("cgtree-v1");
	struct burrow_pidns ns = { .inode = C1_NS, .level = 2 };
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;

	ck_assert_int_eq(burrow_cgtree_translate_pids(
				 root, "700\n1000\n4001\n4002\nbogus\n\n999999\n", &ns, &out),
			 0);
	ck_assert_str_eq(out.buf, "1\n2\n");
}
END_TEST

START_TEST(test_nested_v2)
{
	_cleanup_close_ int root = fixture_root("cgtree-v2");
	struct burrow_pidns ns;
	pid_t l[8];
	pid_t p = 0;

	ck_assert_int_eq(burrow_nspid_list(root, 5001, l, ELEMENTSOF(l)), 3);
	ck_assert_int_eq(l[1], 4);
	ck_assert_int_eq(burrow_pidns_of(root, 2000, &ns), 0);
	ck_assert_uint_eq(ns.level, 2);
	/*
	 * 5001 lives one namespace below c1's: only the kernel (NS_GET_PARENT)
	 * can prove that, and a fixture has no kernel namespaces, so it stays
	 * out rather than being guessed in.
	 */
	ck_assert_int_eq(burrow_pid_to_ns(root, 5001, &ns, &p), -ESRCH);
	ck_assert_int_eq(burrow_pid_to_ns(root, 2000, &ns, &p), 0);
	ck_assert_int_eq(p, 1);
}
END_TEST

START_TEST(test_id_map)
{
	_cleanup_close_ int root = fixture_root("cgtree-v1");
	uint32_t in = 0;

	ck_assert_int_eq(burrow_id_to_ns(root, 1000, false, 100000, &in), 0);
	ck_assert_uint_eq(in, 0);
	ck_assert_int_eq(burrow_id_to_ns(root, 1000, true, 101000, &in), 0);
	ck_assert_uint_eq(in, 1000);
	ck_assert_int_eq(burrow_id_to_ns(root, 1000, false, 165536, &in), -ENOENT);
	ck_assert_int_eq(burrow_id_to_ns(root, 1000, false, 0, &in), -ENOENT);
	ck_assert_int_eq(burrow_id_to_ns(root, 12345, false, 0, &in), -ESRCH);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cgtree");
	TCase *tc = tcase_create("paths");

	tcase_add_test(tc, test_normalize);
	tcase_add_test(tc, test_hier_name);
	tcase_add_test(tc, test_strip_init_scope);
	tcase_add_test(tc, test_proc_path_v1);
	tcase_add_test(tc, test_proc_path_v2);
	tcase_add_test(tc, test_where);
	tcase_add_test(tc, test_open_beneath);
	suite_add_tcase(s, tc);
	tc = tcase_create("pids");
	tcase_add_test(tc, test_pid_to_ns);
	tcase_add_test(tc, test_pid_from_ns);
	tcase_add_test(tc, test_pid_from_ns_in);
	tcase_add_test(tc, test_translate_list);
	tcase_add_test(tc, test_nested_v2);
	tcase_add_test(tc, test_id_map);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
