/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "net.h"

#define USERNET_MAX_SIZE (1 << 20)
#define GROUPS_MAX	 256

/* The whole quota file, if root alone may have written it. */
static int read_usernet(char **ret)
{
	_cleanup_close_ int fd = open(BURROW_USERNET, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		return -EPERM;
	if (st.st_size > USERNET_MAX_SIZE)
		return -EFBIG;
	buf = malloc(st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

/* The groups the user database gives the caller (as lxc-user-nic, not the
 * caller's current set: an admin's removal from a group takes effect at once). */
static int caller_groups(const struct passwd *pw, char **names, size_t *ret_n)
{
	gid_t gids[GROUPS_MAX];
	int n = GROUPS_MAX;
	size_t k = 0;

	if (getgrouplist(pw->pw_name, pw->pw_gid, gids, &n) < 0)
		n = GROUPS_MAX;
	for (int i = 0; i < n && k < GROUPS_MAX; i++) {
		struct group *gr = getgrgid(gids[i]);

		if (gr && (names[k] = strdup(gr->gr_name)))
			k++;
	}
	*ret_n = k;
	return 0;
}

int quota_rule(const struct net_caller *caller, const char *bridge, struct usernet_rule *ret)
{
	_cleanup_free_ char *text = NULL, *user = NULL;
	char *groups[GROUPS_MAX];
	struct passwd *pw;
	size_t n = 0;
	unsigned bad = 0;
	int r;

	r = read_usernet(&text);
	if (r == -ENOENT)
		return net_fail("no quota: %s is missing", BURROW_USERNET);
	if (r == -EPERM)
		return net_fail("%s is refused: not a regular file that only root may write",
				BURROW_USERNET);
	if (r < 0)
		return net_fail("cannot read %s: %s", BURROW_USERNET, strerror(-r));
	pw = getpwuid(caller->uid);
	if (!pw)
		return net_fail("uid %u has no name in the user database", (unsigned)caller->uid);
	user = strdup(pw->pw_name);
	if (!user)
		return net_fail("out of memory");
	caller_groups(pw, groups, &n);
	r = usernet_lookup(text, user, (const char *const *)groups, n, bridge, ret, &bad);
	for (size_t i = 0; i < n; i++)
		free(groups[i]);
	if (r == -EINVAL)
		return net_fail("%s line %u is malformed (expected USER|@GROUP veth BRIDGE COUNT)",
				BURROW_USERNET, bad);
	if (r < 0)
		return net_fail("no quota for %s on %s in %s", user, bridge, BURROW_USERNET);
	return 0;
}
