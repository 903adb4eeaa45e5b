/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * burrow_gather_cpu and burrow_gather_clock on fuzzed cpuset, quota,
 * cpuacct / cpu.stat and uptime files, then every CPU renderer over fuzzed
 * host cpuinfo and stat.
 *
 * Part 0: byte 0 flags (bit 0 v2, bit 1 --enable-cfs, bit 2 no cpuset
 * hierarchy, bit 3 no cpuacct hierarchy), byte 1 picks USER_HZ, bytes 2-9
 * the init's start time. Parts 1-12: the files below; 13: host cpuinfo;
 * 14: host stat.
 *
 * Invariants: at least one CPU is visible and only CPUs of the cpuset and
 * online; the cpu lists say 0-(n-1); /proc/stat's counters never go
 * backwards, even when the cgroup's usage and the clock both drop.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "burrow.h"
#include "fileio.h"
#include "fuzz-common.h"
#include "macro.h"

static const struct fuzz_cgfile files[] = {
	[1] = { "sys/devices/system/cpu/online", "sys/devices/system/cpu/online" },
	[2] = { "cs/a/cpuset.effective_cpus", "cs/a/cpuset.cpus.effective" },
	[3] = { "cs/a/cpuset.cpus", NULL },
	[4] = { "cpu/a/b/cpu.cfs_quota_us", "cpu/a/b/cpu.max" },
	[5] = { "cpu/a/b/cpu.cfs_period_us", NULL },
	[6] = { "cpu/a/cpu.cfs_quota_us", "cpu/a/cpu.max" },
	[7] = { "cpu/a/cpu.cfs_period_us", NULL },
	[8] = { "acct/a/cpuacct.usage_all", "acct/a/cpu.stat" },
	[9] = { "acct/a/cpuacct.usage_percpu_user", NULL },
	[10] = { "acct/a/cpuacct.usage_percpu_sys", NULL },
	[11] = { "acct/a/cpuacct.usage_percpu", NULL },
	[12] = { "proc/uptime", "proc/uptime" },
};
#define PART_CPUINFO 13
#define PART_STAT    14

static void write_tree(const struct fuzz_parts *p, bool v2)
{
	static bool made;

	if (!made) {
		fuzz_mkdir("sys/devices/system/cpu");
		fuzz_mkdir("cs/a");
		fuzz_mkdir("cpu/a/b");
		fuzz_mkdir("acct/a");
		fuzz_mkdir("proc");
		made = true;
	}
	fuzz_put_cgfiles(files, sizeof(files) / sizeof(files[0]), p, v2);
}

static void check_view(const struct burrow_cpu *cpu)
{
	static struct burrow_cpuset online;
	_cleanup_strbuf_ struct strbuf list = STRBUF_INIT;
	_cleanup_free_ char *text = NULL;
	char want[32];

	fuzz_assert(cpu->nr_visible >= 1, "no CPU visible");
	fuzz_assert(cpu->nr_visible <= cpuset_count(&cpu->cpus), "%u visible of %u",
		    cpu->nr_visible, cpuset_count(&cpu->cpus));
	if (read_full_at(fuzz_root(), "sys/devices/system/cpu/online", &text, NULL) == 0 &&
	    cpuset_parse(text, &online) == 0)
		for (unsigned i = 0; i < cpu->nr_visible; i++)
			fuzz_assert(cpuset_isset(&online, (unsigned)burrow_cpu_host_index(cpu, i)),
				    "visible CPU %u is offline", i);

	fuzz_assert(burrow_render_cpu_list(cpu, &list) == 0, "cpu list");
	if (cpu->nr_visible == 1)
		snprintf(want, sizeof(want), "0\n");
	else
		snprintf(want, sizeof(want), "0-%u\n", cpu->nr_visible - 1);
	fuzz_assert(strcmp(list.buf, want) == 0, "cpu list '%s', want '%s'", list.buf, want);
}

/* The numbers of every "cpu" line and of "processes", in order, into v. */
static size_t stat_numbers(const char *text, uint64_t *v, size_t max)
{
	size_t n = 0;

	for (const char *l = text; *l && n < max;) {
		size_t len = strcspn(l, "\n");

		if (strncmp(l, "cpu", 3) == 0 || strncmp(l, "processes ", 10) == 0) {
			const char *q = l + strcspn(l, " ");

			while (q < l + len && n < max && parse_u64_prefix(&q, &v[n]) == 0)
				n++;
		}
		l += len + (l[len] == '\n');
	}
	return n;
}

/* Renders twice with one state; the second time with less of everything. */
static void check_stat(struct burrow_cpu *cpu, const struct burrow_clock *clk, const char *host,
		       struct burrow_stat_state *state)
{
	_cleanup_strbuf_ struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	struct burrow_tasks t = { .running = 1, .threads = 3, .last_pid = 40 };
	struct burrow_clock later = *clk;
	static uint64_t va[4096], vb[4096];
	size_t na, nb;

	if (burrow_render_stat(cpu, &t, clk, host, state, &a) < 0)
		return;
	/* The cgroup recreated empty, its newest task gone, the clock read earlier. */
	for (unsigned i = 0; i < cpu->nr_visible; i++)
		cpu->user_ns[i] = cpu->system_ns[i] = 0;
	t.last_pid = 2;
	later.host_uptime = clk->host_uptime / 2;
	fuzz_assert(burrow_render_stat(cpu, &t, &later, host, state, &b) == 0, "second render");
	na = stat_numbers(a.buf, va, 4096);
	nb = stat_numbers(b.buf, vb, 4096);
	fuzz_assert(na == nb, "%zu numbers, then %zu", na, nb);
	for (size_t i = 0; i < na; i++)
		fuzz_assert(vb[i] >= va[i], "counter %zu went back: %" PRIu64 " -> %" PRIu64, i,
			    va[i], vb[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t hz[] = { 100, 250, 1000, 1, 300, UINT64_C(1) << 40 };
	struct burrow_container c = { .init_pid = 1 };
	struct burrow_opts o = { .swap = true };
	struct burrow_cpu cpu;
	struct burrow_clock clk;
	struct fuzz_parts p;
	unsigned flags;
	bool v2;

	fuzz_split(data, size, &p);
	flags = fuzz_flags(&p);
	v2 = flags & 1;
	o.cfs = flags & 2;
	write_tree(&p, v2);
	if (!(flags & 4))
		c.cg[BURROW_CG_CPUSET] =
			(struct burrow_cgpath){ .path = (char *)"cs/a", .mount_len = 2, .v2 = v2 };
	c.cg[BURROW_CG_CPU] =
		(struct burrow_cgpath){ .path = (char *)"cpu/a/b", .mount_len = 3, .v2 = v2 };
	if (!(flags & 8))
		c.cg[BURROW_CG_CPUACCT] = (struct burrow_cgpath){ .path = (char *)"acct/a",
								  .mount_len = 4,
								  .v2 = v2 };
	if (p.len[0] >= 10)
		memcpy(&c.init_start, p.part[0] + 2, sizeof(c.init_start));

	if (burrow_gather_cpu(fuzz_root(), &c, &o, &cpu) == 0) {
		uint64_t tck = hz[(p.len[0] > 1 ? (unsigned char)p.part[0][1] : 0) % 6];

		check_view(&cpu);
		if (fuzz_file(&p, PART_CPUINFO)) {
			_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;

			(void)burrow_render_cpuinfo(&cpu, p.part[PART_CPUINFO], &out);
		}
		if (burrow_gather_clock(fuzz_root(), &c, tck, &clk) == 0) {
			_cleanup_strbuf_ struct strbuf up = STRBUF_INIT;

			fuzz_assert(burrow_render_uptime(&cpu, &clk, &up) == 0, "uptime");
			if (fuzz_file(&p, PART_STAT)) {
				struct burrow_stat_state state = { 0 };

				check_stat(&cpu, &clk, p.part[PART_STAT], &state);
				burrow_stat_state_done(&state);
			}
		}
		burrow_cpu_done(&cpu);
	}
	fuzz_parts_done(&p);
	return 0;
}
