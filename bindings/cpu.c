/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "burrow.h"
#include "fileio.h"
#include "macro.h"

#define NSEC_PER_USEC 1000ULL

/*
 * -ESTALE when the container's cgroup directory is gone: it was removed after
 * the daemon resolved the container, and a file missing from it says nothing
 * about the container's limits (its parent's would show instead).
 */
static int cg_vanished(int root_fd, const char *path)
{
	if (faccessat(root_fd, path, F_OK, 0) == 0)
		return 0;
	return errno == ENOENT ? -ESTALE : -errno;
}

/* The effective cpuset of the container's cgroup; -ENODATA when it has none. */
static int read_cpuset(int root_fd, const struct burrow_cgpath *p, struct burrow_cpuset *ret)
{
	/* v1 kernels before effective_cpus (or without sane_behavior) only have cpuset.cpus. */
	static const char *const v1_files[] = { "cpuset.effective_cpus", "cpuset.cpus" };
	static const char *const v2_files[] = { "cpuset.cpus.effective" };
	const char *const *files = p->v2 ? v2_files : v1_files;
	size_t n = p->v2 ? ELEMENTSOF(v2_files) : ELEMENTSOF(v1_files);
	int r = -ENODATA;

	if (!p->path)
		return -ENODATA;
	for (size_t i = 0; i < n && r == -ENODATA; i++) {
		_cleanup_free_ char *text = NULL;
		char path[4096];

		r = cg_file(p, files[i], path, sizeof(path));
		if (r < 0)
			return r;
		r = read_full_at(root_fd, path, &text, NULL);
		if (r == 0)
			r = cpuset_parse(text, ret);
	}
	if (r == -ENODATA) {
		int g = cg_vanished(root_fd, p->path);

		if (g < 0)
			return g;
	}
	return r;
}

static int gather_cpus(int root_fd, const struct burrow_container *c, struct burrow_cpuset *ret)
{
	_cleanup_free_ char *text = NULL;
	struct burrow_cpuset online, set;
	int r;

	r = read_full_at(root_fd, "sys/devices/system/cpu/online", &text, NULL);
	if (r < 0)
		return r;
	r = cpuset_parse(text, &online);
	if (r < 0)
		return r;
	if (cpuset_count(&online) == 0)
		return -EINVAL;

	r = read_cpuset(root_fd, &c->cg[BURROW_CG_CPUSET], &set);
	if (r == -ENODATA) {
		*ret = online;
		return 0;
	}
	if (r < 0)
		return r;
	cpuset_and(&set, &online);
	/*
	 * An unset v1 cpuset reads empty; and a cpuset naming only CPUs that went
	 * offline is one the kernel is about to migrate away from. Tasks run on
	 * some online CPU either way, so show them all rather than none.
	 */
	if (cpuset_count(&set) == 0)
		set = online;
	*ret = set;
	return 0;
}

/* One level's quota; *ret_quota < 0 when unlimited, -ENODATA when the level has none. */
static int read_level_quota(int root_fd, const char *dir, bool v2, int64_t *ret_quota,
			    uint64_t *ret_period)
{
	char path[4096 + 32], buf[128];
	uint64_t quota, period = 0;
	const char *p = buf;
	int64_t q;
	int r;

	if (!v2) {
		snprintf(path, sizeof(path), "%s/cpu.cfs_quota_us", dir);
		r = read_i64_at(root_fd, path, &q);
		if (r < 0)
			return r;
		if (q >= 0) {
			snprintf(path, sizeof(path), "%s/cpu.cfs_period_us", dir);
			r = read_u64_at(root_fd, path, &period);
			if (r < 0)
				return r;
		}
		*ret_quota = q < 0 ? -1 : q;
		*ret_period = period;
		return 0;
	}

	/* "max 100000" or "50000 100000" */
	snprintf(path, sizeof(path), "%s/cpu.max", dir);
	r = read_small_at(root_fd, path, buf, sizeof(buf), NULL);
	if (r < 0)
		return r;
	if (strncmp(p, "max", 3) == 0) {
		*ret_quota = -1;
		*ret_period = 0;
		return 0;
	}
	r = parse_u64_prefix(&p, &quota);
	if (r < 0)
		return r;
	r = parse_u64_prefix(&p, &period);
	if (r < 0)
		return r;
	*ret_quota = quota > INT64_MAX ? INT64_MAX : (int64_t)quota;
	*ret_period = period;
	return 0;
}

/*
 * The tightest quota/period ratio from the container's cgroup up to the
 * hierarchy's root: the kernel throttles a cgroup by every ancestor's
 * bandwidth, and periods may differ per level, so ratios are compared.
 */
static int gather_quota(int root_fd, const struct burrow_cgpath *p, int64_t *ret_quota,
			uint64_t *ret_period)
{
	int64_t best_q = -1;
	uint64_t best_p = 0;
	char path[4096];
	size_t len;

	if (p->path) {
		len = strlen(p->path);
		if (len >= sizeof(path))
			return -ENAMETOOLONG;
		memcpy(path, p->path, len + 1);
		for (;;) {
			int64_t q;
			uint64_t per = 0;
			int r;

			r = read_level_quota(root_fd, path, p->v2, &q, &per);
			if (r == -ENODATA && len == strlen(p->path)) {
				int g = cg_vanished(root_fd, path);

				if (g < 0)
					return g;
			}
			if (r < 0 && r != -ENODATA)
				return r;
			if (r == 0 && q >= 0 && per > 0 &&
			    (best_q < 0 ||
			     (unsigned __int128)q * best_p < (unsigned __int128)best_q * per)) {
				best_q = q;
				best_p = per;
			}
			if (len <= p->mount_len)
				break;
			while (len > p->mount_len && path[len - 1] != '/')
				len--;
			if (len > p->mount_len)
				len--;
			path[len] = '\0';
		}
	}
	*ret_quota = best_q;
	*ret_period = best_q < 0 ? 0 : best_p;
	return 0;
}

/* Position of host CPU cpu among the members of s, counted from 0. */
static unsigned cpuset_rank(const struct burrow_cpuset *s, unsigned cpu)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cpu / 64; i++)
		n += (unsigned)__builtin_popcountll(s->bits[i]);
	return n + (unsigned)__builtin_popcountll(s->bits[cpu / 64] &
						  ((UINT64_C(1) << (cpu % 64)) - 1));
}

/*
 * Host CPU number cpu used `ns`; it counts for visible CPU rank % nr_visible.
 * With --enable-cfs the cut CPUs fold into the visible ones, so a container
 * whose threads ran on all of its cpuset still shows all of its usage.
 */
static void charge(struct burrow_cpu *cpu, uint64_t *arr, uint64_t hostcpu, uint64_t ns)
{
	unsigned i;

	if (hostcpu >= BURROW_MAX_CPUS || !cpuset_isset(&cpu->cpus, (unsigned)hostcpu))
		return;
	i = cpuset_rank(&cpu->cpus, (unsigned)hostcpu) % cpu->nr_visible;
	arr[i] = add_sat(arr[i], ns);
}

/* cpuacct.usage_all: "cpu user system" header, then "N USER SYSTEM" per host CPU. */
static int parse_usage_all(const char *text, struct burrow_cpu *cpu)
{
	const char *p = strchr(text, '\n');

	if (!p || strncmp(text, "cpu ", 4) != 0)
		return -EINVAL;
	for (p++; *p; p++) {
		uint64_t n, user, sys;
		int r;

		r = parse_u64_prefix(&p, &n);
		if (r == 0)
			r = parse_u64_prefix(&p, &user);
		if (r == 0)
			r = parse_u64_prefix(&p, &sys);
		if (r < 0)
			return r;
		charge(cpu, cpu->user_ns, n, user);
		charge(cpu, cpu->system_ns, n, sys);
		p += strcspn(p, "\n");
		if (!*p)
			break;
	}
	return 0;
}

/* usage_percpu*: one number per possible host CPU, in order. */
static int parse_percpu(const char *text, struct burrow_cpu *cpu, uint64_t *arr)
{
	const char *p = text;

	for (uint64_t n = 0;; n++) {
		uint64_t v;
		int r;

		while (*p == ' ' || *p == '\n')
			p++;
		if (!*p)
			return 0;
		r = parse_u64_prefix(&p, &v);
		if (r < 0)
			return r;
		charge(cpu, arr, n, v);
	}
}

static int read_cg_file(int root_fd, const struct burrow_cgpath *p, const char *file, char **ret)
{
	char path[4096];
	int r;

	r = cg_file(p, file, path, sizeof(path));
	if (r < 0)
		return r;
	return read_full_at(root_fd, path, ret, NULL);
}

static int gather_usage_v1(int root_fd, const struct burrow_cgpath *p, struct burrow_cpu *cpu)
{
	_cleanup_free_ char *all = NULL, *user = NULL, *sys = NULL, *total = NULL;
	int r;

	r = read_cg_file(root_fd, p, "cpuacct.usage_all", &all);
	if (r == 0)
		return parse_usage_all(all, cpu);
	if (r != -ENODATA)
		return r;

	/* Kernels before 4.7 have no usage_all; split files came in 3.19. */
	r = read_cg_file(root_fd, p, "cpuacct.usage_percpu_user", &user);
	if (r == 0)
		r = read_cg_file(root_fd, p, "cpuacct.usage_percpu_sys", &sys);
	if (r == 0) {
		r = parse_percpu(user, cpu, cpu->user_ns);
		return r < 0 ? r : parse_percpu(sys, cpu, cpu->system_ns);
	}
	if (r != -ENODATA)
		return r;

	/* Oldest kernels don't split user from system: count it all as user. */
	r = read_cg_file(root_fd, p, "cpuacct.usage_percpu", &total);
	if (r < 0)
		return r;
	return parse_percpu(total, cpu, cpu->user_ns);
}

/* v2 keeps no per-CPU usage; spread it evenly, the remainder on the first CPUs. */
static void spread(uint64_t *arr, unsigned n, uint64_t total)
{
	for (unsigned i = 0; i < n; i++)
		arr[i] = total / n + (i < total % n ? 1 : 0);
}

static int gather_usage_v2(int root_fd, const struct burrow_cgpath *p, struct burrow_cpu *cpu)
{
	_cleanup_free_ char *text = NULL;
	uint64_t user, sys;
	int r;

	r = read_cg_file(root_fd, p, "cpu.stat", &text);
	if (r < 0)
		return r;
	r = keyval_u64(text, "user_usec", &user);
	if (r == 0)
		r = keyval_u64(text, "system_usec", &sys);
	if (r < 0)
		return r;
	spread(cpu->user_ns, cpu->nr_visible, mul_sat(user, NSEC_PER_USEC));
	spread(cpu->system_ns, cpu->nr_visible, mul_sat(sys, NSEC_PER_USEC));
	return 0;
}

static unsigned visible_count(const struct burrow_cpu *cpu, const struct burrow_opts *o)
{
	unsigned n = cpuset_count(&cpu->cpus);
	uint64_t want;

	if (!o || !o->cfs || cpu->quota_us < 0 || cpu->period_us == 0)
		return n;
	/* ceil(quota/period), without the overflow of quota + period - 1 */
	want = (uint64_t)cpu->quota_us / cpu->period_us +
	       ((uint64_t)cpu->quota_us % cpu->period_us ? 1 : 0);
	if (want == 0)
		want = 1;
	return want < n ? (unsigned)want : n;
}

int burrow_gather_cpu(int root_fd, const struct burrow_container *c, const struct burrow_opts *o,
		      struct burrow_cpu *ret)
{
	const struct burrow_cgpath *acct = &c->cg[BURROW_CG_CPUACCT];
	struct burrow_cpu cpu = { 0 };
	int r;

	r = gather_cpus(root_fd, c, &cpu.cpus);
	if (r < 0)
		return r;
	r = gather_quota(root_fd, &c->cg[BURROW_CG_CPU], &cpu.quota_us, &cpu.period_us);
	if (r < 0)
		return r;
	cpu.nr_visible = visible_count(&cpu, o);
	cpu.user_ns = calloc(cpu.nr_visible, sizeof(uint64_t));
	cpu.system_ns = calloc(cpu.nr_visible, sizeof(uint64_t));
	if (!cpu.user_ns || !cpu.system_ns) {
		burrow_cpu_done(&cpu);
		return -ENOMEM;
	}
	/*
	 * No cpuacct hierarchy at all (a v1-only host that never mounted it):
	 * nothing records the container's usage, so it shows none, all idle.
	 */
	if (acct->path) {
		r = acct->v2 ? gather_usage_v2(root_fd, acct, &cpu)
			     : gather_usage_v1(root_fd, acct, &cpu);
		if (r < 0) {
			burrow_cpu_done(&cpu);
			return r;
		}
	}
	*ret = cpu;
	return 0;
}

void burrow_cpu_done(struct burrow_cpu *cpu)
{
	if (!cpu)
		return;
	free(cpu->user_ns);
	free(cpu->system_ns);
	cpu->user_ns = cpu->system_ns = NULL;
	cpu->nr_visible = 0;
}

int burrow_cpu_host_index(const struct burrow_cpu *cpu, unsigned i)
{
	if (i >= cpu->nr_visible)
		return -ENOENT;
	return cpuset_nth(&cpu->cpus, i);
}

int burrow_cpu_visible_index(const struct burrow_cpu *cpu, unsigned h)
{
	unsigned i;

	if (h >= BURROW_MAX_CPUS || !cpuset_isset(&cpu->cpus, h))
		return -ENOENT;
	i = cpuset_rank(&cpu->cpus, h);
	return i < cpu->nr_visible ? (int)i : -ENOENT;
}

int burrow_render_cpu_list(const struct burrow_cpu *cpu, struct strbuf *out)
{
	if (cpu->nr_visible == 0)
		return -EINVAL;
	if (cpu->nr_visible == 1)
		strbuf_puts(out, "0\n");
	else
		strbuf_printf(out, "0-%u\n", cpu->nr_visible - 1);
	return strbuf_error(out);
}

/* "11080.05 21999.26": the first field, in seconds. Parsed by hand: strtod follows the locale. */
static int parse_seconds(const char *text, double *ret)
{
	const char *p = text;
	uint64_t whole, frac = 0, scale = 1;
	int r;

	r = parse_u64_prefix(&p, &whole);
	if (r < 0)
		return r;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9' && scale < UINT64_C(1000000000); p++) {
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
	*ret = (double)whole + (double)frac / (double)scale;
	return 0;
}

int burrow_gather_clock(int root_fd, const struct burrow_container *c, uint64_t clk_tck,
			struct burrow_clock *ret)
{
	char buf[256];
	double up;
	int r;

	if (clk_tck == 0)
		return -EINVAL;
	r = read_small_at(root_fd, "proc/uptime", buf, sizeof(buf), NULL);
	if (r < 0)
		return r;
	r = parse_seconds(buf, &up);
	if (r < 0)
		return r;
	*ret = (struct burrow_clock){
		.host_uptime = up,
		.clk_tck = clk_tck,
		.init_start = c->init_start,
	};
	return 0;
}
