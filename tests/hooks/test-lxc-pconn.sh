#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-lxc.sh with the LXC hook's defaults and a control socket (issue 14):
# an unprivileged LXC 5 container whose /proc files come from its own
# burrowfs connection.
LXC_PER_CONTAINER=1 exec bash "$(dirname "$0")/test-lxc.sh"
