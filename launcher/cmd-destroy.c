/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <unistd.h>

#include "conf.h"
#include "idmap.h"
#include "launcher.h"
#include "rootfs.h"
#include "state.h"
#include "stop.h"

int verb_destroy(int argc, char **argv)
{
	gboolean force = FALSE;
	g_auto(GStrv) rest = NULL;
	GOptionEntry entries[] = {
		{ "force", 'f', 0, G_OPTION_ARG_NONE, &force, "Kill the container first if it runs",
		  NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, NULL },
		{ NULL },
	};
	struct container_config c;
	struct ct_status st;
	struct ct ct;
	int r;

	r = parse_verb_options(&argc, &argv, "destroy", "NAME", entries);
	if (r < 0)
		return r;
	r = verb_one_name("destroy", rest, NULL);
	if (r < 0)
		return r;
	r = ct_open(rest[0], &ct);
	if (r < 0)
		return r;
	status_read(&ct, &st);
	if (st.state != CT_STOPPED && !force)
		r = log_error_errno(-EBUSY, "'%s' is running: stop it first, or use --force",
				    ct.name);
	else if (st.state != CT_STOPPED)
		r = container_stop(&ct, 0, true);
	status_done(&st);
	/* A broken config must not keep a container from going: only the id maps matter here. */
	if (r >= 0 && config_load(ct.config, &c) < 0) {
		log_error("destroying '%s' with the default id maps", ct.name);
		r = config_load(NULL, &c);
	}
	if (r >= 0) {
		r = idmap_resolve(&c);
		if (r >= 0)
			r = rootfs_remove(ct.dir, ct.rootfs, &c);
		config_done(&c);
	}
	ct_done(&ct);
	return r < 0 ? r : 0;
}
