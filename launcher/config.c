/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ctlclient.h"
#include "embedded.h"
#include "launcher.h"

void config_init(struct container_config *c)
{
	*c = (struct container_config){
		.command = g_new0(char *, 1),
		.environment = g_new0(char *, 1),
		.memory = LIMIT_NONE,
		.memory_swap = LIMIT_NONE,
		.pids = LIMIT_NONE,
		.cpu_quota_us = LIMIT_NONE,
		.uid_map = { .is_auto = true },
		.gid_map = { .is_auto = true },
	};
	c->init = g_strdup("/sbin/init");
	c->network = NET_AUTO;
	c->net_bridge = g_strdup("burrowbr0");
	c->burrowfs_path = g_strdup(BURROWFS_DEFAULT_MOUNT);
	/* burrowfs_control NULL (auto): burrow_ctl_socket_for() picks it from burrowfs-path. */
	c->burrowfs_mount = BURROWFS_MOUNT_PER_CONTAINER;
	c->notify_sysinfo = true;
	c->seccomp_agent = g_strdup(BURROW_SECCOMP_AGENT_DEFAULT);
}

void config_done(struct container_config *c)
{
	g_free(c->hostname);
	g_free(c->init);
	g_strfreev(c->command);
	g_strfreev(c->environment);
	g_free(c->cpus);
	config_binds_clear(c);
	g_free(c->seccomp);
	g_free(c->burrowfs_path);
	g_free(c->burrowfs_control);
	g_free(c->seccomp_agent);
	g_free(c->net_bridge);
	g_free(c->net_hwaddr);
	*c = (struct container_config){ 0 };
}

static int apply_value(struct container_config *c, const struct config_key *k, const char *value,
		       const char *where)
{
	char why[512] = "";
	int r;

	r = k->parse(c, value, why, sizeof(why));
	if (r < 0) {
		log_error("%s: [%s] %s: %s", where, k->group, k->name,
			  why[0] ? why : "invalid value");
		return -EINVAL;
	}
	return 0;
}

static int apply_keyfile(struct container_config *c, GKeyFile *kf, const char *where)
{
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

	for (char **g = groups; *g; g++) {
		g_auto(GStrv) names = g_key_file_get_keys(kf, *g, NULL, NULL);

		for (char **n = names; n && *n; n++) {
			const struct config_key *k = config_key_find(*g, *n);
			g_autoptr(GError) err = NULL;
			g_autofree char *value = NULL;
			int r;

			if (!k) {
				const struct config_key *other = config_key_find_any(*n);

				if (other)
					log_error(
						"%s: [%s] %s: unknown key here; it belongs in [%s]",
						where, *g, *n, other->group);
				else
					log_error("%s: [%s] %s: unknown key", where, *g, *n);
				return -EINVAL;
			}
			value = g_key_file_get_string(kf, *g, *n, &err);
			if (!value) {
				log_error("%s: [%s] %s: %s", where, *g, *n, err->message);
				return -EINVAL;
			}
			r = apply_value(c, k, g_strstrip(value), where);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int apply_file(struct container_config *c, const char *path, bool optional)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) err = NULL;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err)) {
		if (optional && g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return 0;
		log_error("%s: %s", path, err->message);
		return -EINVAL;
	}
	return apply_keyfile(c, kf, path);
}

static char *site_default_path(void)
{
	const char *env = getenv("BURROW_DEFAULT_CONF");

	if (env)
		return g_strdup(env);
	if (geteuid() == 0)
		return g_strdup("/etc/burrow/default.conf");
	return g_build_filename(g_get_user_config_dir(), "burrow", "default.conf", NULL);
}

int config_load(const char *container_config, struct container_config *ret)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) err = NULL;
	g_autofree char *site = site_default_path();
	int r;

	config_init(ret);
	if (!g_key_file_load_from_data(kf, BURROW_DEFAULT_CONF, (gsize)-1, G_KEY_FILE_NONE, &err)) {
		log_error("built-in default.conf: %s", err->message);
		return -EINVAL;
	}
	r = apply_keyfile(ret, kf, "built-in default.conf");
	if (r >= 0)
		r = apply_file(ret, site, true);
	if (r >= 0 && container_config)
		r = apply_file(ret, container_config, false);
	if (r < 0)
		config_done(ret);
	return r;
}

static int split_arg(const char *arg, const struct config_key **ret_key, const char **ret_value)
{
	const char *eq = strchr(arg, '=');
	g_autofree char *name = NULL;
	const struct config_key *k;
	char *dot;

	if (!eq || eq == arg) {
		log_error("command line: -c '%s': expected KEY=VALUE", arg);
		return -EINVAL;
	}
	name = g_strndup(arg, (gsize)(eq - arg));
	dot = strchr(name, '.');
	if (dot) {
		*dot = '\0';
		k = config_key_find(name, dot + 1);
	} else
		k = config_key_find_any(name);
	if (!k) {
		GString *known = g_string_new(NULL);

		for (size_t i = 0; i < config_keys_count(); i++)
			g_string_append_printf(known, "%s%s", i ? ", " : "",
					       config_key_nth(i)->name);
		log_error("command line: -c '%s': unknown key '%.*s' (known keys: %s)", arg,
			  (int)(eq - arg), arg, known->str);
		g_string_free(known, TRUE);
		return -EINVAL;
	}
	*ret_key = k;
	*ret_value = eq + 1;
	return 0;
}

int config_apply_arg(struct container_config *c, const char *arg)
{
	const struct config_key *k;
	const char *value;
	g_autofree char *where = g_strdup_printf("command line (-c %s)", arg);
	g_autofree char *v = NULL;
	int r;

	r = split_arg(arg, &k, &value);
	if (r < 0)
		return r;
	v = g_strstrip(g_strdup(value));
	return apply_value(c, k, v, where);
}

int config_apply_args(struct container_config *c, char **args)
{
	for (char **a = args; a && *a; a++) {
		int r = config_apply_arg(c, *a);

		if (r < 0)
			return r;
	}
	return 0;
}

int config_check_args(char **args)
{
	struct container_config c;
	int r;

	config_init(&c);
	r = config_apply_args(&c, args);
	config_done(&c);
	return r;
}

int config_save_args(const char *path, char **args)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) err = NULL;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, &err)) {
		if (!g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return log_error_errno(-EINVAL, "%s: %s", path, err->message);
		g_clear_error(&err);
		g_key_file_set_comment(kf, NULL, NULL,
				       " burrow container config: keys as in default.conf, "
				       "which this file overrides",
				       NULL);
	}
	for (char **a = args; a && *a; a++) {
		const struct config_key *k;
		const char *value;
		g_autofree char *v = NULL;

		if (split_arg(*a, &k, &value) < 0)
			return -EINVAL;
		v = g_strstrip(g_strdup(value));
		/* Raw: the value was checked as given, so store it byte for byte. */
		g_key_file_set_value(kf, k->group, k->name, v);
	}
	if (!g_key_file_save_to_file(kf, path, &err))
		return log_error_errno(-EIO, "%s: %s", path, err->message);
	return 0;
}
