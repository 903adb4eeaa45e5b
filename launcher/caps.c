/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "caps.h"

#include <ctype.h>
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "conf.h"

/* Bits past the running kernel's last capability can't be dropped: keep them out. */
static uint64_t all_caps(void)
{
	unsigned n = (unsigned)cap_max_bits();

	if (n == 0 || n > 64)
		n = CAP_LAST_CAP + 1;
	return n >= 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
}

int caps_parse_list(const char *v, uint64_t *ret, char *why, size_t why_size)
{
	g_auto(GStrv) names = g_strsplit_set(v, ";, ", -1);
	uint64_t mask = 0;

	for (char **n = names; *n; n++) {
		g_autofree char *lower = g_ascii_strdown(*n, -1);
		g_autofree char *full = NULL;
		cap_value_t cap;

		if (!*lower)
			continue;
		if (g_str_equal(lower, "all")) {
			mask = all_caps();
			continue;
		}
		full = g_str_has_prefix(lower, "cap_") ? g_strdup(lower)
						       : g_strconcat("cap_", lower, NULL);
		if (cap_from_name(full, &cap) < 0 || cap < 0 || cap >= 64) {
			snprintf(why, why_size,
				 "'%s' is not a capability name (such as sys_module)", *n);
			return -EINVAL;
		}
		mask |= UINT64_C(1) << cap;
	}
	*ret = mask & all_caps();
	return 0;
}

uint64_t caps_drop_mask(const struct container_config *c)
{
	if (c->caps_keep_set)
		return all_caps() & ~c->caps_keep;
	return c->caps_drop & all_caps();
}

int caps_apply(uint64_t mask)
{
	for (unsigned cap = 0; cap < 64; cap++) {
		if (!(mask & (UINT64_C(1) << cap)))
			continue;
		if (cap_drop_bound((cap_value_t)cap) < 0 && errno != EINVAL)
			return -errno;
	}
	return 0;
}

char *caps_format(uint64_t mask)
{
	GString *s = g_string_new(NULL);

	for (unsigned cap = 0; cap < 64; cap++) {
		char *name;

		if (!(mask & (UINT64_C(1) << cap)))
			continue;
		name = cap_to_name((cap_value_t)cap);
		g_string_append_printf(s, "%s%s", s->len ? "," : "",
				       name && g_str_has_prefix(name, "cap_") ? name + 4 : name);
		cap_free(name);
	}
	return g_string_free(s, FALSE);
}
