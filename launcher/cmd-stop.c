/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>

#include "launcher.h"
#include "state.h"
#include "stop.h"

int verb_stop(int argc, char **argv)
{
	gint timeout = 10;
	gboolean kill_now = FALSE;
	g_auto(GStrv) rest = NULL;
	GOptionEntry entries[] = {
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &timeout,
		  "Seconds to wait for a clean poweroff before SIGKILL (default 10)", "S" },
		{ "kill", 'k', 0, G_OPTION_ARG_NONE, &kill_now, "SIGKILL at once", NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, NULL },
		{ NULL },
	};
	struct ct ct;
	int r;

	r = parse_verb_options(&argc, &argv, "stop", "NAME", entries);
	if (r < 0)
		return r;
	/* A negative --timeout gets the same line as a missing NAME. */
	r = verb_one_name("stop", timeout >= 0 ? rest : NULL, " (and a --timeout of 0 or more)");
	if (r < 0)
		return r;
	r = ct_open(rest[0], &ct);
	if (r < 0)
		return r;
	r = container_stop(&ct, timeout, kill_now);
	ct_done(&ct);
	return r < 0 ? r : 0;
}
