/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The served table (bindings/served.h) against burrowfs's static tree
 * (fs/serve/snodes.c): the daemon serves exactly the table's files, each at the
 * table's path and with the table's renderer, so what the hooks and the
 * launcher bind and what the daemon serves cannot drift apart again.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"
#include "served.h"
#include "tree.h"

/* snodes.c names the providers; their code is not under test here. */
const struct provider sysfs_cpu_provider = { .id = PROVIDER_SYSFS_CPU };
const struct provider cgroup_provider = { .id = PROVIDER_CGROUP };

/* The static node at path, by lookups from the root as the kernel makes them; 0 when none. */
static fuse_ino_t walk(const char *path)
{
	char buf[256], *save = NULL;
	fuse_ino_t ino = INO_ROOT;

	ck_assert_uint_lt(strlen(path), sizeof(buf));
	strcpy(buf, path);
	for (char *name = strtok_r(buf, "/", &save); name && ino; name = strtok_r(NULL, "/", &save))
		ino = snode_child(ino, name);
	return ino;
}

/* The path of a static node, from its parents. */
static void node_path(fuse_ino_t ino, char *buf, size_t size)
{
	char tail[256] = "";

	for (; ino != INO_ROOT; ino = snode_get(ino)->parent) {
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "%s%s%s", snode_get(ino)->name, *tail ? "/" : "", tail);
		strcpy(tail, tmp);
	}
	snprintf(buf, size, "%s", tail);
}

START_TEST(test_every_row_served)
{
	ck_assert_int_eq(snodes_init(), 0);
	/* Twice is harmless: a restarted daemon's main runs it again. */
	ck_assert_int_eq(snodes_init(), 0);
	for (size_t i = 0; i < BURROW_SERVED_N; i++) {
		const struct burrow_served *e = &burrow_served[i];
		fuse_ino_t ino;
		const struct snode *s;

		ck_assert_ptr_nonnull(e->path);
		ino = walk(e->path);
		ck_assert_msg(ino != 0, "%s: no node in burrowfs's tree", e->path);
		s = snode_get(ino);
		if (e->type == S_IFDIR) {
			ck_assert_int_eq(e->vfile, VF_PASSTHROUGH_DIR);
			ck_assert_int_lt(s->vfile, 0);
			ck_assert_msg(s->provider != NULL, "%s: not a passthrough directory",
				      e->path);
			continue;
		}
		ck_assert_uint_eq(e->type, S_IFREG);
		ck_assert_uint_eq(ino, vfile_ino((enum vfile)e->vfile));
		ck_assert_int_eq(s->vfile, e->vfile);
		/* A host reader gets the host's file at the same path. */
		ck_assert_str_eq(vfile_host_path((enum vfile)e->vfile), e->path);
	}
}
END_TEST

START_TEST(test_every_node_in_table)
{
	char path[256];

	ck_assert_int_eq(snodes_init(), 0);
	for (size_t slot = INO_ROOT + 1; slot < SNODES_N; slot++) {
		fuse_ino_t ino = snode_slot_ino(slot);
		const struct snode *s = snode_get(ino);
		const struct burrow_served *e = NULL;

		ck_assert_ptr_nonnull(s->name);
		node_path(ino, path, sizeof(path));
		for (size_t i = 0; i < BURROW_SERVED_N; i++)
			if (strcmp(burrow_served[i].path, path) == 0)
				e = &burrow_served[i];
		if (s->vfile >= 0)
			ck_assert_msg(e && e->vfile == s->vfile, "%s: rendered, not in the table",
				      path);
		else if (s->provider && ino != INO_CGROUP)
			/* A passthrough directory is bound whole (cgroup/ per hierarchy). */
			ck_assert_msg(e && e->type == S_IFDIR, "%s: passthrough, not in the table",
				      path);
	}
}
END_TEST

/*
 * A daemon taking over a connection (an upgrade) must read every inode
 * number its predecessor handed out as that one meant it. Every daemon
 * so far numbered its dynamic nodes from 23 (nine static directories and
 * files, then the fourteen files of the first table): a file added since
 * must not take 23 or anything above it that a dynamic node could hold,
 * and must fit a 32-bit ino_t.
 */
START_TEST(test_inodes_keep_meaning)
{
	ck_assert_uint_eq(INO_DYNAMIC, 23);
	for (int k = 0; k < _VF_MAX; k++) {
		fuse_ino_t ino = vfile_ino((enum vfile)k);

		ck_assert(ino_is_static(ino));
		ck_assert_uint_le(ino, UINT32_MAX);
		if (k >= VF_EARLY_N)
			ck_assert_uint_ge(ino, INO_LATE0);
		else
			ck_assert_uint_lt(ino, INO_DYNAMIC);
	}
	ck_assert(!ino_is_static(INO_DYNAMIC));
	ck_assert(!ino_is_static(INO_DYNAMIC + 1000000));
	ck_assert(!ino_is_static(INO_LATE0 + (_VF_MAX - VF_EARLY_N)));
	ck_assert_int_eq(snodes_init(), 0);
	ck_assert_ptr_null(snode_get(INO_DYNAMIC));
	ck_assert_str_eq(snode_get(vfile_ino(VF_VMSTAT))->name, "vmstat");
}
END_TEST

START_TEST(test_bound)
{
	unsigned bound = 0;

	for (size_t i = 0; i < BURROW_SERVED_N; i++) {
		const struct burrow_served *e = &burrow_served[i];
		bool inside = strncmp(e->path, "sys/devices/system/cpu/", 23) == 0;

		ck_assert_msg(burrow_served_bound(e) == !inside, "%s", e->path);
		bound += burrow_served_bound(e);
	}
	/* The launcher once lacked these: its guests read the host's pressure. */
	ck_assert(burrow_served_bound(burrow_served_vfile(VF_PSI_CPU)));
	ck_assert(burrow_served_bound(burrow_served_vfile(VF_PSI_IO)));
	ck_assert(burrow_served_bound(burrow_served_vfile(VF_PSI_MEMORY)));
	ck_assert(burrow_served_bound(burrow_served_vfile(VF_VMSTAT)));
	ck_assert_uint_eq(bound, 13);
	ck_assert_ptr_null(burrow_served_vfile(VF_PASSTHROUGH_DIR));
	ck_assert_ptr_null(burrow_served_vfile(_VF_MAX));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("served");
	TCase *tc = tcase_create("served");

	tcase_add_test(tc, test_every_row_served);
	tcase_add_test(tc, test_every_node_in_table);
	tcase_add_test(tc, test_inodes_keep_meaning);
	tcase_add_test(tc, test_bound);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
