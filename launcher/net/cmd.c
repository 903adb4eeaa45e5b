/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "macro.h"
#include "net.h"
#include "records.h"
#include "rtnl.h"

#define NOT_YOURS "process %d is not yours, or its network namespace is not one you own"

static void records_closep(struct net_records *r)
{
	records_close(r);
}
#define _cleanup_records_ __attribute__((cleanup(records_closep)))

static int open_bridge(struct mnl_socket *nl, const char *bridge, struct rtnl_link *ret)
{
	if (rtnl_link_get(nl, bridge, ret) < 0 || !ret->is_bridge)
		return net_fail("there is no bridge %s", bridge);
	return 0;
}

/* The first "bn<uid>-<n>" that neither a record nor a link holds. */
static int pick_name(struct mnl_socket *nl, const struct net_records *recs, uid_t uid,
		     char ret[NET_IFNAME_MAX + 1])
{
	for (unsigned i = 0; i <= NET_COUNT_MAX; i++) {
		struct rtnl_link l;
		bool taken = false;

		if (net_host_name(uid, i, ret) < 0)
			return -ENAMETOOLONG;
		for (size_t k = 0; k < recs->n && !taken; k++)
			taken = !strcmp(recs->rec[k].host, ret);
		if (!taken && rtnl_link_get(nl, ret, &l) == -ENODEV)
			return 0;
	}
	return -ENOSPC;
}

static int random_hwaddr(uint8_t mac[6])
{
	if (getrandom(mac, 6, 0) != 6)
		return -EIO;
	/* Locally administered, unicast. */
	mac[0] = (mac[0] & 0xfe) | 0x02;
	return 0;
}

/* Under the lock: the record first, then the pair, then the bridge port. */
static int make_pair(struct mnl_socket *nl, struct net_records *recs, const struct net_record *rec,
		     int netns_fd, const uint8_t mac[6], int master)
{
	struct rtnl_link host;
	int r;

	r = records_write(recs, rec);
	if (r < 0)
		return net_fail("cannot record the allocation: %s", strerror(-r));
	r = rtnl_veth_create(nl, rec->host, "eth0", netns_fd, mac);
	if (r < 0) {
		records_remove(recs, rec->host);
		if (r == -EEXIST)
			return net_fail("the target network namespace already has an eth0");
		return net_fail("cannot create the veth pair: %s", strerror(-r));
	}
	r = rtnl_link_get(nl, rec->host, &host);
	if (r >= 0)
		r = rtnl_link_attach_up(nl, host.ifindex, master);
	if (r < 0) {
		if (rtnl_link_get(nl, rec->host, &host) >= 0)
			rtnl_link_del(nl, host.ifindex);
		records_remove(recs, rec->host);
		return net_fail("cannot attach %s to %s: %s", rec->host, rec->bridge, strerror(-r));
	}
	return 0;
}

/*
 * Opens rtnetlink, the bridge and the records (under their lock), and
 * counts the caller's ports on the bridge against rule: 0, or 1 with the
 * reason printed. Root's rule has no limit.
 */
static int open_within_quota(const struct net_caller *caller, const struct net_args *a,
			     const struct usernet_rule *rule, struct mnl_socket **nl,
			     struct net_records *recs, struct rtnl_link *br, unsigned *used)
{
	int r;

	r = rtnl_open(nl);
	if (r < 0)
		return net_fail("cannot open rtnetlink: %s", strerror(-r));
	if (open_bridge(*nl, a->bridge, br) != 0)
		return 1;
	r = records_open(*nl, recs);
	if (r < 0)
		return net_fail("cannot open the records: %s", strerror(-r));
	*used = records_count(recs, caller->uid, a->bridge);
	if (*used >= rule->count)
		return net_fail("quota used up: %u of %u interfaces on %s (%s line %u)", *used,
				rule->count, a->bridge, BURROW_USERNET, rule->line);
	return 0;
}

int cmd_add(const struct net_caller *caller, const struct net_args *a)
{
	_cleanup_rtnl_ struct mnl_socket *nl = NULL;
	_cleanup_records_ struct net_records recs = { .dirfd = -1, .lockfd = -1 };
	_cleanup_close_ int nsfd = -1;
	struct net_record rec = { .uid = caller->uid };
	struct usernet_rule rule = { .count = NET_COUNT_MAX };
	struct net_target t;
	struct rtnl_link br;
	uint8_t mac[6];
	unsigned used;

	if (caller->uid != 0 && quota_rule(caller, a->bridge, &rule) != 0)
		return 1;
	if (target_open(caller, a->pid, &t) < 0)
		return net_fail(NOT_YOURS, (int)a->pid);
	nsfd = t.fd;
	if (open_within_quota(caller, a, &rule, &nl, &recs, &br, &used) != 0)
		return 1;
	if (pick_name(nl, &recs, caller->uid, rec.host) < 0)
		return net_fail("no free interface name for uid %u", (unsigned)caller->uid);
	snprintf(rec.bridge, sizeof(rec.bridge), "%s", a->bridge);
	rec.netns_dev = t.dev;
	rec.netns_ino = t.ino;
	if (a->hwaddr_set)
		memcpy(mac, a->hwaddr, 6);
	else if (random_hwaddr(mac) < 0)
		return net_fail("no random bytes for a MAC address");
	if (make_pair(nl, &recs, &rec, nsfd, mac, br.ifindex) != 0)
		return 1;
	printf("%s\n", rec.host);
	return fflush(stdout) == 0 ? 0 : 1;
}

int cmd_del(const struct net_caller *caller, const struct net_args *a)
{
	_cleanup_rtnl_ struct mnl_socket *nl = NULL;
	_cleanup_records_ struct net_records recs = { .dirfd = -1, .lockfd = -1 };
	struct net_target t;
	unsigned done = 0;
	int r;

	if (target_open(caller, a->pid, &t) < 0)
		return net_fail(NOT_YOURS, (int)a->pid);
	close(t.fd);
	r = rtnl_open(&nl);
	if (r < 0)
		return net_fail("cannot open rtnetlink: %s", strerror(-r));
	r = records_open(nl, &recs);
	if (r < 0)
		return net_fail("cannot open the records: %s", strerror(-r));
	for (size_t i = recs.n; i-- > 0;) {
		struct net_record rec = recs.rec[i];
		struct rtnl_link l;

		/* Only the caller's own records, and only for that netns: the
		 * record, never the caller, names what root deletes. */
		if ((caller->uid != 0 && rec.uid != caller->uid) || rec.netns_dev != t.dev ||
		    rec.netns_ino != t.ino)
			continue;
		if (rtnl_link_get(nl, rec.host, &l) >= 0 && (r = rtnl_link_del(nl, l.ifindex)) < 0)
			return net_fail("cannot delete %s: %s", rec.host, strerror(-r));
		records_remove(&recs, rec.host);
		done++;
	}
	if (!done)
		return net_fail("no interface of yours in the network namespace of process %d",
				(int)a->pid);
	return 0;
}

int cmd_ls(const struct net_caller *caller, const struct net_args *a)
{
	_cleanup_rtnl_ struct mnl_socket *nl = NULL;
	_cleanup_records_ struct net_records recs = { .dirfd = -1, .lockfd = -1 };
	bool first = true;
	int r;

	r = rtnl_open(&nl);
	if (r < 0)
		return net_fail("cannot open rtnetlink: %s", strerror(-r));
	r = records_open(nl, &recs);
	if (r < 0)
		return net_fail("cannot open the records: %s", strerror(-r));
	if (a->json)
		printf("[");
	for (size_t i = 0; i < recs.n; i++) {
		const struct net_record *rec = &recs.rec[i];
		struct rtnl_link l;
		bool exists;

		if (caller->uid != 0 && rec->uid != caller->uid)
			continue;
		exists = rtnl_link_get(nl, rec->host, &l) >= 0;
		if (a->json)
			printf("%s{\"host\":\"%s\",\"bridge\":\"%s\",\"uid\":%u,\"netns\":%" PRIu64
			       ",\"exists\":%s}",
			       first ? "" : ",", rec->host, rec->bridge, (unsigned)rec->uid,
			       rec->netns_ino, exists ? "true" : "false");
		else
			printf("%s %s %u %" PRIu64 " %s\n", rec->host, rec->bridge,
			       (unsigned)rec->uid, rec->netns_ino, exists ? "yes" : "no");
		first = false;
	}
	if (a->json)
		printf("]\n");
	return fflush(stdout) == 0 ? 0 : 1;
}

int cmd_quota(const struct net_caller *caller, const struct net_args *a)
{
	_cleanup_rtnl_ struct mnl_socket *nl = NULL;
	_cleanup_records_ struct net_records recs = { .dirfd = -1, .lockfd = -1 };
	struct usernet_rule rule = { .count = NET_COUNT_MAX };
	struct rtnl_link br;
	unsigned used;

	if (caller->uid != 0 && quota_rule(caller, a->bridge, &rule) != 0)
		return 1;
	if (open_within_quota(caller, a, &rule, &nl, &recs, &br, &used) != 0)
		return 1;
	printf("%s %u/%u\n", a->bridge, used, rule.count);
	return fflush(stdout) == 0 ? 0 : 1;
}
