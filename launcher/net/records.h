/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "net-parse.h"

struct mnl_socket;

/* One allocation: a file per host end under BURROW_NET_RUNDIR. */
struct net_record {
	char host[NET_IFNAME_MAX + 1];
	char bridge[NET_IFNAME_MAX + 1];
	uid_t uid;
	uint64_t netns_dev, netns_ino;
};

#define NET_RECORDS_MAX 4096

struct net_records {
	int dirfd;  /* the records' directory, root's own */
	int lockfd; /* held with flock(LOCK_EX) until records_close() */
	struct net_record *rec;
	size_t n;
};

/*
 * Open the directory (made if missing, refused unless root owns it and alone
 * may write it), take the lock, read every record and drop those whose host
 * end is gone: a netns that dies takes its veth pair with it.
 */
int records_open(struct mnl_socket *nl, struct net_records *ret);
void records_close(struct net_records *r);

/* Interfaces uid holds on bridge. */
unsigned records_count(const struct net_records *r, uid_t uid, const char *bridge);

/* Written before the link exists, so a helper killed halfway never leaves a
 * veth that no record counts; a record whose link never came is stale. */
int records_write(struct net_records *r, const struct net_record *rec);
int records_remove(struct net_records *r, const char *host);
