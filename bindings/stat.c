/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "burrow.h"
#include "macro.h"

#define NSEC_PER_SEC	1000000000ULL
#define NSEC_PER_CENTI	10000000ULL
#define STAT_FIELDS_MAX 10 /* user nice system idle iowait irq softirq steal guest guest_nice */
#define STAT_FIELDS_MIN 4

static uint64_t ns_to_ticks(uint64_t ns, uint64_t clk_tck)
{
	unsigned __int128 t = (unsigned __int128)ns * clk_tck / NSEC_PER_SEC;

	return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

/* proc/uptime has two decimals; working in centiseconds keeps 107.01 from becoming 10700.99. */
static uint64_t uptime_centis(const struct burrow_clock *clk)
{
	if (!(clk->host_uptime > 0))
		return 0;
	if (clk->host_uptime >= 1e17)
		return UINT64_MAX;
	return (uint64_t)(clk->host_uptime * 100.0 + 0.5);
}

/* Centiseconds since the container's init started; never below 0. */
static uint64_t container_centis(const struct burrow_clock *clk)
{
	uint64_t start = (uint64_t)((unsigned __int128)clk->init_start * 100 / clk->clk_tck);

	return SUB_SAT(uptime_centis(clk), start);
}

void burrow_stat_state_done(struct burrow_stat_state *s)
{
	if (!s)
		return;
	free(s->user);
	free(s->system);
	free(s->idle);
	*s = (struct burrow_stat_state){ 0 };
}

/* Fields of the host's "cpu " line, so the container's lines look like the host's. */
static unsigned host_cpu_fields(const char *host_stat)
{
	size_t len;
	const char *l = find_line(host_stat, "cpu ", &len);
	unsigned n = 0;

	if (!l)
		return STAT_FIELDS_MAX;
	for (size_t i = 3; i < len; i++)
		if (l[i] != ' ' && (l[i - 1] == ' '))
			n++;
	if (n < STAT_FIELDS_MIN)
		return STAT_FIELDS_MIN;
	return n > STAT_FIELDS_MAX ? STAT_FIELDS_MAX : n;
}

static void emit_cpu_line(struct strbuf *out, const char *name, uint64_t user, uint64_t system,
			  uint64_t idle, unsigned fields)
{
	const uint64_t v[STAT_FIELDS_MAX] = { user, 0, system, idle };

	strbuf_puts(out, name);
	for (unsigned f = 0; f < fields; f++)
		strbuf_printf(out, " %" PRIu64, v[f]);
	strbuf_puts(out, "\n");
}

/* The counters to show this time, each at least what the last read showed. */
struct ticks {
	uint64_t *user, *system, *idle;
};

static void ticks_free(struct ticks *t)
{
	free(t->user);
	free(t->system);
	free(t->idle);
}

static int compute_ticks(const struct burrow_cpu *cpu, const struct burrow_clock *clk,
			 const struct burrow_stat_state *prev, struct ticks *ret)
{
	uint64_t wall = container_centis(clk);
	unsigned n = cpu->nr_visible;
	struct ticks t = {
		.user = calloc(n, sizeof(uint64_t)),
		.system = calloc(n, sizeof(uint64_t)),
		.idle = calloc(n, sizeof(uint64_t)),
	};

	if (!t.user || !t.system || !t.idle) {
		ticks_free(&t);
		return -ENOMEM;
	}
	wall = (uint64_t)((unsigned __int128)wall * clk->clk_tck / 100);
	for (unsigned i = 0; i < n; i++) {
		/* A CPU index that did not exist last time has nothing to keep. */
		bool had = i < prev->n;

		t.user[i] =
			MAX(ns_to_ticks(cpu->user_ns[i], clk->clk_tck), had ? prev->user[i] : 0);
		t.system[i] = MAX(ns_to_ticks(cpu->system_ns[i], clk->clk_tck),
				  had ? prev->system[i] : 0);
		/*
		 * Idle is what the wall clock left over, so every line advances
		 * like wall time; taken from the clamped values, so a cgroup
		 * recreated with less usage does not inflate it.
		 */
		t.idle[i] = MAX(SUB_SAT(SUB_SAT(wall, t.user[i]), t.system[i]),
				had ? prev->idle[i] : 0);
	}
	*ret = t;
	return 0;
}

static void emit_cpu_block(const struct ticks *t, unsigned n, unsigned fields, struct strbuf *out)
{
	uint64_t user = 0, system = 0, idle = 0;
	char name[32];

	for (unsigned i = 0; i < n; i++) {
		user = add_sat(user, t->user[i]);
		system = add_sat(system, t->system[i]);
		idle = add_sat(idle, t->idle[i]);
	}
	emit_cpu_line(out, "cpu ", user, system, idle, fields);
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "cpu%u", i);
		emit_cpu_line(out, name, t->user[i], t->system[i], t->idle[i], fields);
	}
}

static bool starts_with(const char *line, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);

	return len >= plen && memcmp(line, prefix, plen) == 0;
}

/* The number after prefix, on a line that starts with it. */
static bool line_value(const char *line, size_t len, const char *prefix, uint64_t *ret)
{
	const char *v;

	if (!starts_with(line, len, prefix))
		return false;
	v = line + strlen(prefix);
	return parse_u64_prefix(&v, ret) == 0;
}

/* The host's lines in the host's order, the container's values where it has its own. */
static void emit_lines(const char *host_stat, const struct ticks *t, unsigned n,
		       const struct burrow_tasks *tasks, const struct burrow_clock *clk,
		       uint64_t processes, struct strbuf *out)
{
	unsigned fields = host_cpu_fields(host_stat);
	bool cpu_done = false;

	if (!find_line(host_stat, "cpu ", NULL)) {
		emit_cpu_block(t, n, fields, out);
		cpu_done = true;
	}
	for (const char *l = host_stat; *l;) {
		size_t len = strcspn(l, "\n");
		uint64_t btime;

		if (starts_with(l, len, "cpu")) {
			if (!cpu_done)
				emit_cpu_block(t, n, fields, out);
			cpu_done = true;
		} else if (line_value(l, len, "btime ", &btime))
			strbuf_printf(out, "btime %" PRIu64 "\n",
				      add_sat(btime, clk->init_start / clk->clk_tck));
		else if (tasks->host && starts_with(l, len, "proc")) {
			/* No cgroup of its own: its tasks are the host's. */
			strbuf_append(out, l, len);
			strbuf_puts(out, "\n");
		} else if (starts_with(l, len, "processes "))
			strbuf_printf(out, "processes %" PRIu64 "\n", processes);
		else if (starts_with(l, len, "procs_running "))
			strbuf_printf(out, "procs_running %" PRIu64 "\n", tasks->running);
		else if (starts_with(l, len, "procs_blocked "))
			strbuf_printf(out, "procs_blocked %" PRIu64 "\n", tasks->blocked);
		else if (len > 0) {
			/* intr, ctxt, softirq: the kernel keeps them for the host only. */
			strbuf_append(out, l, len);
			strbuf_puts(out, "\n");
		}
		l += len + (l[len] == '\n');
	}
}

int burrow_render_stat(const struct burrow_cpu *cpu, const struct burrow_tasks *t,
		       const struct burrow_clock *clk, const char *host_stat,
		       struct burrow_stat_state *state, struct strbuf *out)
{
	struct ticks now;
	uint64_t processes;
	int r;

	if (cpu->nr_visible == 0 || clk->clk_tck == 0)
		return -EINVAL;
	r = compute_ticks(cpu, clk, state, &now);
	if (r < 0)
		return r;
	/*
	 * "processes" counts forks since boot. The container's pid namespace
	 * hands out pids in sequence, so its newest pid approximates the forks
	 * made inside it (threads included, as the kernel's count does), until
	 * pids wrap at pid_max. It drops when the newest task exits: clamp it.
	 */
	processes = MAX((uint64_t)(t->last_pid > 0 ? t->last_pid : 0), state->processes);
	emit_lines(host_stat, &now, cpu->nr_visible, t, clk, processes, out);
	r = strbuf_error(out);
	if (r < 0) {
		ticks_free(&now);
		return r;
	}
	/* Remember what was shown only once it was. */
	burrow_stat_state_done(state);
	*state = (struct burrow_stat_state){
		.n = cpu->nr_visible,
		.user = now.user,
		.system = now.system,
		.idle = now.idle,
		.processes = processes,
	};
	return 0;
}

int burrow_render_uptime(const struct burrow_cpu *cpu, const struct burrow_clock *clk,
			 struct strbuf *out)
{
	uint64_t up, busy = 0, idle;

	if (cpu->nr_visible == 0 || clk->clk_tck == 0)
		return -EINVAL;
	up = container_centis(clk);
	for (unsigned i = 0; i < cpu->nr_visible; i++)
		busy = add_sat(busy, add_sat(cpu->user_ns[i], cpu->system_ns[i]));
	/* Summed over the visible CPUs, as the kernel's idle is: stat's idle, in seconds. */
	idle = SUB_SAT(mul_sat(up, cpu->nr_visible), busy / NSEC_PER_CENTI);
	strbuf_printf(out, "%" PRIu64 ".%02" PRIu64 " %" PRIu64 ".%02" PRIu64 "\n", up / 100,
		      up % 100, idle / 100, idle % 100);
	return strbuf_error(out);
}
