/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bindings/proc.c, the one parser of each per-process /proc file: on the
 * fixture trees (v1 hybrid and v2), on the live /proc against what the
 * kernel itself says, and on text a hostile tree could hold.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "fixture.h"
#include "macro.h"
#include "proc.h"

START_TEST(test_status_fixture)
{
	int root = fixture_root("resolve-walk");
	struct burrow_proc_status s;

	ck_assert_int_eq(burrow_read_status(root, "proc/1301", &s), 0);
	ck_assert_int_eq(s.tgid, 1301);
	ck_assert_int_eq(s.ppid, 1300);
	ck_assert_uint_eq(s.depth, 3);
	ck_assert_int_eq(s.nspid[0], 1301);
	ck_assert_int_eq(s.nspid[1], 21);
	ck_assert_int_eq(s.nspid[2], 2);
	ck_assert_int_eq(burrow_read_status(root, "proc/4242", &s), -ESRCH);
	close(root);
}
END_TEST

START_TEST(test_status_live)
{
	struct burrow_proc_status s;
	char base[32];

	snprintf(base, sizeof(base), "/proc/%d", (int)getpid());
	ck_assert_int_eq(burrow_read_status(AT_FDCWD, base, &s), 0);
	ck_assert_int_eq(s.tgid, getpid());
	ck_assert_int_eq(s.ppid, getppid());
	ck_assert_uint_ge(s.depth, 1);
	/* The test runs in the namespace its /proc numbers: the first entry is getpid(). */
	ck_assert_int_eq(s.nspid[0], getpid());
}
END_TEST

START_TEST(test_status_hostile)
{
	struct burrow_proc_status s;
	char big[512] = "Tgid:\t1\nPPid:\t0\nNSpid:";

	ck_assert_int_eq(burrow_parse_status("Tgid:\t1\nPPid:\t0\n", &s), -EOPNOTSUPP);
	ck_assert_int_eq(burrow_parse_status("NSpid:\n", &s), -EINVAL);
	ck_assert_int_eq(burrow_parse_status("NSpid:\t0\n", &s), -EINVAL);
	ck_assert_int_eq(burrow_parse_status("NSpid:\t12x\n", &s), -EINVAL);
	ck_assert_int_eq(burrow_parse_status("NSpid:\t12\t-3\n", &s), -EINVAL);
	ck_assert_int_eq(burrow_parse_status("NSpid:\t2147483648\n", &s), -EINVAL);
	ck_assert_int_eq(burrow_parse_status("NSpid:\t99999999999999999999\n", &s), -ERANGE);
	ck_assert_int_eq(burrow_parse_status("Tgid:\t99999999999\nNSpid:\t1\n", &s), -EINVAL);
	/* Without Tgid and PPid: -1, for the caller that needs them to refuse. */
	ck_assert_int_eq(burrow_parse_status("NSpid:\t7 \n", &s), 0);
	ck_assert_int_eq(s.tgid, -1);
	ck_assert_int_eq(s.ppid, -1);
	ck_assert_uint_eq(s.depth, 1);
	/* More entries than pid namespaces can nest is not the kernel's line. */
	for (int i = 0; i < BURROW_NSPID_MAX; i++)
		strcat(big, "\t5");
	ck_assert_int_eq(burrow_parse_status(big, &s), 0);
	ck_assert_uint_eq(s.depth, BURROW_NSPID_MAX);
	strcat(big, "\t5");
	ck_assert_int_eq(burrow_parse_status(big, &s), -EINVAL);
}
END_TEST

START_TEST(test_ns_link)
{
	int root = fixture_root("resolve-walk");
	uint64_t ino;
	struct stat st;
	char base[32];

	ck_assert_int_eq(burrow_read_ns_link(root, "proc/1301", "pid", &ino), 0);
	ck_assert_uint_eq(ino, 4026532600ULL);
	ck_assert_int_eq(burrow_read_ns_link(root, "proc/4242", "pid", &ino), -ESRCH);
	close(root);

	/* Live: the link's number is the namespace file's inode. */
	snprintf(base, sizeof(base), "/proc/%d", (int)getpid());
	ck_assert_int_eq(burrow_read_ns_link(AT_FDCWD, base, "cgroup", &ino), 0);
	ck_assert_int_eq(stat("/proc/self/ns/cgroup", &st), 0);
	ck_assert_uint_eq(ino, (uint64_t)st.st_ino);

	ck_assert_int_eq(burrow_parse_ns_link("pid:[4026531836]", "pid", &ino), 0);
	ck_assert_uint_eq(ino, 4026531836ULL);
	ck_assert_int_eq(burrow_parse_ns_link("cgroup:[1]", "pid", &ino), -EINVAL);
	ck_assert_int_eq(burrow_parse_ns_link("pid:[]", "pid", &ino), -EINVAL);
	ck_assert_int_eq(burrow_parse_ns_link("pid:[12", "pid", &ino), -EINVAL);
	ck_assert_int_eq(burrow_parse_ns_link("pid:[12]x", "pid", &ino), -EINVAL);
	ck_assert_int_eq(burrow_parse_ns_link("pid:[ 12]", "pid", &ino), -EINVAL);
	ck_assert_int_eq(burrow_parse_ns_link("pid:[-1]", "pid", &ino), -EINVAL);
	ck_assert_int_eq(burrow_parse_ns_link("pid:[18446744073709551616]", "pid", &ino), -ERANGE);
	ck_assert_int_eq(burrow_parse_ns_link("pidx:[1]", "pid", &ino), -EINVAL);
}
END_TEST

START_TEST(test_stat)
{
	struct burrow_proc_stat st;
	uint64_t start;
	char state;

	/* A comm with spaces and ')' (the hybrid fixture), and the v2 one. */
	for (int v2 = 0; v2 < 2; v2++) {
		int root = fixture_root(v2 ? "cgroup-v2" : "cgroup-hybrid");

		ck_assert_int_eq(burrow_read_stat(root, "proc/1000", &st), 0);
		ck_assert_int_eq(proc_pid_stat(root, 1000, &start, &state), 0);
		ck_assert_uint_eq(st.starttime, start);
		ck_assert_int_eq(st.state, state);
		if (!v2) {
			ck_assert_int_eq(st.state, 'S');
			ck_assert_uint_eq(st.starttime, 123456);
		}
		ck_assert_int_eq(burrow_read_stat(root, "proc/4242", &st), -ENODATA);
		close(root);
	}
	ck_assert_int_eq(
		burrow_parse_stat("1 (a) b) R 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 77 0 0", &st),
		0);
	ck_assert_int_eq(st.state, 'R');
	ck_assert_uint_eq(st.starttime, 77);
	/* Cut short, no ')', nothing after it, a field that is not a number. */
	ck_assert_int_eq(burrow_parse_stat("1 (a) R 0 1 1 0", &st), -EINVAL);
	ck_assert_int_eq(burrow_parse_stat("1 a R 0", &st), -EINVAL);
	ck_assert_int_eq(burrow_parse_stat("1 (a)", &st), -EINVAL);
	ck_assert_int_eq(burrow_parse_stat("1 (a)  R", &st), -EINVAL);
	ck_assert_int_eq(
		burrow_parse_stat("1 (a) R 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 x 0 0", &st),
		-EINVAL);
}
END_TEST

START_TEST(test_cgroup_lines)
{
	const char *text = "12:pids:/lxc/c1\n\nno colon\n1:x\n0::/a:b/c\n4:cpu,cpuacct:/\n";
	struct burrow_cgroup_line l;
	const char *p = text;

	ck_assert_int_eq(burrow_proc_cgroup_next(&p, &l), 1);
	ck_assert_int_eq((int)l.id_len, 2);
	ck_assert_int_eq(memcmp(l.id, "12", 2), 0);
	ck_assert_int_eq((int)l.controllers_len, 4);
	ck_assert_int_eq(memcmp(l.controllers, "pids", 4), 0);
	ck_assert_int_eq((int)l.path_len, 7);
	ck_assert_int_eq(memcmp(l.path, "/lxc/c1", 7), 0);
	/* The blank line, the one without ':' and the one with a single ':' pass. */
	ck_assert_int_eq(burrow_proc_cgroup_next(&p, &l), 1);
	ck_assert_int_eq((int)l.controllers_len, 0);
	ck_assert_int_eq((int)l.path_len, 6);
	ck_assert_int_eq(memcmp(l.path, "/a:b/c", 6), 0);
	ck_assert_int_eq(burrow_proc_cgroup_next(&p, &l), 1);
	ck_assert_int_eq((int)l.path_len, 1);
	ck_assert_int_eq(burrow_proc_cgroup_next(&p, &l), 0);
	ck_assert_int_eq(burrow_proc_cgroup_next(&p, &l), 0);

	/* A last line without '\n'. */
	p = "0::/x";
	ck_assert_int_eq(burrow_proc_cgroup_next(&p, &l), 1);
	ck_assert_int_eq((int)l.path_len, 2);
	ck_assert_int_eq(*p, '\0');
}
END_TEST

/* The cgroup mounts of a fixture's mountinfo, as "fstype mountpoint root superopts;" */
static void cgroup_mounts(const char *fixture, char *out, size_t size)
{
	_cleanup_free_ char *text = fixture_read(fixture, "proc/self/mountinfo");
	char *save = NULL;

	out[0] = '\0';
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct burrow_mountinfo m;
		size_t n = strlen(out);

		ck_assert_int_eq(burrow_parse_mountinfo_line(line, &m), 0);
		if (strncmp(m.fstype, "cgroup", 6) == 0)
			snprintf(out + n, size - n, "%s %s %s %s;", m.fstype, m.mountpoint, m.root,
				 m.superopts);
	}
}

START_TEST(test_mountinfo_fixtures)
{
	char out[2048];

	cgroup_mounts("cgroup-v2", out, sizeof(out));
	ck_assert_str_eq(out, "cgroup2 /sys/fs/cgroup / rw;");
	cgroup_mounts("cgroup-hybrid", out, sizeof(out));
	ck_assert_str_eq(out, "cgroup /sys/fs/cgroup/cpu,cpuacct / rw,cpu,cpuacct;"
			      "cgroup /sys/fs/cgroup/cpuset / rw,cpuset;"
			      "cgroup /sys/fs/cgroup/memory / rw,memory;"
			      "cgroup /sys/fs/cgroup/blkio / rw,blkio;"
			      "cgroup /sys/fs/cgroup/pids / rw,pids;"
			      "cgroup /sys/fs/cgroup/systemd / rw,xattr,name=systemd;"
			      "cgroup2 /sys/fs/cgroup/unified / rw,nsdelegate;"
			      "cgroup /var/lib/other mount /lxc/other rw,xattr,name=systemd;");
}
END_TEST

/* Every line of the live mountinfo parses, and its ids agree with /proc/self/fdinfo. */
START_TEST(test_mountinfo_live)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	bool root_seen = false;

	ck_assert_int_eq(read_full_at(AT_FDCWD, "/proc/self/mountinfo", &text, NULL), 0);
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct burrow_mountinfo m;

		ck_assert_int_eq(burrow_parse_mountinfo_line(line, &m), 0);
		ck_assert_ptr_nonnull(m.superopts);
		root_seen |= strcmp(m.mountpoint, "/") == 0;
	}
	ck_assert(root_seen);
}
END_TEST

START_TEST(test_mountinfo_hostile)
{
	struct burrow_mountinfo m;
	char ok[] = "36 35 98:0 /a\\134b /mnt\\040x\\011y rw shared:1 master:2 - ext3 "
		    "/dev/r\\040t rw,errors=continue\n";
	char bad_oct[] = "1 2 3:4 / /m\\400\\12\\0x rw - t s o";

	ck_assert_int_eq(burrow_parse_mountinfo_line(ok, &m), 0);
	ck_assert_uint_eq(m.id, 36);
	ck_assert_uint_eq(m.parent, 35);
	ck_assert_uint_eq(m.major, 98);
	ck_assert_uint_eq(m.minor, 0);
	ck_assert_str_eq(m.root, "/a\\b");
	ck_assert_str_eq(m.mountpoint, "/mnt x\ty");
	ck_assert_str_eq(m.options, "rw");
	ck_assert_str_eq(m.fstype, "ext3");
	ck_assert_str_eq(m.source, "/dev/r t");
	ck_assert_str_eq(m.superopts, "rw,errors=continue");
	/* Escapes that are not three octal digits up to \377 stay as they are. */
	ck_assert_int_eq(burrow_parse_mountinfo_line(bad_oct, &m), 0);
	ck_assert_str_eq(m.mountpoint, "/m\\400\\12\\0x");

	{
		char no_dash[] = "1 2 3:4 / /m rw shared:1 t s o";
		char short_tail[] = "1 2 3:4 / /m rw - t s";
		char no_dev[] = "1 2 34 / /m rw - t s o";
		char bad_id[] = "x 2 3:4 / /m rw - t s o";
		char big_id[] = "4294967296 2 3:4 / /m rw - t s o";
		char few[] = "1 2 3:4 /";
		char empty[] = "";

		ck_assert_int_eq(burrow_parse_mountinfo_line(no_dash, &m), -EINVAL);
		ck_assert_int_eq(burrow_parse_mountinfo_line(short_tail, &m), -EINVAL);
		ck_assert_int_eq(burrow_parse_mountinfo_line(no_dev, &m), -EINVAL);
		ck_assert_int_eq(burrow_parse_mountinfo_line(bad_id, &m), -EINVAL);
		ck_assert_int_eq(burrow_parse_mountinfo_line(big_id, &m), -EINVAL);
		ck_assert_int_eq(burrow_parse_mountinfo_line(few, &m), -EINVAL);
		ck_assert_int_eq(burrow_parse_mountinfo_line(empty, &m), -EINVAL);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proc");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_status_fixture);
	tcase_add_test(tc, test_status_live);
	tcase_add_test(tc, test_status_hostile);
	tcase_add_test(tc, test_ns_link);
	tcase_add_test(tc, test_stat);
	tcase_add_test(tc, test_cgroup_lines);
	tcase_add_test(tc, test_mountinfo_fixtures);
	tcase_add_test(tc, test_mountinfo_live);
	tcase_add_test(tc, test_mountinfo_hostile);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
