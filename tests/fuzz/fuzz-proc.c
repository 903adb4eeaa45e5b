/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The /proc/PID readers: proc_pid_starttime (stat field 22), the NSpid,
 * Tgid and PPid fields of status (resolve.c and tasks.c), the pid
 * namespace link, the init search by walk and by scan, and
 * burrow_gather_tasks over a cgroup's tasks lists.
 *
 * A fake proc/ holds pids 1-3. Part 0, byte 0: bit 0 v2 (cgroup.threads,
 * else tasks). Parts 1-3: proc/N/stat; 4-6: proc/N/status; 7-9: the target
 * of proc/N/ns/pid; 10: the cgroup's list; 11: its child's list.
 *
 * Invariants: an init found is one of the pids and its NSpid's last entry
 * is 1; task counts add up (running + blocked <= threads <= pids listed).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "burrow.h"
#include "fuzz-common.h"
#include "resolve.h"

#define NPIDS	  3
#define PART_STAT 1
#define PART_LINK 7
#define PART_LIST 10

static void write_tree(const struct fuzz_parts *p, bool v2)
{
	static bool made;
	char path[64];

	if (!made) {
		for (int pid = 1; pid <= NPIDS; pid++) {
			snprintf(path, sizeof(path), "proc/%d/ns", pid);
			fuzz_mkdir(path);
		}
		fuzz_mkdir("cg/sub");
		made = true;
	}
	for (int pid = 1; pid <= NPIDS; pid++) {
		size_t st = PART_STAT + (size_t)pid - 1, ss = st + NPIDS, sl = PART_LINK + pid - 1;

		snprintf(path, sizeof(path), "proc/%d/stat", pid);
		fuzz_put_part(path, p, st);
		snprintf(path, sizeof(path), "proc/%d/status", pid);
		fuzz_put_part(path, p, ss);
		snprintf(path, sizeof(path), "proc/%d/ns/pid", pid);
		fuzz_symlink(path, fuzz_file(p, sl));
	}
	fuzz_put(v2 ? "cg/tasks" : "cg/cgroup.threads", NULL, 0);
	fuzz_put(v2 ? "cg/sub/tasks" : "cg/sub/cgroup.threads", NULL, 0);
	fuzz_put_part(v2 ? "cg/cgroup.threads" : "cg/tasks", p, PART_LIST);
	fuzz_put_part(v2 ? "cg/sub/cgroup.threads" : "cg/sub/tasks", p, PART_LIST + 1);
}

static void check_init(int root, int r, pid_t init)
{
	struct burrow_nspid ns;

	if (r < 0)
		return;
	fuzz_assert(init >= 1 && init <= NPIDS, "init %d is no process", (int)init);
	fuzz_assert(burrow_proc_nspid(root, init, &ns) == 0 && ns.inner == 1,
		    "init %d is not pid 1 of its namespace", (int)init);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct burrow_container c = { .init_pid = 1 };
	int root = fuzz_root();
	struct burrow_tasks t;
	struct fuzz_parts p;
	bool v2;

	fuzz_split(data, size, &p);
	v2 = fuzz_flags(&p) & 1;
	write_tree(&p, v2);

	for (pid_t pid = 1; pid <= NPIDS; pid++) {
		struct burrow_nspid ns;
		uint64_t start, ino;
		pid_t init = 0;

		(void)proc_pid_starttime(root, pid, &start);
		if (burrow_proc_nspid(root, pid, &ns) == 0)
			fuzz_assert(ns.depth >= 1 && ns.inner >= 1, "NSpid depth %u inner %d",
				    ns.depth, (int)ns.inner);
		if (burrow_pidns_inode(root, pid, &ino) == 0) {
			check_init(root, burrow_init_by_walk(root, pid, ino, &init), init);
			check_init(root, burrow_init_by_scan(root, ino, &init), init);
		}
	}

	c.cg[BURROW_CG_PIDS] =
		(struct burrow_cgpath){ .path = (char *)"cg", .mount_len = 2, .v2 = v2 };
	if (burrow_gather_tasks(root, &c, &t) == 0) {
		fuzz_assert(t.running + t.blocked <= t.threads, "%lu running, %lu blocked of %lu",
			    (unsigned long)t.running, (unsigned long)t.blocked,
			    (unsigned long)t.threads);
		/* tasks.c's bound on the work a hostile tree can cause. */
		fuzz_assert(t.threads <= 1000000, "threads %lu", (unsigned long)t.threads);
	}
	fuzz_parts_done(&p);
	return 0;
}
