/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "macro.h"

#define FIXED_1 2048UL

static const unsigned long exps[3] = { 1884, 2014, 2037 };

START_TEST(test_first_ticks)
{
	struct burrow_loadavg l = { { 0, 0, 0 } };

	/*
	 * active 3, from 0; FIXED_1 = 2048. Tick 1, 1 minute:
	 * 0*1884 + 3*2048*(2048-1884) = 1007616; 6144 >= 0 so +2047 = 1009663;
	 * /2048 = 492. 5 min: 3*2048*34 = 208896 + 2047 = 210943, /2048 = 102.
	 * 15 min: 3*2048*11 = 67584 + 2047 = 69631, /2048 = 33.
	 */
	burrow_loadavg_tick(&l, 3);
	ck_assert_uint_eq(l.avenrun[0], 492);
	ck_assert_uint_eq(l.avenrun[1], 102);
	ck_assert_uint_eq(l.avenrun[2], 33);
	/*
	 * Tick 2: 492*1884 + 1007616 + 2047 = 1936591, /2048 = 945;
	 * 102*2014 + 208896 + 2047 = 416371, /2048 = 203;
	 * 33*2037 + 67584 + 2047 = 136852, /2048 = 66.
	 */
	burrow_loadavg_tick(&l, 3);
	ck_assert_uint_eq(l.avenrun[0], 945);
	ck_assert_uint_eq(l.avenrun[1], 203);
	ck_assert_uint_eq(l.avenrun[2], 66);
	/* Falling: active 0 < load, no rounding up: 945*1884/2048 = 869.3 -> 869. */
	burrow_loadavg_tick(&l, 0);
	ck_assert_uint_eq(l.avenrun[0], 869);
}
END_TEST

START_TEST(test_converges)
{
	struct burrow_loadavg l = { { 0, 0, 0 } };
	const unsigned long k = 5;
	double real[3] = { 0, 0, 0 };

	for (int tick = 1; tick <= 3000; tick++) {
		burrow_loadavg_tick(&l, k);
		for (int i = 0; i < 3; i++) {
			double e = (double)exps[i];
			/* Each step's rounding is under one unit; decay bounds their sum. */
			double bound = FIXED_1 / (FIXED_1 - e) + 1;

			real[i] = (real[i] * e + (double)(k * FIXED_1) * (FIXED_1 - e)) / FIXED_1;
			double diff = (double)l.avenrun[i] - real[i];

			ck_assert_msg(diff <= bound && -diff <= bound,
				      "tick %d avg %d: fixed %lu, real %f", tick, i, l.avenrun[i],
				      real[i]);
			ck_assert_uint_le(l.avenrun[i], k * FIXED_1);
		}
		/* After 12 ticks (one minute) the 1-minute average is past 1 - 1/e of k. */
		if (tick == 12)
			ck_assert_uint_ge(l.avenrun[0], (unsigned long)(0.63 * k * FIXED_1));
	}
	/* Rounding up while climbing reaches k exactly, not one unit short. */
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(l.avenrun[i], k * FIXED_1);

	/* And decays back to 0 once the container is idle. */
	for (int tick = 0; tick < 5000; tick++)
		burrow_loadavg_tick(&l, 0);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(l.avenrun[i], 0);
}
END_TEST

START_TEST(test_huge_active)
{
	struct burrow_loadavg l = { { 0, 0, 0 } };

	/* No wrap-around into a small load, however many tasks are reported. */
	burrow_loadavg_tick(&l, (unsigned long)-1);
	ck_assert_uint_gt(l.avenrun[0], 1000000UL * FIXED_1);
	ck_assert_uint_gt(l.avenrun[2], l.avenrun[0] / 1000);
}
END_TEST

START_TEST(test_render)
{
	_cleanup_strbuf_ struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	struct burrow_loadavg l = { { 492, 102, 33 } };
	struct burrow_tasks t = { .running = 2, .blocked = 1, .threads = 5, .last_pid = 57 };
	struct burrow_loadavg l2 = { { 6144, 1023, 1 } };
	struct burrow_tasks t2 = { .running = 0, .threads = 1, .last_pid = 0 };

	/* (492 + 2048/200) = 502: 0 and (502*100)>>11 = 24 */
	ck_assert_int_eq(burrow_render_loadavg(&l, &t, &a), 0);
	ck_assert_str_eq(a.buf, "0.24 0.05 0.02 2/5 57\n");
	/* 6144 = 3.00; 1023 + 10 = 1033 -> 103300>>11 = 50; 1 + 10 -> 0 */
	ck_assert_int_eq(burrow_render_loadavg(&l2, &t2, &b), 0);
	ck_assert_str_eq(b.buf, "3.00 0.50 0.00 0/1 0\n");
}
END_TEST

static void gather_tasks(const char *name, struct burrow_tasks *ret)
{
	_cleanup_close_ int root = fixture_root(name);
	struct burrow_container c;
	int r;

	fixture_container(root, &c);
	r = burrow_gather_tasks(root, &c, ret);
	ck_assert_msg(r == 0, "%s: gather_tasks: %s", name, strerror(-r));
	burrow_container_done(&c);
}

START_TEST(test_tasks_v1)
{
	_cleanup_free_ char *want = NULL;
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	struct burrow_loadavg l = { { 0, 0, 0 } };
	struct burrow_tasks t;

	/*
	 * pids c1/tasks: 1000 S, 2001 S (comm "evil) D (x"), 2002 R;
	 * c1/sub/tasks: 2005 D, 2010 R (comm "a b) R"), 2011 gone.
	 */
	gather_tasks("cpu-v1", &t);
	ck_assert_uint_eq(t.threads, 5);
	ck_assert_uint_eq(t.running, 2);
	ck_assert_uint_eq(t.blocked, 1);
	/* 2010's NSpid "2010 57 1": init's namespace is level 1, not the nested one. */
	ck_assert_int_eq(t.last_pid, 57);

	burrow_loadavg_tick(&l, t.running + t.blocked);
	ck_assert_int_eq(burrow_render_loadavg(&l, &t, &out), 0);
	want = fixture_expected("cpu-v1", "loadavg");
	assert_text_eq("loadavg", out.buf, want);
}
END_TEST

/* The sampler's count: the same running and blocked, nothing else read. */
START_TEST(test_active)
{
	_cleanup_close_ int root = fixture_root("cpu-v1");
	_cleanup_close_ int root2 = fixture_root("tasks-pids-root");
	struct burrow_layout *l = NULL;
	struct burrow_container c;
	struct burrow_tasks t;

	fixture_container(root, &c);
	ck_assert_int_eq(burrow_gather_active(root, &c, NULL, &t), 0);
	ck_assert_uint_eq(t.running, 2);
	ck_assert_uint_eq(t.blocked, 1);
	ck_assert_uint_eq(t.threads, 0);
	ck_assert_int_eq(t.last_pid, 0);
	ck_assert(!t.host);
	burrow_container_done(&c);

	fixture_container(root2, &c);
	ck_assert_int_eq(burrow_gather_active(root2, &c, NULL, &t), 0);
	ck_assert_uint_eq(t.running, 1);
	ck_assert_uint_eq(t.blocked, 0);
	burrow_container_done(&c);
	ck_assert_int_eq(burrow_layout_load(root2, &l), 0);
	ck_assert_int_eq(burrow_container_load(root2, l, 2000, &c), 0);
	burrow_layout_free(l);
	ck_assert_int_eq(burrow_gather_active(root2, &c, NULL, &t), 0);
	ck_assert(t.host);
	ck_assert_uint_eq(t.running + t.blocked, 0);
	burrow_container_done(&c);
}
END_TEST

START_TEST(test_tasks_layouts)
{
	struct burrow_tasks t;

	/* v2: cgroup.threads of child/ and child/leaf/. */
	gather_tasks("cpu-v2", &t);
	ck_assert_uint_eq(t.threads, 4);
	ck_assert_uint_eq(t.running, 2);
	ck_assert_uint_eq(t.blocked, 1);
	ck_assert_int_eq(t.last_pid, 9);

	/* No pids hierarchy: the cpu,cpuacct one's tasks. */
	gather_tasks("cpu-hybrid", &t);
	ck_assert_uint_eq(t.threads, 2);
	ck_assert_uint_eq(t.running, 1);
	ck_assert_uint_eq(t.blocked, 0);
	ck_assert_int_eq(t.last_pid, 2);

	gather_tasks("cpu-huge", &t);
	ck_assert_uint_eq(t.threads, 2);
	ck_assert_int_eq(t.last_pid, 4194303);

	gather_tasks("stat-recreated", &t);
	ck_assert_uint_eq(t.threads, 1);
	ck_assert_uint_eq(t.running, 0);
	ck_assert_int_eq(t.last_pid, 1);
}
END_TEST

START_TEST(test_tasks_fallback)
{
	_cleanup_close_ int root = fixture_root("cpu-v1");
	struct burrow_container c;
	struct burrow_tasks t;

	fixture_container(root, &c);
	/* Neither pids nor cpu: name=systemd's init.scope holds 1000 and 2002. */
	free(c.cg[BURROW_CG_PIDS].path);
	free(c.cg[BURROW_CG_CPU].path);
	c.cg[BURROW_CG_PIDS].path = c.cg[BURROW_CG_CPU].path = NULL;
	ck_assert_int_eq(burrow_gather_tasks(root, &c, &t), 0);
	ck_assert_uint_eq(t.threads, 2);
	ck_assert_uint_eq(t.running, 1);
	ck_assert_int_eq(t.last_pid, 21);

	/* No hierarchy at all: nothing is walked, the host's files apply. */
	for (int i = 0; i < _BURROW_CG_MAX; i++) {
		free(c.cg[i].path);
		c.cg[i].path = NULL;
	}
	ck_assert_int_eq(burrow_gather_tasks(root, &c, &t), 0);
	ck_assert(t.host);
	ck_assert_uint_eq(t.threads, 0);
	burrow_container_done(&c);
}
END_TEST

/*
 * A runtime that made no pids cgroup leaves the container in that
 * hierarchy's root, which lists every task of the machine. Walking it made
 * the sampler scan the whole host per container and tick, and reported the
 * host's load as the container's: the cpu cgroup is the container's own.
 */
START_TEST(test_tasks_pids_root)
{
	_cleanup_close_ int root = fixture_root("tasks-pids-root");
	struct burrow_layout *l = NULL;
	struct burrow_container c;
	struct burrow_tasks t;

	fixture_container(root, &c);
	ck_assert_str_eq(c.cg[BURROW_CG_PIDS].path, "sys/fs/cgroup/pids");
	ck_assert_ptr_eq(burrow_container_tasks_cg(&c), &c.cg[BURROW_CG_CPU]);
	ck_assert_int_eq(burrow_gather_tasks(root, &c, &t), 0);
	ck_assert(!t.host);
	ck_assert_uint_eq(t.threads, 2);
	ck_assert_uint_eq(t.running, 1);
	ck_assert_uint_eq(t.blocked, 0);
	ck_assert_int_eq(t.last_pid, 2);
	burrow_container_done(&c);

	/* In the root everywhere: its tasks are the host's, and none is walked. */
	ck_assert_int_eq(burrow_layout_load(root, &l), 0);
	ck_assert_int_eq(burrow_container_load(root, l, 2000, &c), 0);
	burrow_layout_free(l);
	ck_assert_ptr_null(burrow_container_tasks_cg(&c));
	ck_assert_int_eq(burrow_gather_tasks(root, &c, &t), 0);
	ck_assert(t.host);
	ck_assert_uint_eq(t.threads, 0);
	ck_assert_uint_eq(t.running, 0);
	burrow_container_done(&c);
}
END_TEST

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void write_file(int dir_fd, const char *path, const char *text)
{
	_cleanup_close_ int fd =
		openat(dir_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
}

/*
 * A tree of our own: proc/7 (state R), and cgroup "cg" as the container's
 * pids cgroup, a child of the hierarchy mounted at the tree's root.
 */
static int make_tree(char *dir, struct burrow_container *c)
{
	int root;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(root, 0);
	ck_assert_int_eq(mkdirat(root, "proc", 0755), 0);
	ck_assert_int_eq(mkdirat(root, "proc/7", 0755), 0);
	write_file(root, "proc/7/stat", "7 (t) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n");
	write_file(root, "proc/7/status", "Name:\tt\nNSpid:\t7\t3\n");
	ck_assert_int_eq(mkdirat(root, "cg", 0755), 0);
	*c = (struct burrow_container){ 0 };
	c->cg[BURROW_CG_PIDS] = (struct burrow_cgpath){ .path = strdup("cg"), .mount_len = 0 };
	return root;
}

START_TEST(test_tasks_depth_bound)
{
	char dir[] = "/tmp/burrow-test-tasks-XXXXXX", path[1024] = "cg";
	struct burrow_container c;
	_cleanup_close_ int root = make_tree(dir, &c);
	struct burrow_tasks t;

	/* The same tid at 100 levels; only the first 64 are walked. */
	for (int i = 0; i < 100; i++) {
		char file[1100];

		snprintf(file, sizeof(file), "%s/tasks", path);
		write_file(root, file, "7\n");
		strcat(path, "/d");
		ck_assert_int_eq(mkdirat(root, path, 0755), 0);
	}
	ck_assert_int_eq(burrow_gather_tasks(root, &c, &t), 0);
	ck_assert_uint_eq(t.threads, 64);
	ck_assert_uint_eq(t.running, 64);
	/* No init to learn the level from: the last NSpid field. */
	ck_assert_int_eq(t.last_pid, 3);
	burrow_container_done(&c);
	ck_assert_int_eq(nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}
END_TEST

START_TEST(test_tasks_count_bound)
{
	char dir[] = "/tmp/burrow-test-tasks-XXXXXX";
	struct burrow_container c;
	_cleanup_close_ int root = make_tree(dir, &c);
	_cleanup_free_ char *list = malloc(1000000 * 2 + 3);
	struct burrow_tasks t;

	/* A million tids (gone, so cheap) first: the live one after them is never reached. */
	ck_assert_ptr_nonnull(list);
	for (size_t i = 0; i < 1000000; i++)
		memcpy(list + 2 * i, "9\n", 2);
	memcpy(list + 2 * 1000000, "7\n", 3);
	write_file(root, "cg/tasks", list);
	ck_assert_int_eq(mkdirat(root, "cg/sub", 0755), 0);
	write_file(root, "cg/sub/tasks", "7\n");
	ck_assert_int_eq(burrow_gather_tasks(root, &c, &t), 0);
	ck_assert_uint_eq(t.threads, 0);
	ck_assert_int_eq(t.last_pid, 0);

	/* Garbage in a list is an error, not a silent zero. */
	write_file(root, "cg/tasks", "7\nbogus\n");
	ck_assert_int_eq(burrow_gather_tasks(root, &c, &t), -EINVAL);
	burrow_container_done(&c);
	ck_assert_int_eq(nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loadavg");
	TCase *tc = tcase_create("loadavg");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_first_ticks);
	tcase_add_test(tc, test_converges);
	tcase_add_test(tc, test_huge_active);
	tcase_add_test(tc, test_render);
	tcase_add_test(tc, test_tasks_v1);
	tcase_add_test(tc, test_tasks_layouts);
	tcase_add_test(tc, test_tasks_fallback);
	tcase_add_test(tc, test_tasks_pids_root);
	tcase_add_test(tc, test_active);
	tcase_add_test(tc, test_tasks_depth_bound);
	tcase_add_test(tc, test_tasks_count_bound);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
