/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

#include "caps.h"
#include "conf.h"
#include "fileio.h"
#include "launcher.h"
#include "parse.h"
#include "seccomp-policy.h"

/*
 * Each parser checks one value completely and stores it; on failure it
 * writes the reason into why. Nothing here touches the system beyond
 * reading it (the host's online CPUs, a seccomp policy file).
 */

#define WHY(...) (snprintf(why, why_size, __VA_ARGS__), -EINVAL)

static bool is_unset(const char *v)
{
	return !*v || g_str_equal(v, "max") || g_str_equal(v, "infinity");
}

int parse_size(const char *v, uint64_t *ret)
{
	static const char suffixes[] = "KMGT";
	const char *p = v;
	uint64_t n, mult = 1;
	int r;

	r = parse_u64_prefix(&p, &n);
	if (r < 0 || p == v || !isdigit((unsigned char)v[0]))
		return -EINVAL;
	if (*p) {
		const char *s = strchr(suffixes, toupper((unsigned char)*p));

		if (!s)
			return -EINVAL;
		mult = 1ull << (10 * (s - suffixes + 1));
		p++;
		if (*p == 'i')
			p++;
		if (*p == 'B' || *p == 'b')
			p++;
		if (*p)
			return -EINVAL;
	}
	if (n > UINT64_MAX / mult)
		return -ERANGE;
	*ret = n * mult;
	return 0;
}

static int parse_limit_bytes(const char *v, uint64_t min, uint64_t *ret, char *why, size_t why_size)
{
	uint64_t n;

	if (is_unset(v)) {
		*ret = LIMIT_NONE;
		return 0;
	}
	if (parse_size(v, &n) < 0)
		return WHY("'%s' is not a size: use a number with an optional K, M, G or T suffix, "
			   "or 'max'",
			   v);
	if (n < min)
		return WHY("%s is too small: at least %" PRIu64 " bytes", v, min);
	*ret = n;
	return 0;
}

static int p_memory(struct container_config *c, const char *v, char *why, size_t why_size)
{
	/* Below a few MiB not even systemd's PID 1 fits; the kernel would OOM at once. */
	return parse_limit_bytes(v, 4u << 20, &c->memory, why, why_size);
}

static int p_memory_swap(struct container_config *c, const char *v, char *why, size_t why_size)
{
	return parse_limit_bytes(v, 0, &c->memory_swap, why, why_size);
}

static int p_pids(struct container_config *c, const char *v, char *why, size_t why_size)
{
	uint64_t n;

	if (is_unset(v)) {
		c->pids = LIMIT_NONE;
		return 0;
	}
	if (safe_atou64(v, &n) < 0 || n == 0 || n > INT32_MAX)
		return WHY("'%s' is not a positive number of tasks, or 'max'", v);
	c->pids = n;
	return 0;
}

static int p_cpus(struct container_config *c, const char *v, char *why, size_t why_size)
{
	struct burrow_cpuset want, online;
	char buf[4096];
	int r;

	if (!*v) {
		g_clear_pointer(&c->cpus, g_free);
		return 0;
	}
	if (cpuset_parse(v, &want) < 0 || cpuset_count(&want) == 0)
		return WHY("'%s' is not a CPU list such as '0', '0-1' or '0,2-3'", v);
	r = read_small_at(AT_FDCWD, "/sys/devices/system/cpu/online", buf, sizeof(buf), NULL);
	if (r >= 0 && cpuset_parse(buf, &online) >= 0) {
		for (unsigned i = 0; i < BURROW_MAX_CPUS; i++)
			if (cpuset_isset(&want, i) && !cpuset_isset(&online, i))
				return WHY("CPU %u is not online on this host (online: %s)", i,
					   g_strstrip(buf));
	}
	g_free(c->cpus);
	c->cpus = g_strdup(v);
	return 0;
}

static int p_cpu_quota(struct container_config *c, const char *v, char *why, size_t why_size)
{
	const char *p = v;
	uint64_t pct;

	if (is_unset(v)) {
		c->cpu_quota_us = LIMIT_NONE;
		return 0;
	}
	if (parse_u64_prefix(&p, &pct) < 0 || !g_str_equal(p, "%") || pct == 0 || pct > 100000)
		return WHY("'%s' is not a percentage of one CPU such as '50%%' or '200%%'", v);
	/* The kernel's minimum quota is 1 ms per period. */
	c->cpu_quota_us = pct * 1000u;
	return 0;
}

static int p_hostname(struct container_config *c, const char *v, char *why, size_t why_size)
{
	size_t len = strlen(v);

	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '-' && v[i] != '.')
			return WHY("'%s' is not a host name: only letters, digits, '-' and '.'", v);
	if (len > 64 || (len > 0 && (v[0] == '-' || v[0] == '.')))
		return WHY("'%s' is not a host name: at most 64 characters, starting with a letter "
			   "or digit",
			   v);
	g_free(c->hostname);
	c->hostname = len ? g_strdup(v) : NULL;
	return 0;
}

static int p_init(struct container_config *c, const char *v, char *why, size_t why_size)
{
	if (v[0] != '/')
		return WHY("'%s' is not an absolute path inside the container", v);
	g_free(c->init);
	c->init = g_strdup(v);
	return 0;
}

static int p_command(struct container_config *c, const char *v, char *why, size_t why_size)
{
	g_autoptr(GError) err = NULL;
	char **argv = NULL;

	if (*v && !g_shell_parse_argv(v, NULL, &argv, &err))
		return WHY("cannot split '%s' into arguments: %s", v, err->message);
	g_strfreev(c->command);
	c->command = argv ? argv : g_new0(char *, 1);
	return 0;
}

static int p_environment(struct container_config *c, const char *v, char *why, size_t why_size)
{
	g_auto(GStrv) items = g_strsplit(v, ";", -1);
	/* Frees the items taken so far when a later one is refused. */
	GPtrArray *env = g_ptr_array_new_with_free_func(g_free);

	for (char **i = items; *i; i++) {
		const char *eq = strchr(*i, '=');

		if (!**i)
			continue;
		if (!eq || eq == *i) {
			g_ptr_array_free(env, TRUE);
			return WHY("'%s' is not KEY=VALUE", *i);
		}
		for (const char *k = *i; k < eq; k++)
			if (!isalnum((unsigned char)*k) && *k != '_') {
				g_ptr_array_free(env, TRUE);
				return WHY("'%.*s' is not a variable name", (int)(eq - *i), *i);
			}
		g_ptr_array_add(env, g_strdup(*i));
	}
	g_ptr_array_add(env, NULL);
	g_strfreev(c->environment);
	c->environment = (char **)g_ptr_array_free(env, FALSE);
	return 0;
}

static int p_network(struct container_config *c, const char *v, char *why, size_t why_size)
{
	static const struct {
		const char *name;
		enum net_mode mode;
	} modes[] = { { "none", NET_NONE },
		      { "host", NET_HOST },
		      { "veth", NET_VETH },
		      { "pasta", NET_PASTA },
		      { "auto", NET_AUTO } };

	for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
		if (!g_str_equal(v, modes[i].name))
			continue;
		/* An unprivileged user namespace can't own the host's netns; sysfs would not mount.
		 */
		if (modes[i].mode == NET_HOST && geteuid() != 0)
			return WHY(
				"'host' is for root only; use 'auto', 'pasta', 'veth' or 'none'");
		c->network = modes[i].mode;
		return 0;
	}
	return WHY("'%s' is not 'auto', 'none', 'host', 'veth' or 'pasta'", v);
}

/* What the kernel's dev_valid_name() takes, narrowed to characters that need no quoting. */
static int p_network_bridge(struct container_config *c, const char *v, char *why, size_t why_size)
{
	size_t len = strlen(v);

	if (len == 0 || len > 15 || g_str_equal(v, ".") || g_str_equal(v, "..") ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len)
		return WHY("'%s' is not an interface name: 1 to 15 letters, digits, '_', '.' or "
			   "'-'",
			   v);
	g_free(c->net_bridge);
	c->net_bridge = g_strdup(v);
	return 0;
}

static int p_network_hwaddr(struct container_config *c, const char *v, char *why, size_t why_size)
{
	unsigned b[6];
	char tail;

	if (!*v) {
		g_clear_pointer(&c->net_hwaddr, g_free);
		return 0;
	}
	if (strlen(v) != 17 ||
	    sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6 ||
	    strspn(v, "0123456789abcdefABCDEF:") != 17)
		return WHY("'%s' is not a MAC address such as 02:00:00:12:34:56", v);
	if (b[0] & 1)
		return WHY("'%s' is a multicast address; a guest's must be unicast", v);
	if (!(b[0] | b[1] | b[2] | b[3] | b[4] | b[5]))
		return WHY("'%s' is the null address", v);
	g_free(c->net_hwaddr);
	c->net_hwaddr = g_ascii_strdown(v, -1);
	return 0;
}

static bool parse_port(const char *s, uint16_t *ret)
{
	uint64_t n;

	if (safe_atou64(s, &n) < 0 || n == 0 || n > 65535 || !isdigit((unsigned char)s[0]))
		return false;
	*ret = (uint16_t)n;
	return true;
}

/*
 * A ';'-list of PROTO:A:B port pairs. to_host: A is the guest's port, B the
 * host's (network-to-host); otherwise A is the host's, B the guest's
 * (network-forward). Either way the listening side's port may occur once.
 */
static int parse_forwards(const char *v, bool to_host, struct net_forward *ret, size_t *ret_n,
			  char *why, size_t why_size)
{
	const char *form = to_host ? "PORT:HOSTPORT" : "HOSTPORT:PORT";
	g_auto(GStrv) items = g_strsplit(v, ";", -1);
	struct net_forward f[NET_FORWARD_MAX];
	size_t n = 0;

	for (char **i = items; *i; i++) {
		g_auto(GStrv) p = NULL;
		uint16_t *listen = to_host ? &f[n].guest_port : &f[n].host_port;
		uint16_t *target = to_host ? &f[n].host_port : &f[n].guest_port;

		if (!**i)
			continue;
		if (n == NET_FORWARD_MAX)
			return WHY("more than %d forwards", NET_FORWARD_MAX);
		p = g_strsplit(*i, ":", -1);
		if (g_strv_length(p) != 3 ||
		    (!g_str_equal(p[0], "tcp") && !g_str_equal(p[0], "udp")))
			return WHY("'%s' is not tcp:%s or udp:%s", *i, form, form);
		f[n].udp = g_str_equal(p[0], "udp");
		if (!parse_port(p[1], listen) || !parse_port(p[2], target))
			return WHY("'%s': ports are numbers from 1 to 65535", *i);
		for (size_t k = 0; k < n; k++)
			if (f[k].udp == f[n].udp &&
			    (to_host ? f[k].guest_port == *listen : f[k].host_port == *listen))
				return WHY("'%s': %s port %u is forwarded twice", *i,
					   to_host ? "guest" : "host", *listen);
		n++;
	}
	memcpy(ret, f, n * sizeof(f[0]));
	*ret_n = n;
	return 0;
}

static int p_network_forward(struct container_config *c, const char *v, char *why, size_t why_size)
{
	return parse_forwards(v, false, c->forwards, &c->n_forwards, why, why_size);
}

/* pasta's splice (-T/-U): no tap and no TCP stack between guest and host. */
static int p_network_to_host(struct container_config *c, const char *v, char *why, size_t why_size)
{
	return parse_forwards(v, true, c->to_host, &c->n_to_host, why, why_size);
}

static int parse_idmap(const char *v, struct idmap *m, char *why, size_t why_size)
{
	g_auto(GStrv) ranges = NULL;
	struct idmap out = { 0 };

	if (g_str_equal(v, "auto") || !*v) {
		*m = (struct idmap){ .is_auto = true };
		return 0;
	}
	ranges = g_strsplit(v, ",", -1);
	for (char **r = ranges; *r; r++) {
		unsigned long long in, outside, count;
		char tail;

		if (out.n == IDMAP_MAX_RANGES)
			return WHY("more than %d ranges", IDMAP_MAX_RANGES);
		if (sscanf(*r, "%llu %llu %llu %c", &in, &outside, &count, &tail) != 3 ||
		    count == 0 || in + count > UINT32_MAX || outside + count > UINT32_MAX)
			return WHY("'%s' is not 'INSIDE OUTSIDE COUNT' (or 'auto')",
				   g_strstrip(*r));
		out.r[out.n++] =
			(struct idmap_range){ (uint32_t)in, (uint32_t)outside, (uint32_t)count };
	}
	if (out.r[0].inside != 0)
		return WHY("the first range must start at 0 inside: the container needs a root");
	*m = out;
	return 0;
}

static int p_uid_map(struct container_config *c, const char *v, char *why, size_t why_size)
{
	return parse_idmap(v, &c->uid_map, why, why_size);
}

static int p_gid_map(struct container_config *c, const char *v, char *why, size_t why_size)
{
	return parse_idmap(v, &c->gid_map, why, why_size);
}

static void binds_clear(struct container_config *c)
{
	for (size_t i = 0; i < c->n_binds; i++) {
		g_free(c->binds[i].source);
		g_free(c->binds[i].dest);
	}
	g_clear_pointer(&c->binds, g_free);
	c->n_binds = 0;
}

static void binds_free(struct bind_mount *b, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		g_free(b[j].source);
		g_free(b[j].dest);
	}
}

static int p_bind(struct container_config *c, const char *v, char *why, size_t why_size)
{
	g_auto(GStrv) items = g_strsplit(v, ";", -1);
	size_t n = g_strv_length(items), k = 0;
	g_autofree struct bind_mount *b = g_new0(struct bind_mount, n + 1);

	for (char **i = items; *i; i++) {
		g_auto(GStrv) f = NULL;
		size_t nf;

		if (!**i)
			continue;
		f = g_strsplit(*i, ":", -1);
		nf = g_strv_length(f);
		if (nf < 2 || nf > 3 || f[0][0] != '/' || f[1][0] != '/' ||
		    (nf == 3 && !g_str_equal(f[2], "ro") && !g_str_equal(f[2], "rw"))) {
			binds_free(b, k);
			return WHY("'%s' is not SOURCE:DEST[:ro|rw] with absolute paths", *i);
		}
		if (path_has_dotdot(f[1]) || !f[1][strspn(f[1], "/")]) {
			binds_free(b, k);
			return WHY("'%s': the destination '%s' must name a path inside the "
				   "container, without '..' components",
				   *i, f[1]);
		}
		b[k].source = g_strdup(f[0]);
		b[k].dest = g_strdup(f[1]);
		b[k].ro = nf == 3 && g_str_equal(f[2], "ro");
		k++;
	}
	binds_clear(c);
	c->binds = g_steal_pointer(&b);
	c->n_binds = k;
	return 0;
}

static int p_caps_drop(struct container_config *c, const char *v, char *why, size_t why_size)
{
	return caps_parse_list(v, &c->caps_drop, why, why_size);
}

static int p_caps_keep(struct container_config *c, const char *v, char *why, size_t why_size)
{
	int r = caps_parse_list(v, &c->caps_keep, why, why_size);

	if (r < 0)
		return r;
	c->caps_keep_set = *v != '\0';
	return 0;
}

static int p_seccomp(struct container_config *c, const char *v, char *why, size_t why_size)
{
	g_autofree char *text = NULL;
	int r;

	if (!*v) {
		g_clear_pointer(&c->seccomp, g_free);
		return 0;
	}
	if (v[0] != '/')
		return WHY("'%s' is not an absolute path", v);
	r = read_full_at(AT_FDCWD, v, &text, NULL);
	if (r < 0)
		return WHY("cannot read '%s': %s", v, g_strerror(r == -ENODATA ? ENOENT : -r));
	r = seccomp_policy_check(text, why, why_size);
	if (r < 0)
		return r;
	g_free(c->seccomp);
	c->seccomp = g_strdup(v);
	return 0;
}

static int p_seccomp_notify(struct container_config *c, const char *v, char *why, size_t why_size)
{
	if (g_str_equal(v, "sysinfo"))
		c->notify_sysinfo = true;
	else if (g_str_equal(v, "none"))
		c->notify_sysinfo = false;
	else
		return WHY("'%s' is not 'sysinfo' or 'none'", v);
	return 0;
}

static int p_seccomp_agent(struct container_config *c, const char *v, char *why, size_t why_size)
{
	if (v[0] != '/')
		return WHY("'%s' is not an absolute path", v);
	if (strlen(v) >= 108)
		return WHY("'%s' is too long for a unix socket", v);
	g_free(c->seccomp_agent);
	c->seccomp_agent = g_strdup(v);
	return 0;
}

/*
 * pasta maps the gateway's address, and slirp4netns 10.0.2.2, to the host's
 * loopback: a guest would reach every service that listens there believing
 * only local users can. Off unless asked for.
 */
static int p_network_host_loopback(struct container_config *c, const char *v, char *why,
				   size_t why_size)
{
	if (g_str_equal(v, "yes") || g_str_equal(v, "true"))
		c->net_host_loopback = true;
	else if (g_str_equal(v, "no") || g_str_equal(v, "false") || !*v)
		c->net_host_loopback = false;
	else
		return WHY("'%s' is not 'yes' or 'no'", v);
	return 0;
}

static int p_burrowfs(struct container_config *c, const char *v, char *why, size_t why_size)
{
	if (g_str_equal(v, "auto"))
		c->burrowfs = TRI_AUTO;
	else if (g_str_equal(v, "yes") || g_str_equal(v, "true"))
		c->burrowfs = TRI_YES;
	else if (g_str_equal(v, "no") || g_str_equal(v, "false"))
		c->burrowfs = TRI_NO;
	else
		return WHY("'%s' is not 'yes', 'no' or 'auto'", v);
	return 0;
}

static int p_cgroup(struct container_config *c, const char *v, char *why, size_t why_size)
{
	if (g_str_equal(v, "namespace"))
		c->cgroup = CGROUP_MODE_NAMESPACE;
	else if (g_str_equal(v, "burrowfs"))
		c->cgroup = CGROUP_MODE_BURROWFS;
	else
		return WHY("'%s' is not 'namespace' or 'burrowfs'", v);
	return 0;
}

static int p_burrowfs_path(struct container_config *c, const char *v, char *why, size_t why_size)
{
	if (v[0] != '/')
		return WHY("'%s' is not an absolute path", v);
	g_free(c->burrowfs_path);
	c->burrowfs_path = g_strdup(v);
	return 0;
}

/*
 * per-container (the default): the container's own FUSE connection, which
 * the kernel may cache (issue 14). Where burrowfs refuses or cannot be asked,
 * the start goes on with the shared mount's files and one warning; shared
 * asks for them outright, for hosts whose burrowfs has no control socket.
 */
static int p_burrowfs_mount(struct container_config *c, const char *v, char *why, size_t why_size)
{
	if (g_str_equal(v, "shared"))
		c->burrowfs_mount = BURROWFS_MOUNT_SHARED;
	else if (g_str_equal(v, "per-container"))
		c->burrowfs_mount = BURROWFS_MOUNT_PER_CONTAINER;
	else
		return WHY("'%s' is not 'shared' or 'per-container'", v);
	return 0;
}

/* auto: the default burrowfs's socket, for the default burrowfs-path only. */
static int p_burrowfs_control(struct container_config *c, const char *v, char *why, size_t why_size)
{
	if (g_str_equal(v, "auto")) {
		g_clear_pointer(&c->burrowfs_control, g_free);
		return 0;
	}
	if (v[0] != '/')
		return WHY("'%s' is not 'auto' or an absolute path", v);
	if (strlen(v) >= 108)
		return WHY("'%s' is too long for a unix socket", v);
	g_free(c->burrowfs_control);
	c->burrowfs_control = g_strdup(v);
	return 0;
}

static const struct config_key keys[] = {
	{ "container", "hostname", p_hostname },
	{ "container", "init", p_init },
	{ "container", "command", p_command },
	{ "container", "environment", p_environment },
	{ "container", "network", p_network },
	{ "container", "network-bridge", p_network_bridge },
	{ "container", "network-hwaddr", p_network_hwaddr },
	{ "container", "network-forward", p_network_forward },
	{ "container", "network-to-host", p_network_to_host },
	{ "container", "network-host-loopback", p_network_host_loopback },
	{ "idmap", "uid-map", p_uid_map },
	{ "idmap", "gid-map", p_gid_map },
	{ "limits", "memory", p_memory },
	{ "limits", "memory-swap", p_memory_swap },
	{ "limits", "cpus", p_cpus },
	{ "limits", "cpu-quota", p_cpu_quota },
	{ "limits", "pids", p_pids },
	{ "mounts", "bind", p_bind },
	{ "security", "capabilities-drop", p_caps_drop },
	{ "security", "capabilities-keep", p_caps_keep },
	{ "security", "seccomp", p_seccomp },
	{ "security", "seccomp-notify", p_seccomp_notify },
	{ "security", "seccomp-agent", p_seccomp_agent },
	{ "burrowfs", "burrowfs", p_burrowfs },
	{ "burrowfs", "burrowfs-path", p_burrowfs_path },
	{ "burrowfs", "burrowfs-mount", p_burrowfs_mount },
	{ "burrowfs", "burrowfs-control", p_burrowfs_control },
	{ "burrowfs", "cgroup", p_cgroup },
};

const struct config_key *config_key_find(const char *group, const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		if (g_str_equal(keys[i].group, group) && g_str_equal(keys[i].name, name))
			return &keys[i];
	return NULL;
}

const struct config_key *config_key_find_any(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		if (g_str_equal(keys[i].name, name))
			return &keys[i];
	return NULL;
}

size_t config_keys_count(void)
{
	return G_N_ELEMENTS(keys);
}

const struct config_key *config_key_nth(size_t i)
{
	return i < G_N_ELEMENTS(keys) ? &keys[i] : NULL;
}

void config_binds_clear(struct container_config *c)
{
	binds_clear(c);
}
