/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "fixture.h"
#include "macro.h"
#include "parse.h"
#include "resolve.h"

#define HOST_NS	   UINT64_C(4026531836)
#define WALK_NS	   UINT64_C(4026532500)
#define NEST_NS	   UINT64_C(4026532600)
#define SETNS_X	   UINT64_C(4026532700)
#define SETNS_Y	   UINT64_C(4026532800)
#define NO_SUCH_NS UINT64_C(4026599999)

static pid_t init_of(int root_fd, pid_t pid, uint64_t ns, int (*fn)(int, pid_t, uint64_t, pid_t *))
{
	pid_t init = -1;
	int r = fn(root_fd, pid, ns, &init);

	ck_assert_msg(r == 0, "resolving %d: %s", (int)pid, strerror(-r));
	return init;
}

START_TEST(test_walk_up)
{
	_cleanup_close_ int root = fixture_root("resolve-walk");
	pid_t init = -1;
	uint64_t ns;

	ck_assert_int_eq(burrow_pidns_inode(root, 1234, &ns), 0);
	ck_assert_uint_eq(ns, WALK_NS);
	/* A fixture has no namespace file to ask. */
	ck_assert_int_eq(burrow_init_by_ioctl(root, 1234, &init), -EOPNOTSUPP);
	ck_assert_int_eq(init_of(root, 1234, WALK_NS, burrow_init_by_walk), 1000);
	ck_assert_int_eq(init_of(root, 1000, WALK_NS, burrow_init_by_walk), 1000);
	ck_assert_int_eq(init_of(root, 1001, WALK_NS, burrow_init_by_walk), 1000);
	ck_assert_int_eq(init_of(root, 1234, WALK_NS, burrow_find_init), 1000);
	ck_assert_int_eq(init_of(root, 1301, NEST_NS, burrow_init_by_walk), 1300);
	ck_assert_int_eq(burrow_init_by_scan(root, WALK_NS, &init), 0);
	ck_assert_int_eq(init, 1000);
	ck_assert_int_eq(burrow_init_by_scan(root, NEST_NS, &init), 0);
	ck_assert_int_eq(init, 1300);
	ck_assert_int_eq(burrow_init_by_scan(root, NO_SUCH_NS, &init), -ESRCH);
}
END_TEST

START_TEST(test_walk_wrong_namespace)
{
	_cleanup_close_ int root = fixture_root("resolve-walk");
	pid_t init = -1;

	/* The chain's init belongs to another namespace than asked for. */
	ck_assert_int_eq(burrow_init_by_walk(root, 1234, NEST_NS, &init), -ESRCH);
	ck_assert_int_eq(init, -1);
}
END_TEST

START_TEST(test_gone)
{
	_cleanup_close_ int root = fixture_root("resolve-walk");
	struct burrow_nspid st;
	pid_t init = -1;
	uint64_t ns;

	ck_assert_int_eq(burrow_pidns_inode(root, 4242, &ns), -ESRCH);
	ck_assert_int_eq(burrow_proc_nspid(root, 4242, &st), -ESRCH);
	ck_assert_int_eq(burrow_init_by_walk(root, 4242, WALK_NS, &init), -ESRCH);
	ck_assert_int_eq(burrow_find_init(root, 4242, WALK_NS, &init), -ESRCH);
	ck_assert_int_eq(init, -1);
}
END_TEST

START_TEST(test_setns)
{
	_cleanup_close_ int root = fixture_root("resolve-setns");
	pid_t init = -1;
	uint64_t ns;

	ck_assert_int_eq(burrow_pidns_inode(root, 2000, &ns), 0);
	ck_assert_uint_eq(ns, SETNS_X);
	ck_assert_int_eq(burrow_init_by_walk(root, 2000, SETNS_X, &init), -ENOENT);
	ck_assert_int_eq(init, -1);
	ck_assert_int_eq(burrow_init_by_scan(root, SETNS_X, &init), 0);
	ck_assert_int_eq(init, 1000);
	ck_assert_int_eq(burrow_init_by_scan(root, SETNS_Y, &init), 0);
	ck_assert_int_eq(init, 3000);
	ck_assert_int_eq(init_of(root, 2000, SETNS_X, burrow_find_init), 1000);
	ck_assert_int_eq(init_of(root, 1010, SETNS_X, burrow_find_init), 1000);
}
END_TEST

START_TEST(test_host)
{
	_cleanup_close_ int root = fixture_root("resolve-host");
	struct burrow_nspid st;
	uint64_t self, ns;

	ck_assert_int_eq(burrow_pidns_inode(root, 750, &ns), 0);
	ck_assert_int_eq(burrow_pidns_inode(root, 0, &self), -ESRCH);
	{
		char link[64];
		ssize_t n = readlinkat(root, "proc/self/ns/pid", link, sizeof(link) - 1);

		ck_assert_int_gt(n, 0);
		link[n] = '\0';
		ck_assert_str_eq(link, "pid:[4026531836]");
	}
	ck_assert_uint_eq(ns, HOST_NS);
	ck_assert_int_eq(burrow_proc_nspid(root, 750, &st), 0);
	ck_assert_int_eq(st.ppid, 700);
	ck_assert_uint_eq(st.depth, 1);
	ck_assert_int_eq(st.inner, 750);
	ck_assert_int_eq(init_of(root, 750, HOST_NS, burrow_init_by_walk), 1);
	ck_assert_int_eq(burrow_proc_nspid(root, 760, &st), -EOPNOTSUPP);
}
END_TEST

START_TEST(test_nspid_parse)
{
	_cleanup_close_ int root = fixture_root("resolve-walk");
	struct burrow_nspid st;

	ck_assert_int_eq(burrow_proc_nspid(root, 1301, &st), 0);
	ck_assert_int_eq(st.tgid, 1301);
	ck_assert_int_eq(st.ppid, 1300);
	ck_assert_uint_eq(st.depth, 3);
	ck_assert_int_eq(st.inner, 2);
	ck_assert_int_eq(burrow_proc_nspid(root, 1, &st), 0);
	ck_assert_int_eq(st.ppid, 0);
	ck_assert_uint_eq(st.depth, 1);
	ck_assert_int_eq(st.inner, 1);
	ck_assert_int_eq(burrow_proc_nspid(root, 1001, &st), 0);
	ck_assert_int_eq(st.tgid, 1000);
	ck_assert_int_eq(st.ppid, 900);
	ck_assert_uint_eq(st.depth, 2);
	ck_assert_int_eq(st.inner, 2);
}
END_TEST

/*
 * The real kernel: a pid namespace whose init has a child (the walk case)
 * and a sibling forked from outside after the unshare (the setns case: its
 * parent, a helper, stays in the outer namespace). The helper does the
 * unshare so that this process never does: sanitizers' own helper tasks must
 * still be able to fork after the namespace is gone.
 */
struct live {
	pid_t helper, init, child, outsider;
	uint64_t ns;
};

static void helper_main(int fd)
{
	pid_t pids[2] = { -1, -1 };

	/* A failed assertion ends the test without teardown: take everything along. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (unshare(CLONE_NEWPID) == 0) {
		pids[0] = fork();
		if (pids[0] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			/* pid 1 of the new namespace: one child, then wait to be killed. */
			if (fork() == 0)
				for (;;)
					pause();
			for (;;)
				pause();
		}
		pids[1] = fork();
		if (pids[1] == 0)
			for (;;)
				pause();
	}
	(void)!write(fd, pids, sizeof(pids));
	close(fd);
	/* Reap both once the test kills the init (which takes the outsider along). */
	while (wait(NULL) > 0 || errno == EINTR)
		;
	_exit(0);
}

static pid_t read_child(int root_fd, pid_t parent)
{
	char path[64], buf[64];
	const char *p = buf;
	uint64_t v;

	snprintf(path, sizeof(path), "proc/%d/task/%d/children", (int)parent, (int)parent);
	/* The init forks its child on its own schedule: give it two seconds. */
	for (int i = 0; i < 200; i++) {
		p = buf;
		if (read_small_at(root_fd, path, buf, sizeof(buf), NULL) == 0 &&
		    parse_u64_prefix(&p, &v) == 0)
			return (pid_t)v;
		usleep(10000);
	}
	ck_abort_msg("the namespace init has no child");
	return -1;
}

static bool live_setup(int root_fd, struct live *l)
{
	pid_t pids[2];
	int fds[2];

	if (geteuid() != 0) {
		fprintf(stderr, "# live namespace tests skipped: not root\n");
		return false;
	}
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	l->helper = fork();
	ck_assert_int_ge(l->helper, 0);
	if (l->helper == 0) {
		close(fds[0]);
		helper_main(fds[1]);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], pids, sizeof(pids)), sizeof(pids));
	close(fds[0]);
	if (pids[0] < 0 || pids[1] < 0) {
		fprintf(stderr, "# live namespace tests skipped: cannot unshare a pid namespace\n");
		waitpid(l->helper, NULL, 0);
		return false;
	}
	l->init = pids[0];
	l->outsider = pids[1];
	l->child = read_child(root_fd, l->init);
	return true;
}

static void live_teardown(struct live *l)
{
	/* Killing the init kills its whole namespace; the helper reaps both and exits. */
	kill(l->init, SIGKILL);
	waitpid(l->helper, NULL, 0);
}

START_TEST(test_live)
{
	_cleanup_close_ int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct burrow_nspid st, me;
	struct live l;
	uint64_t ns, self;
	pid_t init = -1;
	int r;

	ck_assert_int_ge(root, 0);
	if (!live_setup(root, &l))
		return;
	ck_assert_int_eq(burrow_pidns_inode(root, l.init, &l.ns), 0);
	ck_assert_int_eq(burrow_pidns_inode(root, getpid(), &self), 0);
	ck_assert_uint_ne(l.ns, self);
	for (pid_t *p = (pid_t[]){ l.child, l.outsider }, *end = p + 2; p < end; p++) {
		ck_assert_int_eq(burrow_pidns_inode(root, *p, &ns), 0);
		ck_assert_uint_eq(ns, l.ns);
	}

	ck_assert_int_eq(burrow_proc_nspid(root, getpid(), &me), 0);
	ck_assert_int_eq(burrow_proc_nspid(root, l.child, &st), 0);
	ck_assert_int_eq(st.ppid, l.init);
	/* The outsider and the child race for inner pids 2 and 3. */
	ck_assert_int_gt(st.inner, 1);
	ck_assert_uint_eq(st.depth, me.depth + 1);
	ck_assert_int_eq(init_of(root, l.child, l.ns, burrow_init_by_walk), l.init);
	ck_assert_int_eq(burrow_init_by_walk(root, l.outsider, l.ns, &init), -ENOENT);
	ck_assert_int_eq(burrow_init_by_scan(root, l.ns, &init), 0);
	ck_assert_int_eq(init, l.init);
	ck_assert_int_eq(init_of(root, l.outsider, l.ns, burrow_find_init), l.init);

	r = burrow_init_by_ioctl(root, l.outsider, &init);
	if (r == -EOPNOTSUPP)
		fprintf(stderr, "# NS_GET_TGID_FROM_PIDNS not supported by this kernel\n");
	else {
		ck_assert_int_eq(r, 0);
		ck_assert_int_eq(init, l.init);
	}
	live_teardown(&l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("fixtures");

	tcase_add_test(tc, test_walk_up);
	tcase_add_test(tc, test_walk_wrong_namespace);
	tcase_add_test(tc, test_gone);
	tcase_add_test(tc, test_setns);
	tcase_add_test(tc, test_host);
	tcase_add_test(tc, test_nspid_parse);
	suite_add_tcase(s, tc);

	tc = tcase_create("live");
	tcase_add_test(tc, test_live);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
