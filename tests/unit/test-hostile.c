/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cgroup files with contents a real cgroupfs won't produce on demand: limits
 * of 0 and of 2^64 - 1, empty files, missing lines and files, numbers past
 * 2^64, garbage, a zombie and a vanished task, a cgroup that is gone. Every
 * gather either gives the values each fixture's README works out by hand or
 * fails with an error; none falls back to the host's figures, and none
 * crashes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "macro.h"

static const struct burrow_opts swap_on = { .swap = true };
static const struct burrow_opts cfs_on = { .swap = true, .cfs = true };

struct ctx {
	int root;
	struct burrow_container c;
};

static void ctx_open(const char *name, pid_t pid, struct ctx *ret)
{
	struct burrow_layout *l = NULL;
	int r;

	ret->root = fixture_root(name);
	if (pid == FIXTURE_PID) {
		fixture_container(ret->root, &ret->c);
		return;
	}
	r = burrow_layout_load(ret->root, &l);
	ck_assert_msg(r == 0, "layout: %s", strerror(-r));
	r = burrow_container_load(ret->root, l, pid, &ret->c);
	ck_assert_msg(r == 0, "container %d: %s", (int)pid, strerror(-r));
	burrow_layout_free(l);
}

static void ctx_close(struct ctx *x)
{
	burrow_container_done(&x->c);
	close(x->root);
}

static void expect_file(const char *name, const char *file, const struct strbuf *out)
{
	_cleanup_free_ char *expected = fixture_expected(name, file);

	assert_text_eq(file, out->buf ? out->buf : "", expected);
}

/* meminfo and swaps of the fixture, against expected/. */
static void check_mem(const char *name)
{
	_cleanup_free_ char *host = fixture_read(name, "proc/meminfo");
	_cleanup_strbuf_ struct strbuf mi = STRBUF_INIT, sw = STRBUF_INIT;
	struct burrow_mem m;
	struct ctx x;
	int r;

	ctx_open(name, FIXTURE_PID, &x);
	r = burrow_gather_mem(x.root, &x.c, &m);
	ck_assert_msg(r == 0, "%s: gather mem: %s", name, strerror(-r));
	ck_assert(!m.host);
	ck_assert_int_eq(burrow_render_meminfo(&m, host, &swap_on, &mi), 0);
	ck_assert_int_eq(burrow_render_swaps(&m, host, &swap_on, &sw), 0);
	expect_file(name, "meminfo", &mi);
	expect_file(name, "swaps", &sw);
	ctx_close(&x);
}

static void check_diskstats(const char *name)
{
	_cleanup_free_ char *host = fixture_read(name, "proc/diskstats");
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	struct burrow_io io;
	struct ctx x;
	int r;

	ctx_open(name, FIXTURE_PID, &x);
	r = burrow_gather_io(x.root, &x.c, &io);
	ck_assert_msg(r == 0, "%s: gather io: %s", name, strerror(-r));
	ck_assert(!io.host);
	ck_assert_int_eq(burrow_render_diskstats(&io, host, &out), 0);
	expect_file(name, "diskstats", &out);
	burrow_io_done(&io);
	ctx_close(&x);
}

/* stat and uptime with the given tasks (NULL: gathered from the fixture). */
static void check_cpu_files(const char *name, const struct burrow_tasks *given)
{
	_cleanup_free_ char *host = fixture_read(name, "proc/stat");
	_cleanup_strbuf_ struct strbuf st = STRBUF_INIT, up = STRBUF_INIT;
	struct burrow_stat_state state = { 0 };
	struct burrow_tasks t;
	struct burrow_clock clk;
	struct burrow_cpu cpu;
	struct ctx x;
	int r;

	ctx_open(name, FIXTURE_PID, &x);
	r = burrow_gather_cpu(x.root, &x.c, &swap_on, &cpu);
	ck_assert_msg(r == 0, "%s: gather cpu: %s", name, strerror(-r));
	ck_assert_int_eq(cpu.nr_visible, 2);
	ck_assert_int_eq(burrow_gather_clock(x.root, &x.c, 100, &clk), 0);
	if (given)
		t = *given;
	else
		ck_assert_int_eq(burrow_gather_tasks(x.root, &x.c, &t), 0);
	ck_assert_int_eq(burrow_render_stat(&cpu, &t, &clk, host, &state, &st), 0);
	ck_assert_int_eq(burrow_render_uptime(&cpu, &clk, &up), 0);
	expect_file(name, "stat", &st);
	expect_file(name, "uptime", &up);
	burrow_stat_state_done(&state);
	burrow_cpu_done(&cpu);
	ctx_close(&x);
}

static unsigned visible_with_cfs(const char *name)
{
	struct burrow_cpu cpu;
	struct ctx x;
	unsigned n;

	ctx_open(name, FIXTURE_PID, &x);
	ck_assert_int_eq(burrow_gather_cpu(x.root, &x.c, &cfs_on, &cpu), 0);
	n = cpu.nr_visible;
	burrow_cpu_done(&cpu);
	ctx_close(&x);
	return n;
}

START_TEST(test_zero)
{
	struct burrow_tasks t;
	struct ctx x;

	check_mem("hostile-zero");
	check_diskstats("hostile-zero");
	check_cpu_files("hostile-zero", NULL);
	ck_assert_int_eq(visible_with_cfs("hostile-zero"), 1);

	ctx_open("hostile-zero", FIXTURE_PID, &x);
	ck_assert_int_eq(burrow_gather_tasks(x.root, &x.c, &t), 0);
	ck_assert_uint_eq(t.threads, 4);
	ck_assert_uint_eq(t.running, 1);
	ck_assert_uint_eq(t.blocked, 1);
	ck_assert_int_eq(t.last_pid, 4);
	ctx_close(&x);
}
END_TEST

START_TEST(test_huge)
{
	const struct burrow_tasks t = { .running = 0, .blocked = 0, .threads = 1, .last_pid = 1 };

	check_mem("hostile-huge");
	check_diskstats("hostile-huge");
	check_cpu_files("hostile-huge", &t);
	ck_assert_int_eq(visible_with_cfs("hostile-huge"), 2);
}
END_TEST

START_TEST(test_missing)
{
	struct burrow_tasks t;
	struct burrow_cpu cpu;
	struct ctx x;

	check_mem("hostile-missing");
	check_diskstats("hostile-missing");

	ctx_open("hostile-missing", FIXTURE_PID, &x);
	ck_assert_int_eq(burrow_gather_cpu(x.root, &x.c, &swap_on, &cpu), -ENODATA);
	ck_assert_int_eq(burrow_gather_tasks(x.root, &x.c, &t), 0);
	ck_assert_uint_eq(t.threads, 0);
	ck_assert_uint_eq(t.running + t.blocked, 0);
	ck_assert_int_eq(t.last_pid, 0);
	ctx_close(&x);
}
END_TEST

START_TEST(test_broken)
{
	struct burrow_mem m;
	struct burrow_cpu cpu;
	struct burrow_io io;
	struct burrow_tasks t;
	struct ctx x;

	ctx_open("hostile-broken", FIXTURE_PID, &x);
	ck_assert_int_eq(burrow_gather_mem(x.root, &x.c, &m), -ERANGE);
	ck_assert_int_eq(burrow_gather_cpu(x.root, &x.c, &swap_on, &cpu), -ERANGE);
	ck_assert_int_eq(burrow_gather_io(x.root, &x.c, &io), -EINVAL);
	ck_assert_int_eq(burrow_gather_tasks(x.root, &x.c, &t), -EINVAL);
	ctx_close(&x);
}
END_TEST

/* The container's cgroup was removed after the daemon resolved it. */
START_TEST(test_gone)
{
	struct burrow_mem m;
	struct burrow_cpu cpu;
	struct burrow_io io;
	struct burrow_tasks t;
	struct burrow_clock clk;
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct ctx x;

	ctx_open("hostile-broken", 1001, &x);
	ck_assert_str_eq(x.c.cg[BURROW_CG_MEMORY].path, "sys/fs/cgroup/gone");
	ck_assert_int_eq(burrow_gather_mem(x.root, &x.c, &m), -ENODATA);
	/* Not "no cpuset, so every online CPU": the cpuset is gone, not absent. */
	ck_assert_int_eq(burrow_gather_cpu(x.root, &x.c, &swap_on, &cpu), -ESTALE);
	ck_assert_int_eq(burrow_gather_io(x.root, &x.c, &io), -ENODATA);
	ck_assert_int_eq(burrow_gather_tasks(x.root, &x.c, &t), -ENODATA);
	ck_assert_int_eq(burrow_gather_pressure(x.root, &x.c, "memory", &text, &len), -ENODATA);
	ck_assert_int_eq(burrow_gather_clock(x.root, &x.c, 100, &clk), 0);
	ctx_close(&x);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("hostile");

	tcase_add_test(tc, test_zero);
	tcase_add_test(tc, test_huge);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_broken);
	tcase_add_test(tc, test_gone);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
