/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "glib-macro.h"
#include "launcher.h"
#include "net.h"

/*
 * The setuid burrow-net does the privileged part and all the checking (the
 * caller's quota, that the caller owns the netns); the launcher only asks
 * it, as the caller, with the container's init pid.
 */

int net_veth_quota(const char *bridge, char *why, size_t why_size)
{
	char *argv[] = { (char *)net_helper_path(), "quota", "--bridge", (char *)bridge, NULL };
	char out[256];
	int st;

	if (access(argv[0], X_OK) < 0) {
		snprintf(why, why_size, "%s is not installed", argv[0]);
		return -ENOENT;
	}
	st = net_run_tool(argv, out, sizeof(out), true);
	if (st == 0)
		return 0;
	/* Its one line on stderr says why not. */
	out[strcspn(out, "\n")] = '\0';
	snprintf(why, why_size, "%s",
		 g_str_has_prefix(out, "burrow-net: ") ? out + strlen("burrow-net: ") : out);
	return st < 0 ? st : -EPERM;
}

int net_veth_add(struct net_attach *n, const struct container_config *c, pid_t pid)
{
	g_autofree char *pid_s = g_strdup_printf("%d", (int)pid);
	char *argv[9] = { n->tool, "add", "--pid", pid_s, "--bridge", c->net_bridge, NULL };
	char out[64];
	int st;

	if (c->net_hwaddr) {
		argv[6] = "--hwaddr";
		argv[7] = c->net_hwaddr;
	}
	st = net_run_tool(argv, out, sizeof(out), false);
	if (st < 0)
		return log_error_errno(st, "cannot run %s: %m", n->tool);
	if (st != 0)
		return log_error_errno(-EPERM, "network=veth: %s add failed (exit %d)", n->tool,
				       st);
	out[strcspn(out, "\n")] = '\0';
	g_strlcpy(n->host_if, out, sizeof(n->host_if));
	log_debug("veth %s on %s for the container", n->host_if, c->net_bridge);
	return 0;
}
