/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <unistd.h>

#include "conf.h"
#include "container.h"
#include "idmap.h"
#include "launcher.h"
#include "monitor.h"
#include "rootfs.h"
#include "state.h"

/*
 * What can be refused before a monitor exists is refused here, on the
 * caller's terminal. The config loaded here, its ids resolved, is the one
 * the monitor runs with (ret, to config_done() on success).
 */
static int precheck(const struct ct *ct, struct container_config *ret)
{
	struct ct_status st;
	int r;

	status_read(ct, &st);
	if (st.state != CT_STOPPED) {
		log_error("'%s' is already running (pid %d)", ct->name, (int)st.init);
		status_done(&st);
		return -EBUSY;
	}
	status_done(&st);
	r = config_load(ct->config, ret);
	if (r < 0)
		return r;
	r = idmap_resolve(ret);
	if (r >= 0)
		r = rootfs_check_init(ct->rootfs, ret->init);
	if (r < 0)
		config_done(ret);
	return r;
}

static int wait_status(int fd, int timeout_s)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char byte = 1;
	int k;

	do
		k = poll(&p, 1, timeout_s > 0 ? timeout_s * 1000 : -1);
	while (k < 0 && errno == EINTR);
	if (k == 0)
		return log_error_errno(-ETIMEDOUT, "the container did not report ready within %d s",
				       timeout_s);
	if (read(fd, &byte, 1) != 1 || byte != 0)
		return -EIO; /* the monitor said why on our stderr */
	return 0;
}

static int start_detached(struct ct *ct, const struct container_config *c, bool wait_ready,
			  int timeout_s)
{
	int p[2], r;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return log_error_errno(-errno, "pipe: %m");
	pid = fork();
	if (pid < 0)
		return log_error_errno(-errno, "fork: %m");
	if (pid == 0) {
		close(p[0]);
		setsid();
		_exit(monitor_run(ct, c, false, p[1], wait_ready) < 0 ? 1 : 0);
	}
	close(p[1]);
	r = wait_status(p[0], wait_ready ? timeout_s : 0);
	close(p[0]);
	return r;
}

int verb_start(int argc, char **argv)
{
	gboolean foreground = FALSE, wait_ready = FALSE;
	gint timeout = 120;
	g_auto(GStrv) rest = NULL;
	GOptionEntry entries[] = {
		{ "foreground", 'F', 0, G_OPTION_ARG_NONE, &foreground,
		  "Stay in the foreground with the console on this terminal", NULL },
		{ "wait", 'w', 0, G_OPTION_ARG_NONE, &wait_ready,
		  "Return once the guest's init reports it finished booting (READY=1)", NULL },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &timeout,
		  "With --wait, give up after S seconds", "S" },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, NULL },
		{ NULL },
	};
	struct container_config c;
	struct ct ct;
	int r;

	r = parse_verb_options(&argc, &argv, "start", "NAME", entries);
	if (r < 0)
		return r;
	r = verb_one_name("start", rest, NULL);
	if (r < 0)
		return r;
	r = ct_open(rest[0], &ct);
	if (r < 0)
		return r;
	r = precheck(&ct, &c);
	if (r >= 0) {
		r = foreground ? monitor_run(&ct, &c, true, -1, false)
			       : start_detached(&ct, &c, wait_ready, timeout);
		config_done(&c);
	}
	ct_done(&ct);
	return r < 0 ? r : 0;
}
