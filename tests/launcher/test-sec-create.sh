#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 10, finding 3: `burrow create` must never write through a symlink
# planted in an image. Hostile rootfs trees (and tarballs of them) point etc,
# or etc/hostname, at directories and files this test made on the host, by
# absolute paths and by "../" chains. Whatever create answers, the host's
# victims stay as they were: no new file, none owned by the container's ids.
# The same as an ordinary user, whose own files are the victims then.

. "$(dirname "$0")/lib.sh"

l_init
l_root_home
B=$BURROW
V=$T_TMP/victim
VF=$T_TMP/victim-file
mkdir -p "$V" "$T_TMP/src"
chmod 755 "$V"
echo original >"$VF"
UP=../../../../../../../../../..

# victims_intact DESC: the victim directory is empty, the victim file unchanged,
# and nothing below $T_TMP outside the containers' home is owned by 100000.
victims_intact() {
	check_eq "$1: victim dir stays empty" "$(ls -A "$V")" ""
	check_eq "$1: victim file unchanged" "$(cat "$VF"):$(stat -c %u "$VF")" "original:0"
	check_eq "$1: no host file of the container's root" \
		"$(find "$T_TMP" -path "$BURROW_HOME" -prune -o -uid 100000 -print | head -3)" ""
	# Each case starts from clean victims, so one failure is not counted again.
	find "$V" -mindepth 1 -delete
	echo original >"$VF"
	chown 0:0 "$VF"
}

# hostile NAME: a small rootfs tree with a planted link, by kind.
hostile() {
	local d=$T_TMP/src/$1
	mkdir -p "$d/usr/bin" "$d/tmp"
	case $1 in
	etc-abs) ln -s "$V" "$d/etc" ;;
	etc-rel) ln -s "$UP$V" "$d/etc" ;;
	hostname-abs) mkdir "$d/etc" && ln -s "$VF" "$d/etc/hostname" ;;
	hostname-rel) mkdir "$d/etc" && ln -s "$UP$VF" "$d/etc/hostname" ;;
	esac
	echo "$d"
}

# create_one DESC ARGS...: create, then say where the hostname went; destroy.
create_one() {
	local desc=$1 ct=s$$ out rc
	shift
	out=$("$B" create "$ct" "$@" 2>&1)
	rc=$?
	note "$desc: create exited $rc${out:+: $out}"
	victims_intact "$desc"
	if [ "$rc" -eq 0 ]; then
		check_eq "$desc: rootfs top owned by the container's root" \
			"$(stat -c %u:%g "$BURROW_HOME/$ct/rootfs")" "100000:100000"
		check_cmd "$desc: destroy" "$B" destroy "$ct"
		victims_intact "$desc, destroyed"
	fi
	rm -rf --one-file-system "${BURROW_HOME:?}/$ct"
}

for kind in etc-abs etc-rel hostname-abs hostname-rel; do
	src=$(hostile "$kind")
	create_one "--from-dir, $kind" --from-dir "$src"
	tar --numeric-owner -cf "$T_TMP/$kind.tar" -C "$src" .
	create_one "--from-tar, $kind" --from-tar "$T_TMP/$kind.tar"
done

# An archive that unpacks a file below its own symlink to the host.
"$PYTHON" - "$T_TMP/through.tar" "$V" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for name, kind in (("./", tarfile.DIRTYPE), ("./etc", tarfile.SYMTYPE)):
        i = tarfile.TarInfo(name); i.type = kind; i.mode = 0o755
        if kind == tarfile.SYMTYPE: i.linkname = sys.argv[2]
        t.addfile(i)
    i = tarfile.TarInfo("./etc/sudoers"); i.size = 5; i.mode = 0o644
    t.addfile(i, io.BytesIO(b"pwnd\n"))
PY
create_one "--from-tar, a file below a link to the host" --from-tar "$T_TMP/through.tar"

# Destroy removes the container's tree, never what a link in it points at.
src=$T_TMP/src/keep
mkdir -p "$src/etc" "$T_TMP/keep"
echo keep >"$T_TMP/keep/file"
ln -s "$T_TMP/keep" "$src/keep-link"
check_cmd "create with a link to a host dir" "$B" create k$$ --from-dir "$src"
check_cmd "destroy it" "$B" destroy k$$
check_eq "the linked host dir is untouched" "$(cat "$T_TMP/keep/file")" keep

# An ordinary user: the helper once mapped the caller too, so a planted link
# reached the user's own files.
U=burrowsc$$
l_user "$U"
l_subids "$U" 500000
UH=/home/$U
as "$U" "mkdir -p ~/victim ~/evil/usr ~/evil2/etc && ln -s ~/victim ~/evil/etc && \
	echo mine > ~/victim-file && ln -s ~/victim-file ~/evil2/etc/hostname"
out=$(as "$U" "$B create u1 --from-dir ~/evil" 2>&1)
note "as $U, etc -> ~/victim: create exited $?${out:+: $out}"
check_eq "as $U: ~/victim stays empty" "$(ls -A "$UH/victim")" ""
out=$(as "$U" "$B create u2 --from-dir ~/evil2" 2>&1)
note "as $U, etc/hostname -> ~/victim-file: create exited $?${out:+: $out}"
check_eq "as $U: ~/victim-file unchanged" "$(cat "$UH/victim-file")" mine
check_eq "as $U: no file of the container's root in the home" \
	"$(find "$UH" -path "$UH/.local" -prune -o -uid 500000 -print | head -3)" ""
for ct in u1 u2; do
	[ -d "$UH/.local/share/burrow/$ct" ] || continue
	check_cmd "as $U: destroy $ct" as "$U" "$B destroy $ct"
done
check_eq "as $U: destroy leaves nothing" "$(ls -A "$UH/.local/share/burrow" 2>/dev/null)" ""

# And a plain tree still gets its /etc/hostname, as the container's root.
mkdir -p "$T_TMP/src/plain/etc"
check_cmd "create a plain tree" "$B" create p$$ --from-dir "$T_TMP/src/plain"
check_eq "its etc/hostname" "$(cat "$BURROW_HOME/p$$/rootfs/etc/hostname"):$(stat -c %u:%g \
	"$BURROW_HOME/p$$/rootfs/etc/hostname")" "p$$:100000:100000"
check_cmd "destroy it" "$B" destroy p$$

# The host programs create and destroy run on a hostile tree (tar packing and
# unpacking it, find and rm emptying it) inherit none of the caller's fds: an
# fd 7 open on a host directory would hand it to whatever the image makes them
# run. Wrappers first in PATH note what each one got as fd 7, then run the tool.
W=$T_TMP/wrap
mkdir -p "$W" "$T_TMP/fd-secret" "$T_TMP/fdlog"
# Not sticky: protected_regular would refuse the container's root an O_CREAT
# on root's log there.
chmod 777 "$T_TMP/fdlog"
for tool in tar find rm; do
	real=$(command -v "$tool") || die "no $tool"
	printf '#!/bin/sh\necho "%s: $(readlink /proc/$$/fd/7)" >>%s/log\nexec %s "$@"\n' \
		"$tool" "$T_TMP/fdlog" "$real" >"$W/$tool"
	chmod 755 "$W/$tool"
done
mkdir -p "$T_TMP/src/fds/etc"
tar --numeric-owner -cf "$T_TMP/fds.tar" -C "$T_TMP/src/fds" .
for from in --from-dir:"$T_TMP/src/fds" --from-tar:"$T_TMP/fds.tar"; do
	: >"$T_TMP/fdlog/log"
	chmod 666 "$T_TMP/fdlog/log"
	check_cmd "create ${from%%:*} with fd 7 open" \
		env PATH="$W:$PATH" "$B" create f$$ "${from%%:*}" "${from#*:}" 7<"$T_TMP/fd-secret"
	check_cmd "destroy with fd 7 open" env PATH="$W:$PATH" "$B" destroy f$$ 7<"$T_TMP/fd-secret"
	log=$(sort -u "$T_TMP/fdlog/log")
	note "${from%%:*}: the wrapped tools saw fd 7 as: $(echo "$log" | tr '\n' ' ')"
	check_eq "${from%%:*}: tar, find and rm ran through the wrappers" \
		"$(echo "$log" | cut -d: -f1 | sort -u | tr '\n' ' ')" "find rm tar "
	check_eq "${from%%:*}: none of them got the caller's fd 7" \
		"$(echo "$log" | grep -c fd-secret)" 0
	rm -rf --one-file-system "${BURROW_HOME:?}/f$$"
done
