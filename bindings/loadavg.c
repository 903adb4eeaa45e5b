/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <limits.h>

#include "burrow.h"

/* include/linux/sched/loadavg.h */
#define FSHIFT	     11
#define FIXED_1	     (1UL << FSHIFT)
#define EXP_1	     1884UL /* 1/exp(5sec/1min) as fixed-point */
#define EXP_5	     2014UL /* 1/exp(5sec/5min) */
#define EXP_15	     2037UL /* 1/exp(5sec/15min) */
#define LOAD_INT(x)  ((x) >> FSHIFT)
#define LOAD_FRAC(x) LOAD_INT(((x) & (FIXED_1 - 1)) * 100)

/*
 * active is already scaled by FIXED_1. Since 5.x (commit "sched/loadavg: Fix
 * loadavg artifacts on fully idle and on fully loaded systems") the kernel
 * rounds up while the load climbs, so a constant load reaches its value
 * instead of stopping one unit short.
 */
static unsigned long calc_load(unsigned long load, unsigned long exp, unsigned long active)
{
	unsigned long newload = load * exp + active * (FIXED_1 - exp);

	if (active >= load)
		newload += FIXED_1 - 1;
	return newload / FIXED_1;
}

void burrow_loadavg_tick(struct burrow_loadavg *l, unsigned long active)
{
	/* Keep load * EXP and active * FIXED_1 * FIXED_1 inside an unsigned long. */
	const unsigned long cap = ULONG_MAX >> (2 * FSHIFT + 1);
	static const unsigned long exps[3] = { EXP_1, EXP_5, EXP_15 };

	if (active > cap)
		active = cap;
	for (int i = 0; i < 3; i++)
		l->avenrun[i] = calc_load(l->avenrun[i], exps[i], active * FIXED_1);
}

int burrow_render_loadavg(const struct burrow_loadavg *l, const struct burrow_tasks *t,
			  struct strbuf *out)
{
	unsigned long a[3];

	/* fs/proc/loadavg.c rounds to the nearest hundredth the same way. */
	for (int i = 0; i < 3; i++)
		a[i] = l->avenrun[i] + FIXED_1 / 200;
	strbuf_printf(out, "%lu.%02lu %lu.%02lu %lu.%02lu %" PRIu64 "/%" PRIu64 " %d\n",
		      LOAD_INT(a[0]), LOAD_FRAC(a[0]), LOAD_INT(a[1]), LOAD_FRAC(a[1]),
		      LOAD_INT(a[2]), LOAD_FRAC(a[2]), t->running, t->threads, (int)t->last_pid);
	return strbuf_error(out);
}
