/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>

#include "attach.h"
#include "conf.h"
#include "launcher.h"
#include "state.h"

int verb_attach(int argc, char **argv)
{
	g_auto(GStrv) rest = NULL;
	GOptionEntry entries[] = {
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, NULL },
		{ NULL },
	};
	char *shell[] = { "/bin/bash", "-l", NULL };
	struct container_config c;
	struct ct_status st;
	struct ct ct;
	int r;

	r = parse_verb_options(&argc, &argv, "attach", "NAME [-- CMD ARGS...]", entries);
	if (r < 0)
		return r;
	if (!rest || !rest[0]) {
		log_error("attach: give a container NAME");
		return -EINVAL;
	}
	r = ct_open(rest[0], &ct);
	if (r < 0)
		return r;
	status_read(&ct, &st);
	if (st.state == CT_STOPPED || !pid_alive(st.init, st.init_start))
		r = log_error_errno(-ESRCH, "'%s' is not running", ct.name);
	if (r >= 0)
		r = config_load(ct.config, &c);
	if (r >= 0) {
		r = attach_run(&st, &c, rest[1] ? rest + 1 : shell);
		config_done(&c);
	}
	status_done(&st);
	ct_done(&ct);
	return r;
}
