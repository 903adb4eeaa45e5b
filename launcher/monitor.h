/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "state.h"

/*
 * The one process per container that boots it, holds its console, records
 * its state, answers the control socket, restarts it on reboot and cleans
 * up after poweroff. status_fd (may be -1) gets one byte once the
 * container runs (0) or failed to (1); with wait_ready, only after the
 * guest's READY=1. In the foreground the console is the caller's terminal.
 * c is the container's config, its ids resolved; the caller keeps it, and
 * it serves every boot of this monitor.
 */
struct container_config;
int monitor_run(struct ct *ct, const struct container_config *c, bool foreground, int status_fd,
		bool wait_ready);

/* Control requests, one SOCK_SEQPACKET message each. */
#define CTL_STOP    "stop"    /* "stop TIMEOUT_MS KILL(0|1)": answers "ok", closes when gone */
#define CTL_CONSOLE "console" /* answers "ok" with the pty master attached, or "busy" */

/* Connects to a container's control socket; -ECONNREFUSED when its monitor is gone. */
int ctl_connect(const struct ct *ct);
/* One request and its answer; a passed fd lands in *ret_fd when not NULL. */
int ctl_request(int fd, const char *req, char *answer, size_t size, int *ret_fd);
