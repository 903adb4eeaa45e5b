/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * burrow-lxc-hook and burrow-oci-hook: one program under two names. It serves
 * LXC when LXC's hook environment is present (or when called by the LXC name)
 * and reads OCI state from stdin otherwise, so either name works anywhere.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctlclient.h"
#include "hook-ctl.h"
#include "hook-mount.h"
#include "hook-util.h"
#include "hooks.h"
#include "macro.h"

int hook_apply(const struct hook_opts *o, int64_t pid, int (*open_rootfs)(void *userdata),
	       void *userdata, const char *what)
{
	_cleanup_close_ int rootfs_fd = -1;
	struct hook_sources src;
	struct hook_result res;
	char own_note[80] = "";
	int r, own = 0;

	/*
	 * While burrowfs restarts, its keeper holds the mount: the lookups below
	 * wait in the kernel for the next daemon, up to its --restart-timeout,
	 * after which they fail with ENOTCONN.
	 */
	r = hook_sources_open(o->burrowfs_dir, &src);
	if (o->require && r == -ENOMEDIUM) {
		hook_log("burrowfs is required (--require) but is not mounted at %s; %s does not "
			 "start",
			 o->burrowfs_dir, what);
		return HOOK_EXIT_REQUIRED;
	}
	if (o->require && r < 0) {
		hook_log_errno(r,
			       "burrowfs is required (--require) but %s is unusable; %s does "
			       "not start",
			       o->burrowfs_dir, what);
		return HOOK_EXIT_REQUIRED;
	}
	if (r == -ENOMEDIUM) {
		hook_log("burrowfs is not mounted at %s; %s starts without it", o->burrowfs_dir,
			 what);
		return HOOK_EXIT_OK;
	}
	if (r < 0) {
		hook_log_errno(r, "cannot use burrowfs at %s; %s starts without it",
			       o->burrowfs_dir, what);
		return HOOK_EXIT_OK;
	}

	if (o->per_container)
		own = hook_ctl_swap(o, pid, &src, what);
	rootfs_fd = open_rootfs(userdata);
	if (rootfs_fd < 0) {
		hook_sources_done(&src);
		return HOOK_EXIT_INVOCATION;
	}

	hook_bind_all(rootfs_fd, &src, o->verbose, &res);
	if (own > 0)
		snprintf(own_note, sizeof(own_note),
			 " (%d of them from the container's own connection)", own);
	hook_sources_done(&src);

	if (o->verbose || res.failed > 0)
		hook_log("%s: %u bound from %s%s, %u already bound, %u skipped, %u failed", what,
			 res.mounted, o->burrowfs_dir, own_note, res.already, res.skipped,
			 res.failed);
	if (o->require && (res.failed > 0 || res.mounted + res.already == 0)) {
		hook_log("burrowfs is required (--require) but %s of its files from %s could be "
			 "bound; %s does not start",
			 res.failed > 0 ? "not all" : "none", o->burrowfs_dir, what);
		return HOOK_EXIT_REQUIRED;
	}
	return HOOK_EXIT_OK;
}

static void help(void)
{
	printf("Usage: %s [--burrowfs DIR] [--require] [--shared] [--control-socket PATH]\n"
	       "       [--verbose] [ARGS...]\n"
	       "\n"
	       "Bind-mount the burrowfs /proc and /sys files into a container.\n"
	       "\n"
	       "As lxc.hook.mount it uses LXC_ROOTFS_MOUNT; otherwise it reads the OCI\n"
	       "state from stdin (createRuntime, prestart or createContainer stage).\n"
	       "Set the annotation " HOOK_ANNOTATION_DISABLE
	       "=true to skip a container,\n" HOOK_ANNOTATION_REQUIRE
	       "=true to require the files for it.\n"
	       "\n"
	       "  -b, --burrowfs DIR  where burrowfs is mounted (default: $BURROWFS_DIR,\n"
	       "                      else " BURROWFS_DEFAULT_MOUNT ")\n"
	       "  -r, --require       a container does not start without burrowfs's files\n"
	       "                      (default: it starts with the host's, and a line\n"
	       "                      says why)\n"
	       "  -s, --shared        bind the shared mount's /proc files, not the\n"
	       "                      container's own burrowfs connection\n"
	       "  -p, --per-container the container's own connection, which the kernel\n"
	       "                      caches, for the /proc files (the default; when\n"
	       "                      burrowfs refuses or cannot be asked: one line, and\n"
	       "                      the shared mount's)\n"
	       "  -c, --control-socket PATH\n"
	       "                      burrowfs's control socket (default\n"
	       "                      " BURROW_CTL_SOCKET ",\n"
	       "                      for the default DIR only)\n"
	       "  -v, --verbose       say what was bound and skipped\n"
	       "  -h, --help          show this help\n"
	       "      --version       show the version\n"
	       "\n"
	       "Extra arguments (LXC passes the container name, section and hook type)\n"
	       "are ignored. See burrowfs(8).\n",
	       program_invocation_short_name);
}

static bool lxc_mode(void)
{
	if (getenv("LXC_HOOK_TYPE") || getenv("LXC_ROOTFS_MOUNT"))
		return true;
	return strstr(program_invocation_short_name, "lxc") != NULL;
}

int main(int argc, char *argv[])
{
	enum { ARG_VERSION = 0x100 };
	static const struct option options[] = {
		{ "burrowfs", required_argument, NULL, 'b' },
		{ "require", no_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "per-container", no_argument, NULL, 'p' },
		{ "shared", no_argument, NULL, 's' },
		{ "control-socket", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{},
	};
	struct hook_opts o = {
		.burrowfs_dir = BURROWFS_DEFAULT_MOUNT,
		.per_container = true,
	};
	const char *env = getenv("BURROWFS_DIR");
	int c;

	if (env && *env)
		o.burrowfs_dir = env;

	while ((c = getopt_long(argc, argv, "b:rvhpsc:", options, NULL)) >= 0) {
		switch (c) {
		case 'b':
			o.burrowfs_dir = optarg;
			break;
		case 'r':
			o.require = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'p':
			o.per_container = true;
			break;
		case 's':
			o.per_container = false;
			break;
		case 'c':
			o.control_socket = optarg;
			break;
		case 'h':
			help();
			return HOOK_EXIT_OK;
		case ARG_VERSION:
			printf("%s %s\n", program_invocation_short_name, PACKAGE_VERSION);
			return HOOK_EXIT_OK;
		default:
			return HOOK_EXIT_INVOCATION;
		}
	}
	if (o.burrowfs_dir[0] != '/') {
		hook_log("burrowfs directory '%s' is not an absolute path", o.burrowfs_dir);
		return HOOK_EXIT_INVOCATION;
	}

	return lxc_mode() ? hook_run_lxc(&o) : hook_run_oci(&o);
}
