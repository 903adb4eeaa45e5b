/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "launcher.h"
#include "net.h"
#include "state.h"

struct row {
	char *name;
	struct ct_status st;
	struct container_config c;
	bool config_ok;
	uint64_t uptime_usec;
	char **addresses; /* "eth0 10.0.2.15/24"; NULL: stopped, or unreadable */
};

/* with_addr: a fork into each running container's netns, only for --fancy and --json. */
static void row_load(const char *name, bool with_addr, struct row *ret)
{
	struct ct ct;

	*ret = (struct row){ .name = g_strdup(name) };
	if (ct_init(name, &ct) < 0)
		return;
	status_read(&ct, &ret->st);
	ret->config_ok = config_load(ct.config, &ret->c) >= 0;
	if (ret->st.state != CT_STOPPED && ret->st.started_usec)
		ret->uptime_usec = now_usec(CLOCK_REALTIME) - ret->st.started_usec;
	if (with_addr && ret->st.state != CT_STOPPED && ret->st.init)
		net_addresses(ret->st.init, ret->st.init_start, &ret->addresses);
	ct_done(&ct);
}

static void row_done(struct row *r)
{
	g_free(r->name);
	g_strfreev(r->addresses);
	status_done(&r->st);
	if (r->config_ok)
		config_done(&r->c);
}

static void json_str(GString *s, const char *v)
{
	g_string_append_c(s, '"');
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_printf(s, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			g_string_append_printf(s, "\\u%04x", *p);
		else
			g_string_append_c(s, *p);
	}
	g_string_append_c(s, '"');
}

static void json_limit(GString *s, const char *key, uint64_t v, bool last)
{
	if (v == LIMIT_NONE)
		g_string_append_printf(s, "\"%s\": null%s", key, last ? "" : ", ");
	else
		g_string_append_printf(s, "\"%s\": %" PRIu64 "%s", key, v, last ? "" : ", ");
}

/* [{"interface": "eth0", "address": "10.0.2.15/24"}, ...], or null. */
static void json_addresses(GString *s, char **addrs)
{
	if (!addrs) {
		g_string_append(s, "null");
		return;
	}
	g_string_append_c(s, '[');
	for (char **a = addrs; *a; a++) {
		const char *sp = strchr(*a, ' ');
		g_autofree char *ifname = sp ? g_strndup(*a, (size_t)(sp - *a)) : g_strdup("");

		g_string_append(s, a == addrs ? "{\"interface\": " : ", {\"interface\": ");
		json_str(s, ifname);
		g_string_append(s, ", \"address\": ");
		json_str(s, sp ? sp + 1 : *a);
		g_string_append_c(s, '}');
	}
	g_string_append_c(s, ']');
}

static void print_json(struct row *rows, size_t n)
{
	GString *s = g_string_new("[");

	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		bool up = r->st.state != CT_STOPPED;

		g_string_append(s, i ? ",\n  {" : "\n  {");
		g_string_append(s, "\"name\": ");
		json_str(s, r->name);
		g_string_append(s, ", \"state\": ");
		json_str(s, ct_state_name(r->st.state));
		if (up)
			g_string_append_printf(s,
					       ", \"pid\": %d, \"ready\": %s, \"uptime\": %" PRIu64,
					       (int)r->st.init, r->st.ready ? "true" : "false",
					       r->uptime_usec / 1000000u);
		else
			g_string_append(s, ", \"pid\": null, \"ready\": false, \"uptime\": null");
		g_string_append(s, ", \"limits\": {");
		if (r->config_ok) {
			json_limit(s, "memory", r->c.memory, false);
			json_limit(s, "memory-swap", r->c.memory_swap, false);
			g_string_append(s, "\"cpus\": ");
			if (r->c.cpus)
				json_str(s, r->c.cpus);
			else
				g_string_append(s, "null");
			g_string_append(s, ", ");
			json_limit(s, "cpu-quota-us", r->c.cpu_quota_us, false);
			json_limit(s, "pids", r->c.pids, true);
		}
		g_string_append(s, "}, \"addresses\": ");
		json_addresses(s, r->addresses);
		g_string_append(s, "}");
	}
	g_string_append(s, n ? "\n]\n" : "]\n");
	fputs(s->str, stdout);
	g_string_free(s, TRUE);
}

static void print_line(bool fancy, const char *const col[8])
{
	if (fancy)
		printf("│ %-16s │ %-9s │ %7s │ %6s │ %-6s │ %6s │ %8s │ %-18s │\n", col[0], col[1],
		       col[2], col[3], col[4], col[5], col[6], col[7]);
	else
		printf("%-16s %-9s %7s %6s %-6s %6s %8s\n", col[0], col[1], col[2], col[3], col[4],
		       col[5], col[6]);
}

/* The table's column: the first IPv4 address, else the first address, without its interface. */
static const char *first_address(char **addrs)
{
	const char *v6 = NULL;

	for (char **a = addrs; a && *a; a++) {
		const char *sp = strchr(*a, ' ');

		if (!sp)
			continue;
		if (!strchr(sp, ':'))
			return sp + 1;
		if (!v6)
			v6 = sp + 1;
	}
	return v6 ? v6 : "-";
}

static void print_table(struct row *rows, size_t n, bool fancy)
{
	static const char *const header[8] = { "NAME", "STATE", "PID",	  "MEMORY",
					       "CPUS", "PIDS",	"UPTIME", "ADDRESS" };

	if (fancy)
		printf("┌──────────────────┬───────────┬─────────┬────────┬────────┬────────┬──────────┬"
		       "────────────────────┐\n");
	print_line(fancy, header);
	if (fancy)
		printf("├──────────────────┼───────────┼─────────┼────────┼────────┼────────┼──────────┼"
		       "────────────────────┤\n");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		char pid[16] = "-", mem[32] = "-", pids[32] = "-", up[32] = "-";

		if (r->st.state != CT_STOPPED) {
			snprintf(pid, sizeof(pid), "%d", (int)r->st.init);
			format_duration(r->uptime_usec, up, sizeof(up));
		}
		if (r->config_ok) {
			format_bytes(r->c.memory, mem, sizeof(mem));
			if (r->c.pids != LIMIT_NONE)
				snprintf(pids, sizeof(pids), "%" PRIu64, r->c.pids);
		}
		print_line(fancy,
			   (const char *const[8]){ r->name, ct_state_name(r->st.state), pid, mem,
						   r->config_ok && r->c.cpus ? r->c.cpus : "-",
						   pids, up, first_address(r->addresses) });
	}
	if (fancy)
		printf("└──────────────────┴───────────┴─────────┴────────┴────────┴────────┴──────────┴"
		       "────────────────────┘\n");
}

int verb_ls(int argc, char **argv)
{
	gboolean fancy = FALSE, json = FALSE;
	GOptionEntry entries[] = {
		{ "fancy", 'f', 0, G_OPTION_ARG_NONE, &fancy, "Draw a table", NULL },
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
		{ NULL },
	};
	g_auto(GStrv) names = NULL;
	struct row *rows;
	size_t n;
	int r;

	r = parse_verb_options(&argc, &argv, "ls", "", entries);
	if (r < 0)
		return r;
	if (argc > 1) {
		log_error("ls: unexpected argument '%s'", argv[1]);
		return -EINVAL;
	}
	names = ct_list();
	n = g_strv_length(names);
	rows = g_new0(struct row, n + 1);
	for (size_t i = 0; i < n; i++)
		row_load(names[i], fancy || json, &rows[i]);
	if (json)
		print_json(rows, n);
	else
		print_table(rows, n, fancy);
	for (size_t i = 0; i < n; i++)
		row_done(&rows[i]);
	g_free(rows);
	return 0;
}
