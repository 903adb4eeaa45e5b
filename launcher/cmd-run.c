/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups.h"
#include "conf.h"
#include "container.h"
#include "fileio.h"
#include "glib-macro.h"
#include "guest-stdio.h"
#include "idmap.h"
#include "launcher.h"

static bool has_limits(const struct container_config *c)
{
	return c->memory != LIMIT_NONE || c->memory_swap != LIMIT_NONE || c->cpus ||
	       c->cpu_quota_us != LIMIT_NONE || c->pids != LIMIT_NONE;
}

/* A bare command name is looked up in the rootfs's own PATH directories. */
static char *resolve_command(const char *rootfs, const char *cmd)
{
	static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
					    "/usr/bin",	       "/sbin",		 "/bin" };

	g_autofd int root = -1;

	if (cmd[0] == '/')
		return g_strdup(cmd);
	/*
	 * Looked up as the guest will, inside the rootfs: a PATH dir that is a
	 * symlink to a host dir must neither pick the command nor probe, as
	 * root, which host files exist.
	 */
	root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; root >= 0 && i < G_N_ELEMENTS(dirs); i++) {
		g_autofree char *p = g_build_filename(dirs[i], cmd, NULL);
		g_autofd int fd = open_in_root(root, p, O_PATH);

		if (fd >= 0)
			return g_steal_pointer(&p);
	}
	return g_build_filename("/usr/bin", cmd, NULL);
}

/*
 * The guest of this run. SIGTERM or SIGHUP (a service manager, timeout(1), a
 * closed terminal) ends it at once: its init, pid 1 of its namespace, would
 * ignore a signal it has no handler for. run() then removes its cgroups as
 * after any end; the default action would have left them behind.
 */
static volatile pid_t run_guest;

static void on_term(int sig)
{
	(void)sig;
	if (run_guest > 0)
		(void)kill(run_guest, SIGKILL);
}

static int run(const char *rootfs, struct container_config *c)
{
	g_autofree char *uuid = g_uuid_string_random();
	g_autofree char *name = g_strdup_printf("run-%d", (int)getpid());
	struct cg_set cg = { 0 };
	struct launch l = {
		.config = c,
		.rootfs = rootfs,
		.hostname = c->hostname ? c->hostname : "burrow",
		.uuid = uuid,
		.tty_mask = guest_tty_mask(),
	};
	int status = 0, master = -1, r;
	pid_t pid;

	/* Cgroups cost a few ms to make and remove: only when a limit asks for them. */
	if (has_limits(c)) {
		r = cg_discover(name, c, &cg);
		if (r >= 0)
			r = cg_create(&cg, c);
		if (r < 0)
			return r;
		l.cg = &cg;
	}
	r = launch_prepare(&l);
	if (r >= 0)
		r = launch_spawn(&l, &pid, &master);
	if (r >= 0) {
		struct sigaction sa = { .sa_handler = on_term };

		run_guest = pid;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		if (master >= 0) {
			g_autofd int pidfd = guest_pidfd(pid);

			guest_pty_relay(master, l.tty_mask, pidfd);
			/* Hangs up the pty: a command still running gets SIGHUP. */
			close(master);
		}
		r = wait_pid(pid, &status);
	}
	launch_done(&l);
	if (l.cg)
		cg_destroy(&cg, c);
	cg_set_done(&cg);
	if (r < 0)
		return l.exec_failed ? 127 : r;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int verb_run(int argc, char **argv)
{
	g_autofree char *rootfs = NULL;
	g_auto(GStrv) settings = NULL, rest = NULL;
	GOptionEntry entries[] = {
		{ "rootfs", 'r', 0, G_OPTION_ARG_FILENAME, &rootfs,
		  "The container's root directory", "DIR" },
		{ "config", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &settings,
		  "Set a config key (see default.conf)", "KEY=VALUE" },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, NULL },
		{ NULL },
	};
	struct container_config c;
	int r;

	r = parse_verb_options(&argc, &argv, "run", "--rootfs DIR -- CMD ARGS...", entries);
	if (r < 0)
		return r;
	if (!rootfs || !rest || !rest[0]) {
		log_error("run: give --rootfs DIR and a command after '--'");
		return -EINVAL;
	}
	if (!g_file_test(rootfs, G_FILE_TEST_IS_DIR))
		return log_error_errno(-ENOENT, "run: the rootfs %s is not a directory", rootfs);
	r = config_load(NULL, &c);
	if (r < 0)
		return r;
	r = config_apply_args(&c, settings);
	if (r >= 0)
		r = idmap_resolve(&c);
	if (r >= 0) {
		g_autofree char *abs = g_canonicalize_filename(rootfs, NULL);

		g_free(c.init);
		c.init = resolve_command(abs, rest[0]);
		g_strfreev(c.command);
		c.command = g_strdupv(rest + 1);
		r = run(abs, &c);
	}
	config_done(&c);
	return r;
}
