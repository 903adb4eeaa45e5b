# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Restarts under a real container (tests/launcher/test-restart-ct.sh, a burrow
# container; tests/hooks/test-restart-runc.sh, runc with the OCI hook), after
# lib.sh and a bfs_start whose mount the container's files are bound from.
#
# The reader runs inside the container, whose image has perl but neither
# python3 nor Time::HiRes: a perl loop, clock_gettime by syscall(2). It logs
#   TICK ns n | ERR ns what errno text | WRONG ns what value |
#   SLOW ns ms what (a read over 2 ms) | COUNT n | DONE
# The test defines
#   rl_fresh:        prints MemTotal of /proc/meminfo read by a new process in
#                    the container;
#   rl_stop_reader:  makes the reader's STOPFILE exist inside the container.

# RL_READER, run as: perl -e "$RL_READER" SYSNO WANT_KB STOPFILE FILE...
# shellcheck disable=SC2016
RL_READER='
use strict;
use warnings;
my ($sys, $want, $stop, @files) = @ARGV;
$| = 1;
sub now {
	my $ts = "\0" x 16;
	syscall($sys, 0, $ts) == 0 or die "clock_gettime: $!";
	my ($s, $ns) = unpack("q q", $ts);
	return $s * 1000000000 + $ns;
}
sub slurp {
	my ($fh) = @_;
	my ($buf, $r) = ("");
	while ($r = sysread($fh, $buf, 65536, length $buf)) { }
	return defined $r ? $buf : undef;
}
sub memtotal { return $_[0] =~ /^MemTotal:\s+(\d+)/m ? $1 : "none"; }
sub timed {
	my ($what, $fn) = @_;
	my $t0 = now();
	my $res = $fn->();
	my ($en, $es) = ($! + 0, "$!");
	my $ms = (now() - $t0) / 1e6;
	print "ERR $t0 $what $en $es\n" unless defined $res;
	printf "SLOW %d %.1f %s\n", $t0, $ms, $what if $ms > 2;
	return $res;
}
sub check {
	my ($what, $text) = @_;
	return unless defined $text;
	my $m = memtotal($text);
	print "WRONG " . now() . " $what $m\n" if $m ne $want;
}
# One handle held across every restart: read again from offset 0 each time.
open(my $held, "<", "/proc/meminfo") or die "open /proc/meminfo: $!";
my ($n, $tick) = (0, now());
until (-e $stop) {
	for my $f ("/proc/meminfo", @files) {
		my $t = timed($f, sub {
			open(my $fh, "<", $f) or return undef;
			my $x = slurp($fh);
			close($fh);
			return $x;
		});
		check($f, $t) if $f eq "/proc/meminfo";
	}
	check("held", timed("held", sub { sysseek($held, 0, 0) or return undef; slurp($held) }));
	$n++;
	if (now() - $tick > 500000000) {
		$tick = now();
		print "TICK $tick $n\n";
	}
	select(undef, undef, undef, 0.001);
}
print "COUNT $n\nDONE\n";
'

# rl_sysno: clock_gettime's syscall number on this machine.
rl_sysno() {
	case $(uname -m) in
	x86_64) echo 228 ;;
	aarch64 | riscv64) echo 113 ;;
	i?86) echo 265 ;;
	*) return 1 ;;
	esac
}

# The files a reader reads besides meminfo.
RL_FILES="/proc/cpuinfo /proc/stat /proc/uptime /proc/loadavg /proc/diskstats /proc/swaps
/sys/devices/system/cpu/online"

# rl_ticks_after NS: the reader (log RL_LOG) made progress after NS. The
# TICK lines of test-restart-helper.py's reader have the same shape, so the
# restart tests that use it wait with these too.
rl_ticks_after() {
	awk -v t="$1" '$1 == "TICK" && $2 > t { f = 1 } END { exit !f }' "$RL_LOG"
}

# rl_wait_ticks NS: wait (up to 20 s) for progress after NS while the
# reader (pid RL_PID) lives.
rl_wait_ticks() {
	local i
	for ((i = 0; i < 200; i++)); do
		rl_ticks_after "$1" && return 0
		kill -0 "$RL_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# rl_phase_check NAME T0 WANT_KB: after the restart that began at T0 the
# reader goes on, nothing it read failed or was wrong since, a new process
# reads the limit; notes the longest read across the restart.
rl_phase_check() {
	local name=$1 t0=$2 want=$3 t1 bad gap
	t1=$(date +%s%N)
	check_cmd "$name: the container's reader goes on" rl_wait_ticks "$t1"
	bad=$(awk -v t="$t0" '($1 == "ERR" || $1 == "WRONG") && $2 >= t' "$RL_LOG" | head -5)
	check_eq "$name: no read failed or saw another value" "$bad" ""
	check_eq "$name: a new process in the container reads MemTotal = the limit" \
		"$(rl_fresh)" "$want"
	# Reads that began up to 100 ms before the kill may have been in flight.
	gap=$(awk -v t="$((t0 - 100000000))" -v e="$t1" '$1 == "SLOW" && $2 >= t && $2 <= e &&
		$3 > m { m = $3 } END { printf "%.1f", m + 0 }' "$RL_LOG")
	note "$name: longest read across the restart: $gap ms"
	RL_GAPS+="$name=$gap ms; "
}

# rl_restarts MNT WANT_KB: SIGTERM and start, kill -9 and start, an upgrade
# takeover, of the burrowfs serving MNT (BFS_PID), each checked.
rl_restarts() {
	local mnt=$1 want=$2 t0 t1 old st
	RL_GAPS=""

	t0=$(date +%s%N)
	old=$BFS_PID
	kill -TERM "$old"
	wait "$old"
	st=$?
	t1=$(date +%s%N)
	bfs_forget "$old"
	check_eq "SIGTERM: burrowfs exits with 0" "$st" 0
	# A figure, not an assertion: tests/bench/bench-sigterm.sh measures it.
	note "SIGTERM to exit: $(((t1 - t0) / 1000000)) ms"
	check_cmd "SIGTERM: the host mountpoint stays mounted (the keeper holds it)" \
		t_mounted "$mnt"
	bfs_start_on "$mnt" "$BURROWFS" "${RL_BFS_OPTS[@]}"
	check_cmd "after SIGTERM: the new burrowfs took the connection over" \
		grep -q "Took over" "$BFS_LOG"
	rl_phase_check "SIGTERM and start" "$t0" "$want"

	t0=$(date +%s%N)
	old=$BFS_PID
	kill -KILL "$old"
	wait "$old" 2>/dev/null
	bfs_forget "$old"
	bfs_start_on "$mnt" "$BURROWFS" "${RL_BFS_OPTS[@]}"
	check_cmd "after kill -9: the new burrowfs took the connection over" \
		grep -q "Took over" "$BFS_LOG"
	rl_phase_check "kill -9 and start" "$t0" "$want"

	cp "$BURROWFS" "$T_TMP/burrowfs-upgrade"
	t0=$(date +%s%N)
	old=$BFS_PID
	bfs_start_on "$mnt" "$T_TMP/burrowfs-upgrade" "${RL_BFS_OPTS[@]}"
	wait "$old"
	check_num "upgrade: the old burrowfs handed over and exited with 0" $? == 0
	bfs_forget "$old"
	check_cmd "upgrade: the new binary serves" \
		bash -c "readlink /proc/$BFS_PID/exe | grep -q burrowfs-upgrade"
	rl_phase_check "upgrade (takeover)" "$t0" "$want"
}

# rl_finish: stop the reader, then check its whole log.
rl_finish() {
	local i
	rl_stop_reader
	for ((i = 0; i < 100; i++)); do
		kill -0 "$RL_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$RL_PID"
	check_num "the container's reader ended cleanly" $? == 0
	check_cmd "the reader finished" grep -q "^DONE" "$RL_LOG"
	check_eq "not one read failed or saw another value across all restarts" \
		"$(grep -E '^(ERR|WRONG)' "$RL_LOG" | head -5)" ""
	check_num "the reader read many times" \
		"$(awk '$1 == "COUNT" { print $2 }' "$RL_LOG")" ">" 100
	note "the longest read across each restart: $RL_GAPS"
}

# ---- containers started in the gap between two daemons ---------------------------------
#
# rl_gap KIND MNT: ends the burrowfs serving MNT (BFS_PID) the KIND way and
# starts the next one, with the test's rl_gap_start (which starts a container
# in the background and sets RL_GAP_PID) called between:
#   TERM     SIGTERM; the container starts; the next burrowfs 1 s later;
#   KILL     kill -9; likewise;
#   upgrade  the container starts, and at once a copy of the binary takes
#            over from the serving daemon.
# Waits for the container; RL_GAP_RC is its exit status, RL_GAP_WAITED
# whether it was still waiting when the next burrowfs started.
rl_gap() {
	local kind=$1 mnt=$2 old=$BFS_PID
	RL_GAP_WAITED=no
	case $kind in
	TERM | KILL)
		kill "-$kind" "$old"
		wait "$old" 2>/dev/null
		bfs_forget "$old"
		rl_gap_start
		sleep 1
		! kill -0 "$RL_GAP_PID" 2>/dev/null || RL_GAP_WAITED=yes
		bfs_start_on "$mnt" "$BURROWFS" "${RL_BFS_OPTS[@]}"
		;;
	upgrade)
		cp "$BURROWFS" "$T_TMP/burrowfs-upgrade"
		rl_gap_start
		bfs_start_on "$mnt" "$T_TMP/burrowfs-upgrade" "${RL_BFS_OPTS[@]}"
		wait "$old"
		bfs_forget "$old"
		;;
	*) die "rl_gap: unknown kind $kind" ;;
	esac
	wait "$RL_GAP_PID"
	RL_GAP_RC=$?
}

# rl_gap_kinds MNT WANT HOST LABEL OUT LABEL2 OUT2: rl_gap of every kind,
# where rl_gap_start starts two containers, RL_GAP_PID writing the guest's
# MemTotal to OUT (its stderr to OUT.err) and RL_GAP_PID2 to OUT2. Each must
# exit with 0 and see WANT (kB), not the host's HOST.
rl_gap_kinds() {
	local mnt=$1 want=$2 host=$3 l1=$4 o1=$5 l2=$6 o2=$7 kind rc2
	for kind in TERM KILL upgrade; do
		rl_gap "$kind" "$mnt"
		wait "$RL_GAP_PID2"
		rc2=$?
		note "$kind: the container was still waiting when the next burrowfs started: $RL_GAP_WAITED"
		check_eq "$kind gap, $l1: exits with 0 ($(tail -c 300 "$o1.err"))" "$RL_GAP_RC" 0
		check_eq "$kind gap, $l1: MemTotal in the guest is the limit (host: $host)" \
			"$(cat "$o1")" "$want"
		check_eq "$kind gap, $l2: exits with 0 ($(tail -c 300 "$o2.err"))" "$rc2" 0
		check_eq "$kind gap, $l2: MemTotal in the guest is the limit (host: $host)" \
			"$(cat "$o2")" "$want"
	done
}
