/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OCI hook's JSON. Part 0 is the state a runtime writes on the hook's
 * stdin, parsed by oci_state_parse(); part 1 is the bundle's config.json,
 * read from a scratch bundle by read_config(). Both are static in
 * hooks/oci.c, so the file is included whole: what is fuzzed is what the hook
 * runs, and the hook keeps its parser private.
 *
 * Invariants: a parsed state has an id, an absolute bundle and a pid in
 * [0, INT32_MAX]; a config that is taken gives an absolute rootfs, under the
 * bundle when root.path is relative; a refused document leaves nothing
 * allocated (LeakSanitizer checks).
 */
#include "fuzz-common.h"
#include "oci.c"

/*
 * hook_run_oci() binds through hook_apply(), which lives in hooks/main.c
 * beside the hook's main(). Only the parsers run here: it is never called.
 */
int hook_apply(const struct hook_opts *o, int64_t pid, int (*open_rootfs)(void *userdata),
	       void *userdata, const char *what)
{
	(void)o;
	(void)pid;
	(void)open_rootfs;
	(void)userdata;
	(void)what;
	abort();
}

static void fuzz_state(const char *data, size_t len)
{
	struct oci_state s = {};

	if (oci_state_parse(data, len, &s) < 0)
		return;
	fuzz_assert(s.id && s.bundle, "a parsed state lacks its id or bundle");
	fuzz_assert(s.bundle[0] == '/', "bundle '%s' is not absolute", s.bundle);
	fuzz_assert(s.pid >= 0 && s.pid <= INT32_MAX, "pid %" PRIi64, s.pid);
	oci_state_done(&s);
}

static void fuzz_config(const struct fuzz_parts *p)
{
	char bundle[4096], *rootfs = NULL;
	bool disabled = false, required = false;
	size_t n;

	fuzz_mkdir("bundle");
	fuzz_put_part("bundle/config.json", p, 1);
	fuzz_path("bundle", bundle, sizeof(bundle));
	if (read_config(bundle, &rootfs, &disabled, &required) < 0) {
		fuzz_assert(!rootfs, "a refused config.json left a rootfs");
		return;
	}
	fuzz_assert(rootfs && rootfs[0] == '/', "rootfs '%s' is not absolute", rootfs);
	n = strlen(bundle);
	fuzz_assert(strlen(rootfs) > 1, "rootfs is '%s'", rootfs);
	/* Relative root.path: bundle + "/" + path. An absolute one is taken as it is. */
	if (strncmp(rootfs, bundle, n) == 0 && rootfs[n] == '/')
		fuzz_assert(rootfs[n + 1] != '\0', "rootfs '%s' is the bundle itself", rootfs);
	free(rootfs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_parts p;

	fuzz_split(data, size, &p);
	fuzz_state(p.part[0], p.len[0]);
	fuzz_config(&p);
	fuzz_parts_done(&p);
	return 0;
}
