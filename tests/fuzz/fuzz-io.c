/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * burrow_gather_io on fuzzed io.stat (v2) or blkio.throttle.* files (v1),
 * then burrow_render_diskstats over a fuzzed host diskstats.
 *
 * Part 0, byte 0: bit 0 v2, bit 1 the container's cgroup is gone (the
 * nearest ancestor's files count). Parts 1-6: the files below; part 7: the
 * host's diskstats.
 *
 * Invariants: a container sees only devices the host lists, at most one line
 * each, never more lines than the host has; a container charged to the root
 * sees the host's file unchanged.
 */
#include <errno.h>
#include <string.h>

#include "burrow.h"
#include "fuzz-common.h"

static const struct fuzz_cgfile files[] = {
	[1] = { "cg/a/b/blkio.throttle.io_service_bytes_recursive", "cg/a/b/io.stat" },
	[2] = { "cg/a/b/blkio.throttle.io_serviced_recursive", "cg/a/io.stat" },
	[3] = { "cg/a/b/blkio.throttle.io_service_bytes", NULL },
	[4] = { "cg/a/b/blkio.throttle.io_serviced", NULL },
	[5] = { "cg/a/blkio.throttle.io_service_bytes", NULL },
	[6] = { "cg/a/blkio.throttle.io_serviced", NULL },
};
#define PART_HOST 7

static void write_tree(const struct fuzz_parts *p, bool v2)
{
	static bool made;

	if (!made) {
		fuzz_mkdir("cg/a/b");
		made = true;
	}
	fuzz_put_cgfiles(files, sizeof(files) / sizeof(files[0]), p, v2);
}

static void check_render(const struct burrow_io *io, const char *host, const char *out)
{
	size_t n = fuzz_lines(out);

	if (io->host) {
		size_t hl = strlen(host);

		/* Passed through, each line '\n'-terminated. */
		fuzz_assert(strncmp(out, host, hl) == 0, "host view differs from the host's file");
		return;
	}
	fuzz_assert(n <= fuzz_lines(host), "%zu lines from a host file of %zu", n,
		    fuzz_lines(host));
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;
		const char *l = fuzz_line(out, i, &len), *q = l;
		uint64_t major, minor;
		bool known = false;

		fuzz_assert(parse_u64_prefix(&q, &major) == 0 && parse_u64_prefix(&q, &minor) == 0,
			    "line without a device: '%.*s'", (int)len, l);
		for (size_t d = 0; d < io->n; d++)
			known |= io->dev[d].major == major && io->dev[d].minor == minor;
		fuzz_assert(known, "device %lu:%lu the cgroup never named", (unsigned long)major,
			    (unsigned long)minor);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct burrow_container c = { .init_pid = 1 };
	struct burrow_io io = { 0 };
	struct fuzz_parts p;
	unsigned flags;

	fuzz_split(data, size, &p);
	flags = fuzz_flags(&p);
	write_tree(&p, flags & 1);
	c.cg[BURROW_CG_IO] = (struct burrow_cgpath){
		.path = (char *)(flags & 2 ? "cg/a/b/gone" : "cg/a/b"),
		.mount_len = 2,
		.v2 = flags & 1,
	};
	if (burrow_gather_io(fuzz_root(), &c, &io) == 0) {
		for (size_t i = 0; i < io.n; i++)
			for (size_t j = i + 1; j < io.n; j++)
				fuzz_assert(io.dev[i].major != io.dev[j].major ||
						    io.dev[i].minor != io.dev[j].minor,
					    "device %u:%u listed twice", io.dev[i].major,
					    io.dev[i].minor);
		if (fuzz_file(&p, PART_HOST)) {
			_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;

			if (burrow_render_diskstats(&io, p.part[PART_HOST], &out) == 0)
				check_render(&io, p.part[PART_HOST], out.buf ? out.buf : "");
		}
		burrow_io_done(&io);
	}
	fuzz_parts_done(&p);
	return 0;
}
