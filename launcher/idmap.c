/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "glib-macro.h"
#include "launcher.h"
#include "parse.h"

#define AUTO_RANGE_MAX 65536u

static int subid_lookup(const char *file, const char *user, uid_t uid, struct idmap_range *ret)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	char uidstr[32];
	int r;

	r = read_full_at(AT_FDCWD, file, &text, NULL);
	if (r == -ENODATA)
		return -ENOENT;
	if (r < 0)
		return r;
	snprintf(uidstr, sizeof(uidstr), "%u", (unsigned)uid);
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		g_auto(GStrv) f = g_strsplit(*l, ":", 4);
		uint64_t start, count;

		if (g_strv_length(f) != 3)
			continue;
		if (!g_str_equal(f[0], uidstr) && !(user && g_str_equal(f[0], user)))
			continue;
		if (safe_atou64(f[1], &start) < 0 || safe_atou64(f[2], &count) < 0 || count == 0 ||
		    start + count > UINT32_MAX)
			continue;
		*ret = (struct idmap_range){ 0, (uint32_t)start,
					     (uint32_t)MIN(count, (uint64_t)AUTO_RANGE_MAX) };
		return 0;
	}
	return -ENOENT;
}

static int resolve_one(struct idmap *m, const char *file, const char *what, const char *user,
		       uid_t uid)
{
	struct idmap_range range;
	int r;

	if (!m->is_auto)
		return 0;
	r = subid_lookup(file, user, uid, &range);
	if (r == -ENOENT) {
		log_error("%s has no subordinate %ss in %s, so burrow cannot map a container to "
			  "them. An administrator can add a range with: usermod --add-sub%ss "
			  "100000-165535 %s",
			  user ? user : "this user", what, file, what, user ? user : "USER");
		return -ENOENT;
	}
	if (r < 0)
		return log_error_errno(r, "cannot read %s: %m", file);
	m->r[0] = range;
	m->n = 1;
	m->is_auto = false;
	return 0;
}

int idmap_resolve(struct container_config *c)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *user = pw ? pw->pw_name : NULL;
	int r;

	r = resolve_one(&c->uid_map, "/etc/subuid", "uid", user, geteuid());
	if (r < 0)
		return r;
	return resolve_one(&c->gid_map, "/etc/subgid", "gid", user, geteuid());
}

int idmap_format(const struct idmap *m, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < m->n; i++) {
		int n = snprintf(buf + len, size - len, "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n",
				 m->r[i].inside, m->r[i].outside, m->r[i].count);

		if (n < 0 || (size_t)n >= size - len)
			return -ENAMETOOLONG;
		len += (size_t)n;
	}
	return 0;
}

uid_t idmap_root(const struct idmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->r[i].inside == 0)
			return (uid_t)m->r[i].outside;
	return (uid_t)-1;
}

void idmap_with_caller(const struct idmap *m, uint32_t caller, struct idmap *ret)
{
	uint32_t end = 0;

	*ret = *m;
	for (size_t i = 0; i < m->n; i++) {
		if (caller >= m->r[i].outside && caller - m->r[i].outside < m->r[i].count)
			return;
		end = MAX(end, m->r[i].inside + m->r[i].count);
	}
	if (ret->n < IDMAP_MAX_RANGES)
		ret->r[ret->n++] = (struct idmap_range){ end, caller, 1 };
}

static int write_map_direct(pid_t pid, const char *file, const struct idmap *m)
{
	char path[64], text[512];
	int r;

	r = idmap_format(m, text, sizeof(text));
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	return write_file_at(AT_FDCWD, path, text, 0);
}

static int run_newidmap(const char *tool, pid_t pid, const struct idmap *m)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	int status, r;

	g_ptr_array_add(argv, g_strdup(tool));
	g_ptr_array_add(argv, g_strdup_printf("%d", (int)pid));
	for (size_t i = 0; i < m->n; i++) {
		g_ptr_array_add(argv, g_strdup_printf("%" PRIu32, m->r[i].inside));
		g_ptr_array_add(argv, g_strdup_printf("%" PRIu32, m->r[i].outside));
		g_ptr_array_add(argv, g_strdup_printf("%" PRIu32, m->r[i].count));
	}
	g_ptr_array_add(argv, NULL);
	r = fork_exec_wait((char *const *)argv->pdata, -1, &status);
	if (r == -EPROTO && WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return log_error_errno(-ENOENT, "%s is missing: install the uidmap package", tool);
	if (r < 0)
		return log_error_errno(r, "%s refused the map for pid %d (see its message above)",
				       tool, (int)pid);
	return 0;
}

int idmap_write(pid_t pid, const struct idmap *uid, const struct idmap *gid)
{
	int r;

	if (geteuid() == 0) {
		r = write_map_direct(pid, "uid_map", uid);
		if (r < 0)
			return log_error_errno(r, "cannot write the uid map of pid %d: %m",
					       (int)pid);
		r = write_map_direct(pid, "gid_map", gid);
		if (r < 0)
			return log_error_errno(r, "cannot write the gid map of pid %d: %m",
					       (int)pid);
		return 0;
	}
	r = run_newidmap("newuidmap", pid, uid);
	if (r < 0)
		return r;
	return run_newidmap("newgidmap", pid, gid);
}
