/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cgroup discovery: burrow_layout_parse over a fuzzed mountinfo (part 0),
 * with part 2 as every v2 mount's cgroup.controllers, then
 * burrow_container_parse over a fuzzed /proc/PID/cgroup (part 1).
 *
 * Invariants: every slot's index names a hierarchy; every container path
 * lies under its hierarchy's mount point (mount_len says where that ends)
 * and never climbs out of it with "..", whatever the cgroup file claims.
 */
#include <errno.h>
#include <string.h>

#include "burrow.h"
#include "fuzz-common.h"

/* Where seeds (and most fuzzed inputs) put their v2 mounts. */
static const char *const v2_mounts[] = {
	"sys/fs/cgroup",
	"sys/fs/cgroup/unified",
};

static void write_tree(const struct fuzz_parts *p)
{
	static bool made;

	if (!made) {
		fuzz_mkdir("sys/fs/cgroup/unified");
		made = true;
	}
	for (size_t i = 0; i < sizeof(v2_mounts) / sizeof(v2_mounts[0]); i++) {
		char path[128];

		strcpy(path, v2_mounts[i]);
		strcat(path, "/cgroup.controllers");
		fuzz_put_part(path, p, 2);
	}
}

static bool climbs(const char *rest)
{
	for (const char *s = rest; *s;) {
		size_t len = strcspn(s, "/");

		if (len == 2 && s[0] == '.' && s[1] == '.')
			return true;
		s += len;
		s += strspn(s, "/");
	}
	return false;
}

static void check_container(const struct burrow_layout *l, const struct burrow_container *c)
{
	for (int s = 0; s < _BURROW_CG_MAX; s++) {
		const struct burrow_cgpath *cp = &c->cg[s];
		const struct burrow_hierarchy *h;

		if (!cp->path)
			continue;
		fuzz_assert(l->index[s] >= 0, "slot %d has a path but no hierarchy", s);
		h = &l->h[l->index[s]];
		fuzz_assert(cp->v2 == h->v2, "slot %d: v2 %d, hierarchy %d", s, cp->v2, h->v2);
		fuzz_assert(cp->mount_len == strlen(h->mount) &&
				    strncmp(cp->path, h->mount, cp->mount_len) == 0,
			    "slot %d: '%s' is not under '%s'", s, cp->path, h->mount);
		fuzz_assert(cp->path[cp->mount_len] == '\0' || cp->path[cp->mount_len] == '/',
			    "slot %d: '%s' runs on past the mount '%s'", s, cp->path, h->mount);
		fuzz_assert(!climbs(cp->path + cp->mount_len), "slot %d: '%s' climbs out of '%s'",
			    s, cp->path, h->mount);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct burrow_layout *l = NULL;
	struct fuzz_parts p;

	fuzz_split(data, size, &p);
	write_tree(&p);
	if (burrow_layout_parse(fuzz_root(), p.part[0], &l) == 0) {
		for (int s = 0; s < _BURROW_CG_MAX; s++)
			fuzz_assert(l->index[s] >= -1 && l->index[s] < (int)l->n,
				    "slot %d index %d of %zu", s, l->index[s], l->n);
		for (size_t i = 0; i < l->n; i++)
			fuzz_assert(l->h[i].mount && l->h[i].root && l->h[i].controllers,
				    "hierarchy %zu", i);
		if (p.n > 1) {
			struct burrow_container c, copy;

			if (burrow_container_parse(l, p.part[1], &c) == 0) {
				check_container(l, &c);
				if (burrow_container_copy(&c, &copy) == 0) {
					check_container(l, &copy);
					burrow_container_done(&copy);
				}
				burrow_container_done(&c);
			}
		}
		burrow_layout_free(l);
	}
	fuzz_parts_done(&p);
	return 0;
}
