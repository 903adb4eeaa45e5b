/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "caps.h"
#include "conf.h"
#include "fileio.h"
#include "idmap.h"
#include "launcher.h"
#include "net.h"
#include "state.h"

static void print_limit(const char *key, uint64_t v)
{
	char buf[32];

	format_bytes(v, buf, sizeof(buf));
	printf("%-14s %s\n", key, buf);
}

/* Live usage from the container's memory and pids cgroups, when they are there. */
static void print_usage(const struct ct_status *st)
{
	for (char **c = st->cgroups; c && *c; c++) {
		const char *eq = strstr(*c, "=/");
		g_autofree char *file = NULL;
		uint64_t v;

		if (!eq)
			continue;
		if (g_str_has_prefix(*c, "memory="))
			file = g_build_filename(eq + 1, "memory.usage_in_bytes", NULL);
		else if (g_str_has_prefix(*c, "pids="))
			file = g_build_filename(eq + 1, "pids.current", NULL);
		if (file && read_u64_at(AT_FDCWD, file, &v) >= 0)
			printf("%-14s %" PRIu64 "\n",
			       g_str_has_prefix(*c, "memory=") ? "Memory use:" : "Tasks:", v);
	}
}

/* Read from the container's own network namespace, so what DHCP gave the guest shows too. */
static void print_addresses(const struct ct_status *st)
{
	g_auto(GStrv) addrs = NULL;

	if (!st->init || net_addresses(st->init, st->init_start, &addrs) < 0)
		return;
	for (char **a = addrs; *a; a++)
		printf("%-14s %s\n", a == addrs ? "Addresses:" : "", *a);
	if (!addrs[0])
		printf("%-14s -\n", "Addresses:");
}

/* Where this boot's /proc files come from. */
static const char *burrowfs_kind(const struct container_config *c, const struct ct_status *st)
{
	if (!st->burrowfs_bound)
		return "none (the host's files: burrowfs=no, or not mounted)";
	if (st->burrowfs_own)
		return "per-container (its own connection)";
	if (c->burrowfs_mount == BURROWFS_MOUNT_SHARED)
		return "shared (burrowfs-mount=shared)";
	return "shared (per-container was refused or unavailable)";
}

static void print_info(const struct ct *ct, const struct ct_status *st, struct container_config *c)
{
	g_autofree char *caps = caps_format(c ? caps_drop_mask(c) : 0);
	char buf[512];

	printf("%-14s %s\n", "Name:", ct->name);
	printf("%-14s %s\n", "State:", ct_state_name(st->state));
	if (st->state != CT_STOPPED) {
		format_duration(now_usec(CLOCK_REALTIME) - st->started_usec, buf, sizeof(buf));
		printf("%-14s %d\n%-14s %d\n%-14s %s\n%-14s %s\n%-14s %u\n%-14s %s\n",
		       "PID:", (int)st->init, "Monitor:", (int)st->monitor,
		       "Ready:", st->ready ? "yes" : "no", "Uptime:", buf, "Boots:", st->boots,
		       "UUID:", st->uuid);
	}
	if (st->state != CT_STOPPED && c)
		printf("%-14s %s\n", "Burrowfs:", burrowfs_kind(c, st));
	printf("%-14s %s\n%-14s %s\n", "Rootfs:", ct->rootfs, "Config:", ct->config);
	if (c) {
		print_limit("Memory:", c->memory);
		print_limit("Memory-swap:", c->memory_swap);
		printf("%-14s %s\n", "CPUs:", c->cpus ? c->cpus : "-");
		if (c->cpu_quota_us != LIMIT_NONE)
			printf("%-14s %" PRIu64 "%%\n", "CPU quota:", c->cpu_quota_us / 1000);
		else
			printf("%-14s -\n", "CPU quota:");
		if (c->pids != LIMIT_NONE)
			printf("%-14s %" PRIu64 "\n", "PIDs:", c->pids);
		else
			printf("%-14s -\n", "PIDs:");
		printf("%-14s %s\n", "Caps dropped:", caps);
	}
	if (st->state != CT_STOPPED) {
		printf("%-14s %s\n%-14s %s\n", "UID map:", st->uid_map, "GID map:", st->gid_map);
		for (char **g = st->cgroups; g && *g; g++)
			printf("%-14s %s\n", g == st->cgroups ? "Cgroups:" : "", *g);
		print_usage(st);
		print_addresses(st);
	} else if (c && idmap_format(&c->uid_map, buf, sizeof(buf)) >= 0 && c->uid_map.n) {
		printf("%-14s %s\n", "UID map:", g_strstrip(buf));
		idmap_format(&c->gid_map, buf, sizeof(buf));
		printf("%-14s %s\n", "GID map:", g_strstrip(buf));
	}
}

int verb_info(int argc, char **argv)
{
	g_auto(GStrv) rest = NULL;
	GOptionEntry entries[] = {
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, NULL },
		{ NULL },
	};
	struct container_config c;
	struct ct_status st;
	struct ct ct;
	bool have_config;
	int r;

	r = parse_verb_options(&argc, &argv, "info", "NAME", entries);
	if (r < 0)
		return r;
	r = verb_one_name("info", rest, NULL);
	if (r < 0)
		return r;
	r = ct_open(rest[0], &ct);
	if (r < 0)
		return r;
	status_read(&ct, &st);
	have_config = config_load(ct.config, &c) >= 0;
	if (have_config)
		idmap_resolve(&c);
	print_info(&ct, &st, have_config ? &c : NULL);
	if (have_config)
		config_done(&c);
	status_done(&st);
	ct_done(&ct);
	return 0;
}
