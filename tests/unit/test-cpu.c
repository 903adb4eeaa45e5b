/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "fixture.h"
#include "macro.h"

static const struct burrow_opts no_cfs = { .swap = true };
static const struct burrow_opts with_cfs = { .swap = true, .cfs = true };

static void gather(const char *name, const struct burrow_opts *o, struct burrow_cpu *ret)
{
	_cleanup_close_ int root = fixture_root(name);
	struct burrow_container c;
	int r;

	fixture_container(root, &c);
	r = burrow_gather_cpu(root, &c, o, ret);
	ck_assert_msg(r == 0, "%s: gather_cpu: %s", name, strerror(-r));
	burrow_container_done(&c);
}

/* Renders cpuinfo and online for a fixture and compares them with expected/<file><suffix>. */
static void check_renders(const char *name, const struct burrow_cpu *cpu, const char *suffix)
{
	_cleanup_free_ char *host = fixture_read(name, "proc/cpuinfo");
	_cleanup_free_ char *want_info = NULL, *want_online = NULL;
	_cleanup_strbuf_ struct strbuf info = STRBUF_INIT, online = STRBUF_INIT;
	char file[64];

	snprintf(file, sizeof(file), "cpuinfo%s", suffix);
	want_info = fixture_expected(name, file);
	snprintf(file, sizeof(file), "online%s", suffix);
	want_online = fixture_expected(name, file);
	ck_assert_int_eq(burrow_render_cpuinfo(cpu, host, &info), 0);
	ck_assert_int_eq(burrow_render_cpu_list(cpu, &online), 0);
	assert_text_eq("cpuinfo", info.buf, want_info);
	assert_text_eq("online", online.buf, want_online);
}

static unsigned count_lines(const char *text, const char *prefix)
{
	unsigned n = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

START_TEST(test_v1)
{
	struct burrow_cpu cpu;

	/* cpu, cpuacct and cpuset mounted apart, as on this machine. */
	gather("cpu-v1", &no_cfs, &cpu);
	ck_assert_uint_eq(cpuset_count(&cpu.cpus), 1);
	ck_assert_uint_eq(cpu.nr_visible, 1);
	ck_assert_int_eq(burrow_cpu_host_index(&cpu, 0), 1);
	ck_assert_int_eq(burrow_cpu_host_index(&cpu, 1), -ENOENT);
	/* c1 has 50000/100000; lxc and the root say -1 (none). */
	ck_assert_int_eq(cpu.quota_us, 50000);
	ck_assert_uint_eq(cpu.period_us, 100000);
	/* usage_all's line for host CPU 1; usage_percpu is not consulted. */
	ck_assert_uint_eq(cpu.user_ns[0], 123456789012ULL);
	ck_assert_uint_eq(cpu.system_ns[0], 23456789012ULL);
	check_renders("cpu-v1", &cpu, "");
	burrow_cpu_done(&cpu);

	/* ceil(50000/100000) = 1: the cut changes nothing here. */
	gather("cpu-v1", &with_cfs, &cpu);
	ck_assert_uint_eq(cpu.nr_visible, 1);
	burrow_cpu_done(&cpu);
}
END_TEST

START_TEST(test_hybrid)
{
	struct burrow_cpu cpu;

	/* cpu,cpuacct co-mounted; cpuset without effective_cpus; no usage_all. */
	gather("cpu-hybrid", &no_cfs, &cpu);
	ck_assert_uint_eq(cpu.nr_visible, 2);
	ck_assert_int_eq(burrow_cpu_host_index(&cpu, 0), 1);
	ck_assert_int_eq(burrow_cpu_host_index(&cpu, 1), 2);
	ck_assert_int_eq(cpu.quota_us, 200000);
	ck_assert_uint_eq(cpu.period_us, 100000);
	/* usage_percpu_user/_sys, host CPUs 1 and 2 */
	ck_assert_uint_eq(cpu.user_ns[0], 200000000000ULL);
	ck_assert_uint_eq(cpu.user_ns[1], 300000000000ULL);
	ck_assert_uint_eq(cpu.system_ns[0], 60000000000ULL);
	ck_assert_uint_eq(cpu.system_ns[1], 70000000000ULL);
	check_renders("cpu-hybrid", &cpu, "");
	burrow_cpu_done(&cpu);

	gather("cpu-hybrid", &with_cfs, &cpu);
	ck_assert_uint_eq(cpu.nr_visible, 2); /* ceil(2.0) = 2 */
	burrow_cpu_done(&cpu);
}
END_TEST

START_TEST(test_v2)
{
	struct burrow_cpu cpu;

	gather("cpu-v2", &no_cfs, &cpu);
	ck_assert_uint_eq(cpu.nr_visible, 1);
	ck_assert_int_eq(burrow_cpu_host_index(&cpu, 0), 1);
	/* sample/ has "50000 100000", sample/child/ "max 100000". */
	ck_assert_int_eq(cpu.quota_us, 50000);
	ck_assert_uint_eq(cpu.period_us, 100000);
	/* user_usec 1246164, system_usec 487100, all on the one CPU */
	ck_assert_uint_eq(cpu.user_ns[0], 1246164000ULL);
	ck_assert_uint_eq(cpu.system_ns[0], 487100000ULL);
	check_renders("cpu-v2", &cpu, "");
	burrow_cpu_done(&cpu);
}
END_TEST

START_TEST(test_nested_quota)
{
	struct burrow_cpu cpu;

	/* sample/ 100000/50000 = 2.0 is tighter than child's 250000/100000 = 2.5. */
	gather("cpu-nested-quota", &no_cfs, &cpu);
	ck_assert_int_eq(cpu.quota_us, 100000);
	ck_assert_uint_eq(cpu.period_us, 50000);
	ck_assert_uint_eq(cpu.nr_visible, 3);
	/* 1e9 ns over 3 CPUs: the remainder goes to the first, nothing is lost. */
	ck_assert_uint_eq(cpu.user_ns[0], 333333334ULL);
	ck_assert_uint_eq(cpu.user_ns[1], 333333333ULL);
	ck_assert_uint_eq(cpu.user_ns[2], 333333333ULL);
	ck_assert_uint_eq(cpu.system_ns[0], 100000334ULL);
	ck_assert_uint_eq(cpu.system_ns[2], 100000333ULL);
	check_renders("cpu-nested-quota", &cpu, "");
	burrow_cpu_done(&cpu);

	/* ceil(2.0) = 2; the child's 2.5 alone would have given 3. */
	gather("cpu-nested-quota", &with_cfs, &cpu);
	ck_assert_uint_eq(cpu.nr_visible, 2);
	ck_assert_uint_eq(cpu.user_ns[0], 500000000ULL);
	ck_assert_uint_eq(cpu.user_ns[1], 500000000ULL);
	ck_assert_uint_eq(cpu.system_ns[0], 150000500ULL);
	check_renders("cpu-nested-quota", &cpu, "-cfs");
	burrow_cpu_done(&cpu);
}
END_TEST

START_TEST(test_empty_cpuset)
{
	struct burrow_cpu cpu;

	/* Empty cpuset: every online host CPU, and host CPU 1 is offline. */
	gather("cpu-empty-cpuset", &no_cfs, &cpu);
	ck_assert_uint_eq(cpu.nr_visible, 3);
	ck_assert_int_eq(burrow_cpu_host_index(&cpu, 0), 0);
	ck_assert_int_eq(burrow_cpu_host_index(&cpu, 1), 2);
	ck_assert_int_eq(burrow_cpu_host_index(&cpu, 2), 3);
	ck_assert_int_lt(cpu.quota_us, 0);
	/* The offline CPU's line in usage_all is ignored. */
	ck_assert_uint_eq(cpu.user_ns[0], 10000000000ULL);
	ck_assert_uint_eq(cpu.user_ns[1], 20000000000ULL);
	ck_assert_uint_eq(cpu.user_ns[2], 30000000000ULL);
	ck_assert_uint_eq(cpu.system_ns[2], 3000000000ULL);
	check_renders("cpu-empty-cpuset", &cpu, "");
	burrow_cpu_done(&cpu);
}
END_TEST

START_TEST(test_cfs_cut)
{
	struct burrow_cpu cpu;
	uint64_t user = 0, sys = 0;

	gather("cpu-cfs-cut", &no_cfs, &cpu);
	ck_assert_uint_eq(cpu.nr_visible, 4);
	ck_assert_uint_eq(cpu.user_ns[3], 4000000000ULL);
	check_renders("cpu-cfs-cut", &cpu, "");
	burrow_cpu_done(&cpu);

	/* 150000/100000 → ceil(1.5) = 2; host CPUs 2 and 3 fold into 0 and 1. */
	gather("cpu-cfs-cut", &with_cfs, &cpu);
	ck_assert_uint_eq(cpuset_count(&cpu.cpus), 4);
	ck_assert_uint_eq(cpu.nr_visible, 2);
	ck_assert_int_eq(burrow_cpu_host_index(&cpu, 2), -ENOENT);
	ck_assert_uint_eq(cpu.user_ns[0], 4000000000ULL);
	ck_assert_uint_eq(cpu.user_ns[1], 6000000000ULL);
	ck_assert_uint_eq(cpu.system_ns[0], 400000000ULL);
	ck_assert_uint_eq(cpu.system_ns[1], 600000000ULL);
	for (unsigned i = 0; i < cpu.nr_visible; i++) {
		user += cpu.user_ns[i];
		sys += cpu.system_ns[i];
	}
	/* No usage lost: the sum of the four host CPUs. */
	ck_assert_uint_eq(user, 10000000000ULL);
	ck_assert_uint_eq(sys, 1000000000ULL);
	check_renders("cpu-cfs-cut", &cpu, "-cfs");
	burrow_cpu_done(&cpu);
}
END_TEST

START_TEST(test_no_cpuacct)
{
	struct burrow_cpu cpu;

	/* No cpuacct hierarchy and no cgroup2 mount: nothing records usage. */
	gather("cpu-no-cpuacct", &with_cfs, &cpu);
	ck_assert_uint_eq(cpu.nr_visible, 2);
	ck_assert_int_lt(cpu.quota_us, 0);
	ck_assert_uint_eq(cpu.user_ns[0], 0);
	ck_assert_uint_eq(cpu.system_ns[1], 0);
	check_renders("cpu-no-cpuacct", &cpu, "");
	burrow_cpu_done(&cpu);
}
END_TEST

START_TEST(test_huge)
{
	struct burrow_cpu cpu;

	gather("cpu-huge", &with_cfs, &cpu);
	ck_assert_int_eq(burrow_cpu_host_index(&cpu, 0), 8190);
	ck_assert_int_eq(burrow_cpu_host_index(&cpu, 1), 8191);
	/* lxc's INT64_MAX/1 is looser than c1's 17592186044415/1000. */
	ck_assert_int_eq(cpu.quota_us, 17592186044415LL);
	ck_assert_uint_eq(cpu.period_us, 1000);
	ck_assert_uint_eq(cpu.nr_visible, 2);
	ck_assert_uint_eq(cpu.user_ns[0], UINT64_MAX);
	ck_assert_uint_eq(cpu.system_ns[0], UINT64_MAX);
	ck_assert_uint_eq(cpu.user_ns[1], 18446744073709551000ULL);
	ck_assert_uint_eq(cpu.system_ns[1], 1);
	/* Host CPU 8190 has no cpuinfo block: skipped, numbering stays dense. */
	check_renders("cpu-huge", &cpu, "");
	burrow_cpu_done(&cpu);
}
END_TEST

START_TEST(test_missing_online)
{
	_cleanup_close_ int root = fixture_root("cgroup-hybrid");
	struct burrow_container c;
	struct burrow_cpu cpu;

	/* No sys/devices/system/cpu/online: an error, not a guess. */
	fixture_container(root, &c);
	ck_assert_int_eq(burrow_gather_cpu(root, &c, &no_cfs, &cpu), -ENODATA);
	burrow_container_done(&c);
}
END_TEST

/* A visible set of `n` CPUs starting at host CPU `first`, for renderer-only tests. */
static void fake_cpu(struct burrow_cpu *cpu, unsigned first, unsigned n)
{
	*cpu = (struct burrow_cpu){ .nr_visible = n, .quota_us = -1 };
	cpuset_clear(&cpu->cpus);
	for (unsigned i = 0; i < n; i++)
		cpuset_set(&cpu->cpus, first + i);
}

START_TEST(test_cpu_list)
{
	_cleanup_strbuf_ struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, z = STRBUF_INIT;
	struct burrow_cpu cpu;

	fake_cpu(&cpu, 5, 1);
	ck_assert_int_eq(burrow_render_cpu_list(&cpu, &a), 0);
	ck_assert_str_eq(a.buf, "0\n");
	fake_cpu(&cpu, 3, 16);
	ck_assert_int_eq(burrow_render_cpu_list(&cpu, &b), 0);
	ck_assert_str_eq(b.buf, "0-15\n");
	fake_cpu(&cpu, 0, 0);
	ck_assert_int_eq(burrow_render_cpu_list(&cpu, &z), -EINVAL);
}
END_TEST

static const char arm64_cpuinfo[] = "processor\t: 0\n"
				    "BogoMIPS\t: 48.00\n"
				    "CPU part\t: 0xd08\n"
				    "\n"
				    "processor\t: 1\n"
				    "BogoMIPS\t: 48.00\n"
				    "CPU part\t: 0xd08\n"
				    "\n"
				    "processor\t: 2\n"
				    "BogoMIPS\t: 50.00\n"
				    "CPU part\t: 0xd0b\n"
				    "\n";

START_TEST(test_cpuinfo_arm64)
{
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	struct burrow_cpu cpu;

	fake_cpu(&cpu, 2, 1);
	ck_assert_int_eq(burrow_render_cpuinfo(&cpu, arm64_cpuinfo, &out), 0);
	assert_text_eq("arm64", out.buf,
		       "processor\t: 0\nBogoMIPS\t: 50.00\nCPU part\t: 0xd0b\n\n");
}
END_TEST

/* arm32 and ppc: machine-wide lines after the CPU blocks, no blank line at the end. */
static const char ppc_cpuinfo[] = "processor\t: 0\n"
				  "cpu\t\t: POWER9\n"
				  "\n"
				  "processor\t: 1\n"
				  "cpu\t\t: POWER9\n"
				  "\n"
				  "timebase\t: 512000000\n"
				  "platform\t: pSeries\n";

START_TEST(test_cpuinfo_trailer)
{
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	struct burrow_cpu cpu;

	fake_cpu(&cpu, 1, 1);
	ck_assert_int_eq(burrow_render_cpuinfo(&cpu, ppc_cpuinfo, &out), 0);
	assert_text_eq("ppc", out.buf,
		       "processor\t: 0\ncpu\t\t: POWER9\n\n"
		       "timebase\t: 512000000\nplatform\t: pSeries\n");
}
END_TEST

static const char s390_cpuinfo[] =
	"vendor_id       : IBM/S390\n"
	"# processors    : 3\n"
	"bogomips per cpu: 3241.00\n"
	"processor 0: version = FF,  identification = 0133E8,  machine = 2964\n"
	"processor 1: version = FF,  identification = 0133E8,  machine = 2964\n"
	"processor 2: version = FF,  identification = 0133E8,  machine = 2964\n"
	"\n"
	"cpu number      : 0\n"
	"cpu MHz dynamic : 5000\n"
	"\n"
	"cpu number      : 1\n"
	"cpu MHz dynamic : 5000\n"
	"\n"
	"cpu number      : 2\n"
	"cpu MHz dynamic : 5200\n";

START_TEST(test_cpuinfo_s390)
{
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	struct burrow_cpu cpu;

	fake_cpu(&cpu, 1, 2);
	ck_assert_int_eq(burrow_render_cpuinfo(&cpu, s390_cpuinfo, &out), 0);
	assert_text_eq("s390", out.buf,
		       "vendor_id       : IBM/S390\n"
		       "# processors    : 2\n"
		       "bogomips per cpu: 3241.00\n"
		       "processor 0: version = FF,  identification = 0133E8,  machine = 2964\n"
		       "processor 1: version = FF,  identification = 0133E8,  machine = 2964\n"
		       "\n"
		       "cpu number      : 0\n"
		       "cpu MHz dynamic : 5000\n"
		       "\n"
		       "cpu number      : 1\n"
		       "cpu MHz dynamic : 5200\n");
}
END_TEST

START_TEST(test_cpuinfo_live)
{
	_cleanup_free_ char *host = NULL;
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	struct burrow_cpu cpu;
	unsigned host_n;

	/* This machine's own cpuinfo, cut to its first CPU. */
	ck_assert_int_eq(read_full_at(AT_FDCWD, "/proc/cpuinfo", &host, NULL), 0);
	host_n = count_lines(host, "processor");
	ck_assert_uint_ge(host_n, 1);
	fake_cpu(&cpu, 0, 1);
	ck_assert_int_eq(burrow_render_cpuinfo(&cpu, host, &out), 0);
	ck_assert_uint_eq(count_lines(out.buf, "processor"), 1);
	ck_assert_ptr_nonnull(strstr(out.buf, "processor\t: 0\n"));
}
END_TEST

START_TEST(test_clock)
{
	_cleanup_close_ int root = fixture_root("cpu-v1");
	struct burrow_container c;
	struct burrow_clock clk;

	fixture_container(root, &c);
	ck_assert_int_eq(burrow_gather_clock(root, &c, 100, &clk), 0);
	ck_assert_uint_eq(clk.clk_tck, 100);
	ck_assert_uint_eq(clk.init_start, 500000);
	ck_assert_double_eq_tol(clk.host_uptime, 11080.05, 1e-9);
	ck_assert_int_eq(burrow_gather_clock(root, &c, 0, &clk), -EINVAL);
	burrow_container_done(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cpu");
	TCase *tc = tcase_create("cpu");

	tcase_add_test(tc, test_v1);
	tcase_add_test(tc, test_hybrid);
	tcase_add_test(tc, test_v2);
	tcase_add_test(tc, test_nested_quota);
	tcase_add_test(tc, test_empty_cpuset);
	tcase_add_test(tc, test_cfs_cut);
	tcase_add_test(tc, test_no_cpuacct);
	tcase_add_test(tc, test_huge);
	tcase_add_test(tc, test_missing_online);
	tcase_add_test(tc, test_cpu_list);
	tcase_add_test(tc, test_cpuinfo_arm64);
	tcase_add_test(tc, test_cpuinfo_trailer);
	tcase_add_test(tc, test_cpuinfo_s390);
	tcase_add_test(tc, test_cpuinfo_live);
	tcase_add_test(tc, test_clock);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
