/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The launcher's container config: the input is a config file, loaded by
 * config_load() through GKeyFile and every key's validator, and each of its
 * lines is also applied as a "-c KEY=VALUE" argument, which goes through the
 * same validators by another door.
 *
 * Invariants: a config that loads is complete (init set, command and
 * environment arrays present, id maps within bounds); a failed load or
 * argument leaves nothing allocated (LeakSanitizer checks).
 */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fuzz-common.h"

static void check_config(const struct container_config *c)
{
	fuzz_assert(c->init && c->command && c->environment && c->burrowfs_path,
		    "a loaded config lacks a required field");
	fuzz_assert(c->uid_map.n <= IDMAP_MAX_RANGES && c->gid_map.n <= IDMAP_MAX_RANGES,
		    "id maps of %zu and %zu ranges", c->uid_map.n, c->gid_map.n);
	for (size_t i = 0; i < c->n_binds; i++)
		fuzz_assert(c->binds[i].source && c->binds[i].dest, "bind %zu incomplete", i);
}

static void apply_lines(const char *text)
{
	struct container_config c;
	char *copy = strdup(text), *save = NULL;

	if (!copy)
		abort();
	config_init(&c);
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		(void)config_apply_arg(&c, l);
	check_config(&c);
	config_done(&c);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool env_set;
	struct container_config c;
	struct fuzz_parts p;
	char path[4096];

	if (!env_set) {
		/* No site default.conf: the built-in one and the input only. */
		setenv("BURROW_DEFAULT_CONF", "/nonexistent/burrow-fuzz/default.conf", 1);
		env_set = true;
	}
	fuzz_split(data, size, &p);
	fuzz_put("config", p.part[0], p.len[0]);
	fuzz_path("config", path, sizeof(path));
	if (config_load(path, &c) == 0) {
		check_config(&c);
		config_done(&c);
	}
	apply_lines(p.part[0]);
	fuzz_parts_done(&p);
	return 0;
}
