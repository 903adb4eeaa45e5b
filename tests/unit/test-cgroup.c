/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "macro.h"

static struct burrow_layout *load_layout(int root_fd)
{
	struct burrow_layout *l = NULL;

	ck_assert_int_eq(burrow_layout_load(root_fd, &l), 0);
	return l;
}

START_TEST(test_v2_layout)
{
	_cleanup_close_ int root = fixture_root("cgroup-v2");
	struct burrow_layout *l = load_layout(root);

	ck_assert_uint_eq(l->n, 1);
	ck_assert(l->h[0].v2);
	ck_assert_str_eq(l->h[0].mount, "sys/fs/cgroup");
	/* Every slot lands on the one unified hierarchy. */
	for (int s = 0; s < _BURROW_CG_MAX; s++)
		ck_assert_int_eq(l->index[s], 0);
	burrow_layout_free(l);
}
END_TEST

START_TEST(test_v2_container)
{
	_cleanup_close_ int root = fixture_root("cgroup-v2");
	struct burrow_container c;
	uint64_t v;

	fixture_container(root, &c);
	ck_assert_str_eq(c.cg[BURROW_CG_MEMORY].path, "sys/fs/cgroup/sample/child");
	ck_assert_uint_eq(c.cg[BURROW_CG_MEMORY].mount_len, strlen("sys/fs/cgroup"));
	ck_assert(c.cg[BURROW_CG_MEMORY].v2);
	ck_assert_str_eq(c.cg[BURROW_CG_UNIFIED].path, "sys/fs/cgroup/sample/child");
	ck_assert_int_eq(c.init_pid, FIXTURE_PID);
	/* Field 22 of a stat line whose comm holds spaces and parentheses. */
	ck_assert_uint_eq(c.init_start, 123456);

	/* sample/ has 300 MiB, sample/child/ 200 MiB: the child's is tighter. */
	ck_assert_int_eq(cg_min_u64(root, &c.cg[BURROW_CG_MEMORY], "memory.max", &v), 0);
	ck_assert_uint_eq(v, 209715200);
	/* child says max, sample/ 100 MiB: the parent's wins. */
	ck_assert_int_eq(cg_min_u64(root, &c.cg[BURROW_CG_MEMORY], "memory.swap.max", &v), 0);
	ck_assert_uint_eq(v, 104857600);
	ck_assert_int_eq(cg_min_u64(root, &c.cg[BURROW_CG_MEMORY], "memory.nonexistent", &v),
			 -ENODATA);
	burrow_container_done(&c);
}
END_TEST

START_TEST(test_hybrid_layout)
{
	_cleanup_close_ int root = fixture_root("cgroup-hybrid");
	struct burrow_layout *l = load_layout(root);
	int sd;

	/* cpu,cpuacct co-mounted: both slots share one hierarchy. */
	ck_assert_int_ge(l->index[BURROW_CG_CPU], 0);
	ck_assert_int_eq(l->index[BURROW_CG_CPU], l->index[BURROW_CG_CPUACCT]);
	ck_assert_str_eq(l->h[l->index[BURROW_CG_CPU]].mount, "sys/fs/cgroup/cpu,cpuacct");
	ck_assert(!l->h[l->index[BURROW_CG_MEMORY]].v2);
	/* The unified mount has no controllers, so it serves only PSI and systemd-less slots. */
	ck_assert(l->h[l->index[BURROW_CG_UNIFIED]].v2);
	ck_assert_str_eq(l->h[l->index[BURROW_CG_UNIFIED]].controllers, "");
	/* name=systemd mounted twice: the mount showing the real root is kept. */
	sd = l->index[BURROW_CG_SYSTEMD];
	ck_assert_str_eq(l->h[sd].mount, "sys/fs/cgroup/systemd");
	ck_assert_str_eq(l->h[sd].root, "/");
	burrow_layout_free(l);
}
END_TEST

START_TEST(test_hybrid_container)
{
	_cleanup_close_ int root = fixture_root("cgroup-hybrid");
	struct burrow_container c;
	uint64_t v;

	fixture_container(root, &c);
	ck_assert_str_eq(c.cg[BURROW_CG_MEMORY].path, "sys/fs/cgroup/memory/lxc/c1/sub");
	ck_assert_str_eq(c.cg[BURROW_CG_CPU].path, "sys/fs/cgroup/cpu,cpuacct/lxc/c1");
	ck_assert_str_eq(c.cg[BURROW_CG_CPUACCT].path, "sys/fs/cgroup/cpu,cpuacct/lxc/c1");
	/* The fixture's init sits in init.scope: the container is its parent. */
	ck_assert_str_eq(c.cg[BURROW_CG_SYSTEMD].path, "sys/fs/cgroup/systemd/lxc/c1");
	ck_assert_str_eq(c.cg[BURROW_CG_UNIFIED].path, "sys/fs/cgroup/unified/lxc/c1");
	ck_assert(!c.cg[BURROW_CG_CPUSET].v2);

	/* sub/ unlimited, c1/ 1 GiB, lxc/ 512 MiB, root unlimited: 512 MiB. */
	ck_assert_int_eq(cg_min_u64(root, &c.cg[BURROW_CG_MEMORY], "memory.limit_in_bytes", &v), 0);
	ck_assert_uint_eq(v, 536870912);
	burrow_container_done(&c);
}
END_TEST

/* Inside a container, mounts show a subtree: mountinfo's root field is not "/". */
START_TEST(test_mount_root_subtree)
{
	_cleanup_close_ int root = fixture_root("cgroup-hybrid");
	const char *mi = "40 31 0:37 /lxc/c1 /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
	struct burrow_layout *l = NULL;
	struct burrow_container c;

	ck_assert_int_eq(burrow_layout_parse(root, mi, &l), 0);
	ck_assert_int_eq(burrow_container_parse(l, "5:memory:/lxc/c1/a\n", &c), 0);
	ck_assert_str_eq(c.cg[BURROW_CG_MEMORY].path, "sys/fs/cgroup/memory/a");
	burrow_container_done(&c);

	/* A cgroup outside the mounted subtree cannot be reached: no path, no guess. */
	ck_assert_int_eq(burrow_container_parse(l, "5:memory:/lxc/c10\n", &c), 0);
	ck_assert_ptr_null(c.cg[BURROW_CG_MEMORY].path);
	burrow_container_done(&c);

	/* systemd's init.scope is not the container: its parent is. */
	ck_assert_int_eq(burrow_container_parse(l, "5:memory:/lxc/c1/a/init.scope\n", &c), 0);
	ck_assert_str_eq(c.cg[BURROW_CG_MEMORY].path, "sys/fs/cgroup/memory/a");
	burrow_container_done(&c);
	ck_assert_int_eq(burrow_container_parse(l, "5:memory:/lxc/c1/init.scope.d\n", &c), 0);
	ck_assert_str_eq(c.cg[BURROW_CG_MEMORY].path, "sys/fs/cgroup/memory/init.scope.d");
	burrow_container_done(&c);

	/* ".." in a cgroup path is never followed upward. */
	ck_assert_int_eq(burrow_container_parse(l, "5:memory:/lxc/c1/../../x\n", &c), 0);
	ck_assert_ptr_null(c.cg[BURROW_CG_MEMORY].path);
	burrow_container_done(&c);
	burrow_layout_free(l);
}
END_TEST

START_TEST(test_garbage)
{
	_cleanup_close_ int root = fixture_root("cgroup-hybrid");
	struct burrow_layout *l = NULL;
	struct burrow_container c;

	ck_assert_int_eq(burrow_layout_parse(root, "garbage\n - \n\n1 2 3\n", &l), 0);
	ck_assert_uint_eq(l->n, 0);
	ck_assert_int_eq(burrow_container_parse(l, "x\n::\n0::\n:::\n", &c), 0);
	for (int s = 0; s < _BURROW_CG_MAX; s++)
		ck_assert_ptr_null(c.cg[s].path);
	burrow_container_done(&c);
	burrow_layout_free(l);
}
END_TEST

START_TEST(test_missing_pid)
{
	_cleanup_close_ int root = fixture_root("cgroup-v2");
	struct burrow_layout *l = load_layout(root);
	struct burrow_container c;

	ck_assert_int_eq(burrow_container_load(root, l, 4242, &c), -ENODATA);
	burrow_layout_free(l);
}
END_TEST

START_TEST(test_live_host)
{
	_cleanup_close_ int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct burrow_layout *l = NULL;
	struct burrow_container c;
	uint64_t start;

	/* Ground truth: this very process, on whatever host runs the tests. */
	ck_assert_int_eq(burrow_layout_load(root, &l), 0);
	ck_assert_int_eq(burrow_container_load(root, l, getpid(), &c), 0);
	ck_assert_int_eq(proc_pid_starttime(root, getpid(), &start), 0);
	ck_assert_uint_eq(c.init_start, start);
	if (l->index[BURROW_CG_MEMORY] >= 0)
		ck_assert_ptr_nonnull(c.cg[BURROW_CG_MEMORY].path);
	burrow_container_done(&c);
	burrow_layout_free(l);
}
END_TEST

/* Field 22 of a stat line, read the plain way, for comparison. */
static unsigned long long stat_field22(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long start = 0;
	FILE *f;
	size_t n;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sscanf(p + 2,
				"%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
				"%*d %*d %*d %llu",
				&start),
			 1);
	return start;
}

START_TEST(test_live_stat)
{
	_cleanup_close_ int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint64_t a, b;
	char state = 0;
	pid_t child;

	ck_assert_int_eq(proc_pid_stat(AT_FDCWD, getpid(), &a, &state), 0);
	ck_assert_int_eq(proc_pid_stat(root, getpid(), &b, NULL), 0);
	ck_assert_uint_eq(a, b);
	ck_assert_uint_eq(a, stat_field22(getpid()));
	ck_assert_int_eq(state, 'R');

	/* A child that has exited and is not reaped yet: a zombie, with its start time kept. */
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0)
		_exit(0);
	for (int i = 0; i < 500 && state != 'Z'; i++) {
		ck_assert_int_eq(proc_pid_stat(AT_FDCWD, child, &a, &state), 0);
		if (state != 'Z')
			usleep(10000);
	}
	ck_assert_int_eq(state, 'Z');
	ck_assert_uint_eq(a, stat_field22(child));
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	/* Gone: a missing file reads as -ENODATA throughout libburrow. */
	ck_assert_int_eq(proc_pid_stat(AT_FDCWD, child, &a, &state), -ENODATA);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cgroup");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_v2_layout);
	tcase_add_test(tc, test_v2_container);
	tcase_add_test(tc, test_hybrid_layout);
	tcase_add_test(tc, test_hybrid_container);
	tcase_add_test(tc, test_mount_root_subtree);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_missing_pid);
	tcase_add_test(tc, test_live_host);
	tcase_add_test(tc, test_live_stat);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
