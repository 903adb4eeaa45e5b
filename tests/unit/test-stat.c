/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "macro.h"

#define CLK_TCK 100

static const struct burrow_opts no_cfs = { .swap = true };
static const struct burrow_opts with_cfs = { .swap = true, .cfs = true };

/* Everything a stat render needs, gathered from one fixture tree. */
struct input {
	struct burrow_cpu cpu;
	struct burrow_tasks tasks;
	struct burrow_clock clk;
	char *host_stat;
};

static void input_load(const char *name, const struct burrow_opts *o, struct input *in)
{
	_cleanup_close_ int root = fixture_root(name);
	struct burrow_container c;
	int r;

	fixture_container(root, &c);
	r = burrow_gather_cpu(root, &c, o, &in->cpu);
	ck_assert_msg(r == 0, "%s: gather_cpu: %s", name, strerror(-r));
	r = burrow_gather_tasks(root, &c, &in->tasks);
	ck_assert_msg(r == 0, "%s: gather_tasks: %s", name, strerror(-r));
	ck_assert_int_eq(burrow_gather_clock(root, &c, CLK_TCK, &in->clk), 0);
	in->host_stat = fixture_read(name, "proc/stat");
	burrow_container_done(&c);
}

static void input_done(struct input *in)
{
	burrow_cpu_done(&in->cpu);
	free(in->host_stat);
}

static char *render_stat(const struct input *in, struct burrow_stat_state *st)
{
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;

	ck_assert_int_eq(
		burrow_render_stat(&in->cpu, &in->tasks, &in->clk, in->host_stat, st, &out), 0);
	return strbuf_steal(&out, NULL);
}

/* Fields of the line starting with "<name> "; returns how many. */
static unsigned line_fields(const char *text, const char *name, uint64_t *v, unsigned max)
{
	char prefix[32];
	const char *p;
	unsigned n = 0;

	snprintf(prefix, sizeof(prefix), "%s ", name);
	p = find_line(text, prefix, NULL);
	ck_assert_msg(p != NULL, "no line %s", name);
	p += strlen(name);
	while (n < max && parse_u64_prefix(&p, &v[n]) == 0)
		n++;
	return n;
}

static void check_case(const char *name, const struct burrow_opts *o, const char *suffix)
{
	_cleanup_strbuf_ struct strbuf up = STRBUF_INIT;
	struct burrow_stat_state st = { 0 };
	_cleanup_free_ char *got = NULL, *want = NULL, *want_up = NULL;
	struct input in;
	char file[64];

	input_load(name, o, &in);
	got = render_stat(&in, &st);
	snprintf(file, sizeof(file), "stat%s", suffix);
	want = fixture_expected(name, file);
	assert_text_eq(name, got, want);
	ck_assert_uint_eq(st.n, in.cpu.nr_visible);

	ck_assert_int_eq(burrow_render_uptime(&in.cpu, &in.clk, &up), 0);
	snprintf(file, sizeof(file), "uptime%s", suffix);
	want_up = fixture_expected(name, file);
	assert_text_eq(name, up.buf, want_up);
	burrow_stat_state_done(&st);
	input_done(&in);
}

START_TEST(test_v1)
{
	struct burrow_stat_state st = { 0 };
	_cleanup_free_ char *got = NULL;
	uint64_t v[10];
	struct input in;

	check_case("cpu-v1", &no_cfs, "");

	/* Value by value: 123456789012 ns = 12345 ticks; 608005 wall - 12345 - 2345. */
	input_load("cpu-v1", &no_cfs, &in);
	got = render_stat(&in, &st);
	ck_assert_uint_eq(line_fields(got, "cpu0", v, 10), 10);
	ck_assert_uint_eq(v[0], 12345);
	ck_assert_uint_eq(v[1], 0);
	ck_assert_uint_eq(v[2], 2345);
	ck_assert_uint_eq(v[3], 593315);
	ck_assert_ptr_null(find_line(got, "cpu1 ", NULL));
	ck_assert_uint_eq(line_fields(got, "btime", v, 1), 1);
	ck_assert_uint_eq(v[0], 1795415978 + 500000 / CLK_TCK);
	ck_assert_uint_eq(line_fields(got, "processes", v, 1), 1);
	ck_assert_uint_eq(v[0], 57);
	ck_assert_uint_eq(line_fields(got, "procs_running", v, 1), 1);
	ck_assert_uint_eq(v[0], 2);
	ck_assert_uint_eq(line_fields(got, "procs_blocked", v, 1), 1);
	ck_assert_uint_eq(v[0], 1);
	burrow_stat_state_done(&st);
	input_done(&in);
}
END_TEST

START_TEST(test_cases)
{
	check_case("cpu-hybrid", &no_cfs, "");
	check_case("cpu-v2", &no_cfs, "");
	check_case("cpu-nested-quota", &no_cfs, "");
	check_case("cpu-nested-quota", &with_cfs, "-cfs");
	check_case("cpu-empty-cpuset", &no_cfs, "");
	check_case("cpu-cfs-cut", &no_cfs, "");
	check_case("cpu-cfs-cut", &with_cfs, "-cfs");
	check_case("cpu-no-cpuacct", &no_cfs, "");
	check_case("cpu-huge", &with_cfs, "");
	check_case("stat-recreated", &no_cfs, "");
}
END_TEST

static void assert_not_less(const char *before, const char *after, const char *name, unsigned n)
{
	uint64_t a[10], b[10];

	ck_assert_uint_eq(line_fields(before, name, a, 10), n);
	ck_assert_uint_eq(line_fields(after, name, b, 10), n);
	for (unsigned f = 0; f < n; f++)
		ck_assert_msg(b[f] >= a[f], "%s field %u went back: %" PRIu64 " -> %" PRIu64, name,
			      f, a[f], b[f]);
}

START_TEST(test_monotonic)
{
	struct burrow_stat_state st = { 0 };
	_cleanup_free_ char *first = NULL, *second = NULL, *want = NULL;
	struct input a, b;

	/* The same container, its cgroup recreated in between: usage went down. */
	input_load("cpu-v1", &no_cfs, &a);
	input_load("stat-recreated", &no_cfs, &b);
	ck_assert_uint_lt(b.cpu.user_ns[0], a.cpu.user_ns[0]);
	ck_assert_int_lt(b.tasks.last_pid, a.tasks.last_pid);

	first = render_stat(&a, &st);
	second = render_stat(&b, &st);
	assert_not_less(first, second, "cpu", 10);
	assert_not_less(first, second, "cpu0", 10);
	assert_not_less(first, second, "processes", 1);
	want = fixture_expected("stat-recreated", "stat-after-cpu-v1");
	assert_text_eq("after", second, want);
	burrow_stat_state_done(&st);
	input_done(&a);
	input_done(&b);
}
END_TEST

START_TEST(test_idle_follows_wall)
{
	struct burrow_stat_state st = { 0 };
	_cleanup_free_ char *first = NULL, *second = NULL;
	uint64_t a[10], b[10];
	struct input in;

	/* Ten seconds on, nothing ran: every line gained 10 * CLK_TCK idle ticks. */
	input_load("cpu-cfs-cut", &no_cfs, &in);
	first = render_stat(&in, &st);
	in.clk.host_uptime += 10.0;
	second = render_stat(&in, &st);
	for (unsigned i = 0; i < in.cpu.nr_visible; i++) {
		char name[16];

		snprintf(name, sizeof(name), "cpu%u", i);
		line_fields(first, name, a, 10);
		line_fields(second, name, b, 10);
		ck_assert_uint_eq(b[0], a[0]);
		ck_assert_uint_eq(b[2], a[2]);
		ck_assert_uint_eq(b[3], a[3] + 10 * CLK_TCK);
	}
	line_fields(first, "cpu", a, 10);
	line_fields(second, "cpu", b, 10);
	ck_assert_uint_eq(b[3], a[3] + 4 * 10 * CLK_TCK);
	burrow_stat_state_done(&st);
	input_done(&in);
}
END_TEST

START_TEST(test_state_resize)
{
	struct burrow_stat_state st = { 0 };
	_cleanup_free_ char *four = NULL, *two = NULL, *again = NULL;
	struct input wide, narrow;

	/* --enable-cfs toggled between reads: 4 CPUs, then 2, then 4 again. */
	input_load("cpu-cfs-cut", &no_cfs, &wide);
	input_load("cpu-cfs-cut", &with_cfs, &narrow);
	four = render_stat(&wide, &st);
	ck_assert_uint_eq(st.n, 4);
	two = render_stat(&narrow, &st);
	ck_assert_uint_eq(st.n, 2);
	ck_assert_ptr_null(find_line(two, "cpu2 ", NULL));
	/* cpu0 and cpu1 kept the folded usage, which is more than they had alone. */
	assert_not_less(four, two, "cpu0", 10);
	assert_not_less(four, two, "cpu1", 10);
	again = render_stat(&wide, &st);
	ck_assert_uint_eq(st.n, 4);
	assert_not_less(two, again, "cpu0", 10);
	assert_not_less(two, again, "cpu1", 10);
	ck_assert_ptr_nonnull(find_line(again, "cpu3 ", NULL));
	burrow_stat_state_done(&st);
	input_done(&wide);
	input_done(&narrow);
}
END_TEST

START_TEST(test_host_layout)
{
	/* A 2.6.24-era host: 8 fields, "page"/"swap" lines the kernel dropped later. */
	static const char old_host[] = "cpu  10 20 30 40 50 60 70 80\n"
				       "cpu0 10 20 30 40 50 60 70 80\n"
				       "page 5741 1808\n"
				       "intr 114930548 113199788 3 0 5 263 0 4 [...]\n"
				       "ctxt 1990473\n"
				       "btime 1062191376\n"
				       "processes 2915\n"
				       "procs_running 1\n"
				       "procs_blocked 0\n";
	struct burrow_stat_state st = { 0 };
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	struct burrow_tasks t = { .running = 3, .blocked = 4, .threads = 9, .last_pid = 42 };
	uint64_t user[2] = { 2000000000, 3000000000 }, sys[2] = { 1000000000, 0 };
	struct burrow_cpu cpu = { .nr_visible = 2, .user_ns = user, .system_ns = sys };
	/* 100 s since boot, init started at 40 s: 60 s = 6000 ticks of wall per CPU. */
	struct burrow_clock clk = { .host_uptime = 100.0, .clk_tck = 100, .init_start = 4000 };

	ck_assert_int_eq(burrow_render_stat(&cpu, &t, &clk, old_host, &st, &out), 0);
	assert_text_eq("old host", out.buf,
		       "cpu  500 0 100 11400 0 0 0 0\n"
		       "cpu0 200 0 100 5700 0 0 0 0\n"
		       "cpu1 300 0 0 5700 0 0 0 0\n"
		       "page 5741 1808\n"
		       "intr 114930548 113199788 3 0 5 263 0 4 [...]\n"
		       "ctxt 1990473\n"
		       "btime 1062191416\n"
		       "processes 42\n"
		       "procs_running 3\n"
		       "procs_blocked 4\n");
	burrow_stat_state_done(&st);
}
END_TEST

START_TEST(test_uptime_values)
{
	_cleanup_strbuf_ struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, c = STRBUF_INIT;
	uint64_t user[2] = { 150000000, 0 }, sys[2] = { 0, 50000000 };
	struct burrow_cpu cpu = { .nr_visible = 2, .user_ns = user, .system_ns = sys };
	/* 107.01 must not turn into 107.00 through binary floating point. */
	struct burrow_clock clk = { .host_uptime = 107.01, .clk_tck = 100, .init_start = 0 };

	/* idle = 2 * 107.01 - (0.15 + 0.05) = 213.82 */
	ck_assert_int_eq(burrow_render_uptime(&cpu, &clk, &a), 0);
	ck_assert_str_eq(a.buf, "107.01 213.82\n");
	/* A namespace whose init started after the host's uptime reading: 0, never negative. */
	clk.init_start = 20000;
	ck_assert_int_eq(burrow_render_uptime(&cpu, &clk, &b), 0);
	ck_assert_str_eq(b.buf, "0.00 0.00\n");
	/* clk_tck 250: init 2500 ticks = 10 s after boot. */
	clk.clk_tck = 250;
	clk.init_start = 2500;
	ck_assert_int_eq(burrow_render_uptime(&cpu, &clk, &c), 0);
	ck_assert_str_eq(c.buf, "97.01 193.82\n");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stat");
	TCase *tc = tcase_create("stat");

	tcase_add_test(tc, test_v1);
	tcase_add_test(tc, test_cases);
	tcase_add_test(tc, test_monotonic);
	tcase_add_test(tc, test_idle_follows_wall);
	tcase_add_test(tc, test_state_resize);
	tcase_add_test(tc, test_host_layout);
	tcase_add_test(tc, test_uptime_values);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
