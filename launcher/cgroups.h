/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "conf.h"

/* One hierarchy and the container's cgroup in it. */
struct cg_hier {
	char *dirname;	   /* its directory under /sys/fs/cgroup: "memory", "systemd", "unified" */
	char *controllers; /* "memory", "name=systemd"; "" for cgroup2 */
	char *mount;	   /* host mount point */
	char *parent;	   /* host path of the cgroup the container's is created in */
	char *path;	   /* host path of the container's cgroup */
	bool v2;
	bool created;
};

struct cg_set {
	struct cg_hier *h;
	size_t n;
	bool v1_mounted; /* any v1 hierarchy on the host, whether it is used or not */
};

/*
 * Finds the hierarchies and where the container's cgroups go: under
 * burrow/ for root, under the caller's delegated cgroup otherwise (what
 * pam_cgfs creates on v1 and hybrid hosts, a Delegate=yes unit on v2). When
 * a hierarchy the container needs is not delegated, logs what to do.
 */
int cg_discover(const char *name, const struct container_config *c, struct cg_set *ret);
/* A host with cgroup v2 only: no v1 hierarchy at all (named ones included). */
bool cg_pure_v2(const struct cg_set *s);
void cg_set_done(struct cg_set *s);

/* Creates the cgroups and applies the limits; removes what it made on failure. */
int cg_create(struct cg_set *s, const struct container_config *c);
int cg_attach(const struct cg_set *s, pid_t pid);
/* Hands the cgroups to the container's root so its init can manage its own subtree. */
int cg_delegate(const struct cg_set *s, const struct container_config *c);
/* Removes the container's cgroups and everything its guest created below them. */
int cg_destroy(struct cg_set *s, const struct container_config *c);
/* "memory=/sys/fs/cgroup/memory/burrow/c1", ... for the state file. */
char **cg_strv(const struct cg_set *s);
