/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "state.h"

#include <ctype.h>
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher.h"

char *burrow_home(void)
{
	const char *env = getenv("BURROW_HOME");

	if (env && *env)
		return g_strdup(env);
	if (geteuid() == 0)
		return g_strdup("/var/lib/burrow");
	return g_build_filename(g_get_user_data_dir(), "burrow", NULL);
}

bool ct_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 64 || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("-_.", name[i]))
			return false;
	return true;
}

int ct_init(const char *name, struct ct *ret)
{
	g_autofree char *home = burrow_home();

	if (!ct_name_valid(name)) {
		log_error("'%s' is not a container name: 1 to 64 letters, digits, '-', '_' or '.', "
			  "starting with a letter or digit",
			  name);
		return -EINVAL;
	}
	*ret = (struct ct){ .name = g_strdup(name) };
	ret->dir = g_build_filename(home, name, NULL);
	ret->config = g_build_filename(ret->dir, "config", NULL);
	ret->rootfs = g_build_filename(ret->dir, "rootfs", NULL);
	ret->state = g_build_filename(ret->dir, "state", NULL);
	ret->ctl = g_build_filename(ret->dir, "ctl", NULL);
	ret->host = g_build_filename(ret->dir, "host", NULL);
	ret->console_log = g_build_filename(ret->dir, "console.log", NULL);
	return 0;
}

int ct_open(const char *name, struct ct *ret)
{
	int r = ct_init(name, ret);

	if (r < 0)
		return r;
	if (access(ret->config, F_OK) < 0) {
		log_error("no container '%s' (no %s)", name, ret->config);
		ct_done(ret);
		return -ENOENT;
	}
	return 0;
}

void ct_done(struct ct *ct)
{
	g_free(ct->name);
	g_free(ct->dir);
	g_free(ct->config);
	g_free(ct->rootfs);
	g_free(ct->state);
	g_free(ct->ctl);
	g_free(ct->host);
	g_free(ct->console_log);
	*ct = (struct ct){ 0 };
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **ct_list(void)
{
	g_autofree char *home = burrow_home();
	GPtrArray *names = g_ptr_array_new();
	GDir *d = g_dir_open(home, 0, NULL);
	const char *e;

	while (d && (e = g_dir_read_name(d))) {
		g_autofree char *cfg = g_build_filename(home, e, "config", NULL);

		if (ct_name_valid(e) && access(cfg, F_OK) == 0)
			g_ptr_array_add(names, g_strdup(e));
	}
	if (d)
		g_dir_close(d);
	g_ptr_array_sort(names, cmp_str);
	g_ptr_array_add(names, NULL);
	return (char **)g_ptr_array_free(names, FALSE);
}

static const char *const state_names[] = {
	[CT_STOPPED] = "STOPPED",   [CT_STARTING] = "STARTING",	  [CT_RUNNING] = "RUNNING",
	[CT_STOPPING] = "STOPPING", [CT_REBOOTING] = "REBOOTING",
};

const char *ct_state_name(enum ct_state s)
{
	return s < G_N_ELEMENTS(state_names) ? state_names[s] : "UNKNOWN";
}

int status_write(const struct ct *ct, const struct ct_status *s)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *text = NULL;

	g_key_file_set_string(kf, "state", "state", ct_state_name(s->state));
	g_key_file_set_boolean(kf, "state", "ready", s->ready);
	g_key_file_set_integer(kf, "state", "monitor", s->monitor);
	g_key_file_set_uint64(kf, "state", "monitor-start", s->monitor_start);
	g_key_file_set_integer(kf, "state", "init", s->init);
	g_key_file_set_uint64(kf, "state", "init-start", s->init_start);
	g_key_file_set_uint64(kf, "state", "started", s->started_usec);
	g_key_file_set_integer(kf, "state", "boots", (gint)s->boots);
	g_key_file_set_boolean(kf, "state", "burrowfs-bound", s->burrowfs_bound);
	g_key_file_set_boolean(kf, "state", "burrowfs-own", s->burrowfs_own);
	g_key_file_set_string(kf, "state", "uuid", s->uuid);
	g_key_file_set_string(kf, "state", "uid-map", s->uid_map ? s->uid_map : "");
	g_key_file_set_string(kf, "state", "gid-map", s->gid_map ? s->gid_map : "");
	if (s->cgroups)
		g_key_file_set_string_list(kf, "state", "cgroups", (const char *const *)s->cgroups,
					   g_strv_length(s->cgroups));
	text = g_key_file_to_data(kf, NULL, NULL);
	return write_file_atomic(ct->state, text, 0644);
}

int status_read(const struct ct *ct, struct ct_status *ret)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *state = NULL;
	struct ct_status s = { .state = CT_STOPPED };

	if (!g_key_file_load_from_file(kf, ct->state, G_KEY_FILE_NONE, NULL)) {
		*ret = s;
		return 0;
	}
	s.monitor = g_key_file_get_integer(kf, "state", "monitor", NULL);
	s.monitor_start = g_key_file_get_uint64(kf, "state", "monitor-start", NULL);
	if (!pid_alive(s.monitor, s.monitor_start)) {
		/* The monitor died without cleaning up (SIGKILL, host reboot). */
		*ret = (struct ct_status){ .state = CT_STOPPED };
		return 0;
	}
	state = g_key_file_get_string(kf, "state", "state", NULL);
	for (size_t i = 0; state && i < G_N_ELEMENTS(state_names); i++)
		if (g_str_equal(state, state_names[i]))
			s.state = (enum ct_state)i;
	s.ready = g_key_file_get_boolean(kf, "state", "ready", NULL);
	s.init = g_key_file_get_integer(kf, "state", "init", NULL);
	s.init_start = g_key_file_get_uint64(kf, "state", "init-start", NULL);
	s.started_usec = g_key_file_get_uint64(kf, "state", "started", NULL);
	s.boots = (unsigned)g_key_file_get_integer(kf, "state", "boots", NULL);
	/* A state file from before the key: its guest was given burrowfs, as far as we know. */
	s.burrowfs_bound = !g_key_file_has_key(kf, "state", "burrowfs-bound", NULL) ||
			   g_key_file_get_boolean(kf, "state", "burrowfs-bound", NULL);
	s.burrowfs_own = g_key_file_get_boolean(kf, "state", "burrowfs-own", NULL);
	g_autofree char *uuid = g_key_file_get_string(kf, "state", "uuid", NULL);
	g_strlcpy(s.uuid, uuid ? uuid : "", sizeof(s.uuid));
	s.uid_map = g_key_file_get_string(kf, "state", "uid-map", NULL);
	s.gid_map = g_key_file_get_string(kf, "state", "gid-map", NULL);
	s.cgroups = g_key_file_get_string_list(kf, "state", "cgroups", NULL, NULL);
	if (!s.cgroups)
		s.cgroups = g_new0(char *, 1);
	*ret = s;
	return 0;
}

void status_done(struct ct_status *s)
{
	g_strfreev(s->cgroups);
	g_free(s->uid_map);
	g_free(s->gid_map);
	*s = (struct ct_status){ 0 };
}
