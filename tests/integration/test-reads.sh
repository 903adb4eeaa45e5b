#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Reads at any offset and with any buffer size return exactly what a whole
# read returns (python pread/read in one open; dd bs=1, dd skip=, tail -c,
# head -c across opens for files that do not change); writes fail with
# EACCES; stat/readdir look the way tools expect. From a container and from
# the host.
source "$(dirname "$0")/../lib/lib.sh"
t_init
[ -n "$PYTHON" ] || skip "no python3"

bfs_start
MNT=$BFS_MNT

FILES="proc/cpuinfo proc/meminfo proc/stat proc/uptime proc/loadavg proc/diskstats proc/swaps
	proc/slabinfo proc/vmstat proc/pressure/cpu proc/pressure/io proc/pressure/memory
	sys/devices/system/cpu/online sys/devices/system/cpu/possible sys/devices/system/cpu/present"
# Files whose bytes do not change between two opens, for tools that open twice.
STABLE="proc/cpuinfo proc/swaps sys/devices/system/cpu/online sys/devices/system/cpu/possible"

cg_new r
cg_set r mem $((256 * 1024 * 1024)) || die "cannot set a memory limit"
cg_set r cpus 0 || die "no cpuset controller"

paths() {
	local f
	for f in $FILES; do echo "$MNT/$f"; done
}

# The same checks as a container reader and as the host reader.
# shellcheck disable=SC2016
TOOLS='
mnt=$1; shift
for f in "$@"; do
	p=$mnt/$f
	a=$(cat "$p" | md5sum)
	b=$(cat "$p" | md5sum)
	if [ "$a" != "$b" ]; then echo "SKIP tools $f changed between two reads"; continue; fi
	size=$(cat "$p" | wc -c)
	t=$((size > 100 ? 50 : size / 2))
	ck() { if [ "$2" == "$a" ]; then echo "PASS $1 $f"; else echo "FAIL $1 $f"; fi; }
	ck "dd-bs=1" "$(dd if="$p" bs=1 status=none | md5sum)"
	ck "dd-bs=7" "$(dd if="$p" bs=7 status=none | md5sum)"
	ck "dd-skip" "$( { head -c 21 "$p"; dd if="$p" bs=7 skip=3 status=none; } | md5sum)"
	ck "tail-c" "$( { head -c $((size - t)) "$p"; tail -c "$t" "$p"; } | md5sum)"
	ck "tail-c+" "$( { head -c 1 "$p"; tail -c +2 "$p"; } | md5sum)"
	ck "wc-c" "$(head -c "$size" "$p" | md5sum)"
done
'
VARYING_SHAPE='
mnt=$1; shift
for f in "$@"; do
	p=$mnt/$f
	# Figures move between opens (uptime has nothing else): only the keys.
	a=$(awk "{ gsub(/[0-9.]/, \"\", \$1); print \$1 }" "$p" | md5sum)
	b=$(dd if="$p" bs=1 status=none | awk "{ gsub(/[0-9.]/, \"\", \$1); print \$1 }" | md5sum)
	if [ "$a" == "$b" ]; then echo "PASS dd-bs=1-shape $f"; else echo "FAIL dd-bs=1-shape $f"; fi
done
'

# report LABEL OUTPUT: one assertion per PASS/FAIL line.
report() {
	local label=$1 line
	while IFS= read -r line; do
		case $line in
		PASS*) t_ok "$label: ${line#PASS }" ;;
		FAIL*) t_not_ok "$label: ${line#FAIL }" ;;
		SKIP*) note "$label: ${line#SKIP }" ;;
		*) [ -z "$line" ] || note "$label: $line" ;;
		esac
	done <<<"$2"
}

# shellcheck disable=SC2046
for who in container host; do
	if [ "$who" == container ]; then
		run() { ct_run "$MNT" r "$@"; }
	else
		run() { timeout "$CT_TIMEOUT" "$@"; }
	fi
	out=$(run "$PYTHON" "$T_DIR/reads.py" $(paths))
	check_num "$who: reads.py ran every check" "$(grep -c -E '^(PASS|FAIL)' <<<"$out")" == \
		$(($(paths | wc -l) * 3))
	report "$who" "$out"
	report "$who" "$(run bash -c "$TOOLS" tools "$MNT" $STABLE)"
	report "$who" "$(run bash -c "$VARYING_SHAPE" shape "$MNT" $FILES)"
done

# ---- getattr and readdir, as tools see them ---------------------------------
for f in $FILES; do
	st=$(timeout 10 stat -c '%a %F' "$MNT/$f")
	check_eq "stat $f: a regular file" "${st#* }" "regular file"
	check_num "stat $f: no write permission bits" $((8#${st%% *} & 8#222)) == 0
done
for d in proc proc/pressure sys/devices/system/cpu sys/devices/system/cpu/cpu0; do
	check_eq "stat $d: a directory" "$(timeout 10 stat -c %F "$MNT/$d")" "directory"
done
check_eq "readdir proc" "$(timeout 10 ls "$MNT/proc" | tr '\n' ' ')" \
	"cpuinfo diskstats loadavg meminfo pressure slabinfo stat swaps uptime vmstat "
check_eq "readdir proc/pressure" "$(timeout 10 ls "$MNT/proc/pressure" | tr '\n' ' ')" \
	"cpu io memory "
check_eq "readdir of the root has proc and sys" \
	"$(timeout 10 ls "$MNT" | grep -E '^(proc|sys)$' | tr '\n' ' ')" "proc sys "
check_cmd "find walks the whole tree" timeout 10 find "$MNT" -fprint /dev/null
err=$(timeout 10 stat "$MNT/proc/nonexistent" 2>&1)
check_cmd "a missing file is ENOENT" grep -q 'No such file' <<<"$err"
