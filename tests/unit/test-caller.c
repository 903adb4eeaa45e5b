/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fs/serve/caller.c: a thread takes a caller's credentials, only that thread, and
 * always comes back, the error paths included. Needs root (it switches
 * ids); every test runs in its own forked process (Check's default).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caller.h"
#include "fixture.h"
#include "macro.h"

#define U 4242
#define G 4243

static const struct caller user = {
	.uid = { U, U, U, U },
	.gid = { G, G, G, G },
	.groups = { G, G + 1 },
	.n_groups = 2,
	.host_ns = true,
};

static void assert_same(const struct thread_cred *a, const struct thread_cred *b)
{
	ck_assert(memcmp(a->uid, b->uid, sizeof(a->uid)) == 0);
	ck_assert(memcmp(a->gid, b->gid, sizeof(a->gid)) == 0);
	ck_assert_uint_eq(a->n_groups, b->n_groups);
	ck_assert(memcmp(a->groups, b->groups, a->n_groups * sizeof(gid_t)) == 0);
	ck_assert(memcmp(a->cap, b->cap, sizeof(a->cap)) == 0);
}

static void assert_back(const struct thread_cred *self)
{
	struct thread_cred now;

	ck_assert_int_eq(thread_cred_save(&now), 0);
	assert_same(&now, self);
}

/* A file only its owner (uid) may open for writing: 0600. */
static char *private_file(uid_t uid)
{
	char *path = strdup("/tmp/burrow-test-caller.XXXXXX");
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchown(fd, uid, 0), 0);
	ck_assert_int_eq(fchmod(fd, 0600), 0);
	close(fd);
	return path;
}

static int try_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* path is shut to the thread as it is now; back to self, it opens again. */
static void assert_shut_then_back(const struct thread_cred *self, const char *path)
{
	ck_assert_int_eq(try_open(path), -EACCES);
	ck_assert_int_eq(thread_cred_restore(self), 0);
	assert_back(self);
	ck_assert_int_eq(try_open(path), 0);
	unlink(path);
}

START_TEST(test_become_and_back)
{
	_cleanup_free_ char *path = private_file(0);
	struct thread_cred self, now;

	ck_assert_int_eq(thread_cred_save(&self), 0);
	ck_assert_int_eq(thread_cred_become(&user, &self), 0);
	ck_assert_int_eq(thread_cred_save(&now), 0);
	/* The saved uid stays ours: it is the way back. */
	ck_assert_uint_eq(now.uid[0], U);
	ck_assert_uint_eq(now.uid[1], U);
	ck_assert_uint_eq(now.uid[2], 0);
	ck_assert_uint_eq(now.uid[3], U);
	ck_assert_uint_eq(now.gid[1], G);
	ck_assert_uint_eq(now.gid[3], G);
	ck_assert_uint_eq(now.n_groups, 2);
	ck_assert_uint_eq(now.cap[0].effective | now.cap[1].effective, 0);
	/* The permitted set is kept, so the thread can come back. */
	ck_assert_uint_eq(now.cap[0].permitted, self.cap[0].permitted);
	assert_shut_then_back(&self, path);
}
END_TEST

/* uid 0 without capabilities is no root: another's 0600 file stays closed. */
START_TEST(test_capless_root)
{
	_cleanup_free_ char *path = private_file(U);
	struct caller root0 = { .host_ns = true };
	struct thread_cred self, now;

	ck_assert_int_eq(thread_cred_save(&self), 0);
	ck_assert_int_eq(thread_cred_become(&root0, &self), 0);
	ck_assert_int_eq(thread_cred_save(&now), 0);
	ck_assert_uint_eq(now.uid[1], 0);
	ck_assert_uint_eq(now.cap[0].effective | now.cap[1].effective, 0);
	assert_shut_then_back(&self, path);
}
END_TEST

/* Capabilities over another user namespace are none over ours. */
START_TEST(test_other_userns_caps)
{
	struct caller c = user;
	struct thread_cred self, now;

	c.cap_eff = ~UINT64_C(0);
	c.host_ns = false;
	ck_assert_int_eq(thread_cred_save(&self), 0);
	ck_assert_int_eq(thread_cred_become(&c, &self), 0);
	ck_assert_int_eq(thread_cred_save(&now), 0);
	ck_assert_uint_eq(now.cap[0].effective | now.cap[1].effective, 0);
	ck_assert_int_eq(thread_cred_restore(&self), 0);
	assert_back(&self);
}
END_TEST

struct other {
	pthread_barrier_t switched, checked;
	int r;
};

static void *switch_thread(void *arg)
{
	struct other *o = arg;
	struct thread_cred self;

	o->r = thread_cred_save(&self);
	if (o->r >= 0)
		o->r = thread_cred_become(&user, &self);
	pthread_barrier_wait(&o->switched);
	pthread_barrier_wait(&o->checked);
	if (o->r >= 0)
		o->r = thread_cred_restore(&self);
	return NULL;
}

/* Only the calling thread changes: glibc's wrappers would change them all. */
START_TEST(test_per_thread)
{
	struct thread_cred self;
	struct other o = { .r = 0 };
	pthread_t t;

	ck_assert_int_eq(thread_cred_save(&self), 0);
	pthread_barrier_init(&o.switched, NULL, 2);
	pthread_barrier_init(&o.checked, NULL, 2);
	ck_assert_int_eq(pthread_create(&t, NULL, switch_thread, &o), 0);
	pthread_barrier_wait(&o.switched);
	ck_assert_int_eq(o.r, 0);
	assert_back(&self);
	pthread_barrier_wait(&o.checked);
	pthread_join(t, NULL);
	ck_assert_int_eq(o.r, 0);
}
END_TEST

/*
 * A switch that fails half way (no CAP_SETUID: groups and gids already
 * changed, the uid refused) leaves the thread as it was.
 */
START_TEST(test_error_path_restores)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct thread_cred self;

	ck_assert_int_eq(thread_cred_save(&self), 0);
	self.cap[0].effective &= ~(1u << CAP_SETUID);
	self.cap[0].permitted &= ~(1u << CAP_SETUID);
	ck_assert_int_eq(syscall(SYS_capset, &h, self.cap), 0);
	ck_assert_int_eq(thread_cred_become(&user, &self), -EPERM);
	assert_back(&self);
}
END_TEST

START_TEST(test_caller_read_self)
{
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	pid_t tid = (pid_t)syscall(SYS_gettid);
	struct caller_self me;
	struct caller c;
	uid_t t[4];

	ck_assert_int_eq(caller_self_load(root, &me), 0);
	ck_assert_int_eq(caller_read(root, &me, tid, 0, 0, &c), 0);
	ck_assert(c.host_ns);
	ck_assert(c.host_root);
	ck_assert_uint_eq(c.uid[1], 0);
	/* The request's fsuid is not what the process has now: not this process. */
	ck_assert_int_eq(caller_read(root, &me, tid, 1, 0, &c), -ESRCH);
	ck_assert_int_eq(caller_task_uids(root, tid, true, t), 0);
	ck_assert_uint_eq(t[0], 0);
	ck_assert_int_eq(caller_read(root, &me, 0, 0, 0, &c), -ESRCH);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("caller");
	TCase *tc = tcase_create("core");

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return 77;
	}
	tcase_add_test(tc, test_become_and_back);
	tcase_add_test(tc, test_capless_root);
	tcase_add_test(tc, test_other_userns_caps);
	tcase_add_test(tc, test_per_thread);
	tcase_add_test(tc, test_error_path_restores);
	tcase_add_test(tc, test_caller_read_self);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
