/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "stop.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "launcher.h"
#include "monitor.h"

/* The monitor closes our connection only when it exits, after its cleanup. */
static int wait_gone(int fd, int timeout_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char buf[64];

	for (;;) {
		int k = poll(&p, 1, timeout_ms);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -ETIMEDOUT;
		if (read(fd, buf, sizeof(buf)) <= 0)
			return 0;
	}
}

int container_stop(const struct ct *ct, int timeout_s, bool force)
{
	struct ct_status st;
	char req[64], answer[64];
	int fd, r;

	status_read(ct, &st);
	if (st.state == CT_STOPPED) {
		status_done(&st);
		return 0;
	}
	fd = ctl_connect(ct);
	if (fd < 0) {
		status_done(&st);
		return log_error_errno(fd, "cannot reach the monitor of '%s': %m", ct->name);
	}
	snprintf(req, sizeof(req), "%s %d %d", CTL_STOP, timeout_s * 1000, force ? 1 : 0);
	r = ctl_request(fd, req, answer, sizeof(answer), NULL);
	if (r >= 0)
		r = wait_gone(fd, (timeout_s + 30) * 1000);
	close(fd);
	/* The socket closes as the monitor exits: let it finish. */
	for (struct backoff b = { 1, 10, 2000 };
	     r >= 0 && pid_alive(st.monitor, st.monitor_start) && backoff_sleep(&b);)
		;
	status_done(&st);
	if (r < 0)
		return log_error_errno(r, "stopping '%s' failed: %m", ct->name);
	return 0;
}
