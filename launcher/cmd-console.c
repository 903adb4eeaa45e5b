/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "console.h"
#include "launcher.h"
#include "monitor.h"
#include "state.h"

static int console(const struct ct *ct)
{
	char answer[64];
	int fd, master = -1, r;

	fd = ctl_connect(ct);
	if (fd < 0)
		return log_error_errno(fd, "'%s' is not running", ct->name);
	r = ctl_request(fd, CTL_CONSOLE, answer, sizeof(answer), &master);
	if (r >= 0 && (!g_str_equal(answer, "ok") || master < 0))
		r = log_error_errno(-EBUSY, "the console of '%s' is %s", ct->name,
				    g_str_equal(answer, "busy") ? "already in use" : "unavailable");
	if (r < 0) {
		close(fd);
		return r;
	}
	fprintf(stderr, "Connected to the console of '%s'. Type Ctrl-a q to detach.\r\n", ct->name);
	r = console_proxy(master, STDIN_FILENO, STDOUT_FILENO, true, fd);
	fprintf(stderr, "\r\n%s\r\n", r == 1 ? "Detached." : "The container stopped.");
	close(master);
	close(fd);
	return r < 0 ? r : 0;
}

int verb_console(int argc, char **argv)
{
	g_auto(GStrv) rest = NULL;
	GOptionEntry entries[] = {
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, NULL },
		{ NULL },
	};
	struct ct ct;
	int r;

	r = parse_verb_options(&argc, &argv, "console",
			       "NAME  (Ctrl-a q detaches; Ctrl-a Ctrl-a sends Ctrl-a)", entries);
	if (r < 0)
		return r;
	r = verb_one_name("console", rest, NULL);
	if (r < 0)
		return r;
	r = ct_open(rest[0], &ct);
	if (r < 0)
		return r;
	r = console(&ct);
	ct_done(&ct);
	return r;
}
