/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tasks-count PID: how burrowfs counts the load of PID's container, both
 * ways, for test-loadavg.sh to hold against each other and the truth.
 * tasks-count --v2 DIR: the same for a container whose only cgroup is the
 * cgroup2 directory DIR.
 *   cg PATH v1|v2        the cgroup sampled
 *   taskstats R B | -    one taskstats call on that cgroup (- : refused)
 *   sampler R B          burrow_gather_active() with taskstats
 *   scan R B             burrow_gather_active() reading each task
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "burrow.h"
#include "cgstats.h"
#include "macro.h"

static int fail(const char *what, int r)
{
	fprintf(stderr, "tasks-count: %s: %s\n", what, strerror(-r));
	return 1;
}

int main(int argc, char **argv)
{
	_cleanup_close_ int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct burrow_layout *l = NULL;
	struct burrow_cgstats *cs = NULL;
	const struct burrow_cgpath *p;
	struct burrow_container c;
	struct burrow_cgcount n;
	struct burrow_tasks t;
	int r, fd;

	if (argc < 2 || root < 0)
		return 2;
	r = burrow_layout_load(root, &l);
	if (r < 0)
		return fail("layout", r);
	if (argc == 3 && strcmp(argv[1], "--v2") == 0) {
		int h = l->index[BURROW_CG_UNIFIED];

		if (h < 0 || !l->h[h].v2 || argv[2][0] != '/')
			return fail("no cgroup2 mount", -ENOENT);
		c = (struct burrow_container){ 0 };
		c.cg[BURROW_CG_UNIFIED] = (struct burrow_cgpath){
			.path = strdup(argv[2] + 1), .mount_len = strlen(l->h[h].mount), .v2 = true
		};
	} else
		r = burrow_container_load(root, l, atoi(argv[1]), &c);
	burrow_layout_free(l);
	if (r < 0)
		return fail("container", r);
	p = burrow_container_tasks_cg(&c);
	if (!p)
		return fail("no cgroup of its own", -ENODATA);
	printf("cg /%s %s\n", p->path, p->v2 ? "v2" : "v1");
	r = burrow_cgstats_new(&cs);
	if (r < 0)
		return fail("taskstats", r);
	fd = openat(root, p->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail("open", -errno);
	r = burrow_cgstats_get(cs, fd, &n);
	close(fd);
	if (r == 0)
		printf("taskstats %llu %llu\n", (unsigned long long)n.running,
		       (unsigned long long)n.uninterruptible);
	else if (r == -EOPNOTSUPP)
		printf("taskstats -\n");
	else
		return fail("taskstats get", r);
	r = burrow_gather_active(root, &c, cs, &t);
	if (r < 0)
		return fail("sampler", r);
	printf("sampler %llu %llu\n", (unsigned long long)t.running, (unsigned long long)t.blocked);
	r = burrow_gather_active(root, &c, NULL, &t);
	if (r < 0)
		return fail("scan", r);
	printf("scan %llu %llu\n", (unsigned long long)t.running, (unsigned long long)t.blocked);
	burrow_cgstats_free(cs);
	burrow_container_done(&c);
	return 0;
}
