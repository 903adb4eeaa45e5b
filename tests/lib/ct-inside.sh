# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# ct-inside.sh MNT CMD...: the first process of a test container (pid 1 of a
# new pid namespace, with a fresh /proc in a private mount namespace). Binds
# MNT's files where a container runtime would, then becomes CMD.
set -eu

mnt=$1
shift

for f in cpuinfo meminfo stat uptime loadavg diskstats swaps slabinfo vmstat; do
	mount --bind "$mnt/proc/$f" "/proc/$f"
done
if [ -d /proc/pressure ]; then
	mount --bind "$mnt/proc/pressure" /proc/pressure
fi
mount --bind "$mnt/sys/devices/system/cpu" /sys/devices/system/cpu

exec "$@"
