#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/fuzz/run-fuzzers.sh [-t SECONDS] [-j JOBS] [TARGET...]: builds the
# libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined) in
# build-fuzz/ (BUILD_DIR moves it) and fuzzes each TARGET (default: all) for
# SECONDS (default 20, FUZZ_SECONDS) from its seed corpus and regressions.
#
# Inputs libFuzzer finds interesting accumulate in BUILD_DIR/fuzz-corpus/,
# so later runs start where earlier ones stopped. A crash, sanitizer report,
# leak or broken invariant fails the run; its input is kept in
# BUILD_DIR/fuzz-artifacts/TARGET/ and the way to replay it is printed.
# Ends with "run-fuzzers: N passed, N failed". See README.md for long runs.
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 1
SECONDS_EACH=${FUZZ_SECONDS:-20}
JOBS=1
B=${BUILD_DIR:-build-fuzz}
ALL=(cgroup cpu cpuset io keyval mem proc)
TARGETS=()
while [ $# -gt 0 ]; do
	case $1 in
	-t)
		SECONDS_EACH=$2
		shift
		;;
	-j)
		JOBS=$2
		shift
		;;
	-h | --help)
		sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	-*)
		echo "run-fuzzers: unknown option $1" >&2
		exit 2
		;;
	*) TARGETS+=("$1") ;;
	esac
	shift
done
if [ ${#TARGETS[@]} -eq 0 ]; then
	TARGETS=("${ALL[@]}")
	# The launcher's config and the OCI hook's JSON, when they are in the tree.
	[ ! -e launcher/config.c ] || TARGETS+=(launcher-config)
	[ ! -e hooks/oci.c ] || TARGETS+=(oci-json)
	[ ! -e bindings/ocistate.c ] || TARGETS+=(ocistate)
fi

command -v clang >/dev/null || {
	echo "run-fuzzers: clang is not installed (apt-get install clang libclang-rt-14-dev)" >&2
	exit 1
}

echo "==== run-fuzzers: build ($B)"
if [ -e "$B/build.ninja" ]; then
	CC=clang meson setup --reconfigure -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false "$B" >"$B.setup.log" 2>&1
else
	CC=clang meson setup -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
		"$B" >"$B.setup.log" 2>&1
fi || {
	cat "$B.setup.log"
	echo "run-fuzzers: 0 passed, 1 failed"
	exit 1
}
ninja -C "$B" "${TARGETS[@]/#/tests/fuzz/fuzz-}" || {
	echo "run-fuzzers: 0 passed, 1 failed"
	exit 1
}

B=$(cd "$B" && pwd)
SRC=$(pwd)
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:print_summary=1}
# -jobs, even -jobs=1, runs the fuzzing in child processes: only when asked.
PAR=()
[ "$JOBS" -le 1 ] || PAR=(-jobs="$JOBS" -workers="$JOBS")
PASSED=0
FAILED=0
for t in "${TARGETS[@]}"; do
	corpus=$B/fuzz-corpus/$t
	artifacts=$B/fuzz-artifacts/$t
	log=$B/fuzz-$t.log
	mkdir -p "$corpus" "$artifacts"
	inputs=("$corpus")
	for d in "$SRC/tests/fuzz/corpus/$t" "$SRC/tests/fuzz/regressions/$t"; do
		[ -d "$d" ] && inputs+=("$d")
	done
	echo "==== fuzz-$t: ${SECONDS_EACH}s, ${JOBS} job(s)"
	# The first directory receives new inputs; the seeds stay untouched. -jobs
	# writes fuzz-N.log into the working directory: the build directory.
	(cd "$B" && timeout -k 10 $((SECONDS_EACH + 120)) "$B/tests/fuzz/fuzz-$t" \
		-max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
		"${PAR[@]}" -print_final_stats=1 -close_fd_mask=2 \
		-artifact_prefix="$artifacts/" "${inputs[@]}") >"$log" 2>&1
	rc=$?
	[ "$JOBS" -le 1 ] || cat "$B"/fuzz-[0-9]*.log >>"$log" 2>/dev/null
	grep -a -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' "$log" |
		sed 's/^/  /'
	if [ $rc -eq 0 ] && ! grep -a -q -e 'ERROR: ' -e 'runtime error:' "$log"; then
		PASSED=$((PASSED + 1))
		echo "ok fuzz-$t"
	else
		FAILED=$((FAILED + 1))
		echo "not ok fuzz-$t (exit $rc): last lines of $log:"
		tail -n 40 "$log" | sed 's/^/  | /'
		for a in "$artifacts"/*; do
			[ -e "$a" ] || continue
			echo "  replay: $B/tests/fuzz/fuzz-$t $a"
			echo "  once fixed, keep it: cp $a tests/fuzz/regressions/$t/"
		done
	fi
done
echo "run-fuzzers: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
