# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Per-container connections in the integration tests, after lib.sh:
# containers made with unshare in cgroups of the test's own, attached to a
# burrowfs control socket with pconn-attach. (test-pconn.sh has its own
# copies of the first ones, with more options.)

PCONN_ATTACH=${PCONN_ATTACH:-$T_DIR/../../build/tests/integration/pconn-attach}

# pc_start REL: a container in REL's cgroups (root of a user namespace of its
# own, pid 1 of a pid namespace, /proc of its own in a private mount
# namespace). Sets PC_UP (unshare, whose SIGKILL ends the container) and
# PC_PID (the container's init, host pid).
pc_start() {
	local rel=$1 i
	bash -c 'for d in $1; do echo $$ >"$d/cgroup.procs" || exit 125; done; shift; exec "$@"' \
		pc "$(cg_procs_dirs "$rel" | tr '\n' ' ')" \
		unshare --kill-child --user --map-root-user --pid --fork --mount --mount-proc \
		--propagation private sleep 600 &
	PC_UP=$!
	defer "pc_stop $PC_UP"
	PC_PID=""
	for ((i = 0; i < 1000; i++)); do
		# unshare forks a short-lived helper first: wait for pid 1 running sleep.
		PC_PID=$(tr -d ' \n' <"/proc/$PC_UP/task/$PC_UP/children" 2>/dev/null)
		[ -n "$PC_PID" ] && [ "$(cat "/proc/$PC_PID/comm" 2>/dev/null)" == sleep ] &&
			awk '$1 == "NSpid:" { exit !(NF == 3 && $3 == 1) }' "/proc/$PC_PID/status" 2>/dev/null &&
			break
		PC_PID=""
		sleep 0.005
	done
	[ -n "$PC_PID" ] || die "a container in $rel did not start"
}

# pc_stop UP: the container ends with its unshare (--kill-child).
pc_stop() {
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# pc_stats SOCK: the counters of the daemon behind SOCK, "name value" lines.
pc_stats() {
	timeout 10 "$PCONN_ATTACH" stats "$1"
}

# pc_stat SOCK NAME: one counter.
pc_stat() {
	pc_stats "$1" | awk -v k="$2" '$1 == k { print $2 }'
}

# pc_requests SOCK: every request the daemon behind SOCK served on per-container connections.
pc_requests() {
	pc_stats "$1" | awk '$1 ~ /^requests_/ { n += $2 } END { print n + 0 }'
}
