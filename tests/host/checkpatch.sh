#!/usr/bin/env bash
# checkpatch.pl --strict over the module's sources. The script comes from the kernel source
# package of the host's Debian release, fetched once into the cache.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/vm/lib.sh"
dir="$SKL_CACHE/checkpatch"

if [ ! -x "$dir/scripts/checkpatch.pl" ]; then
	find_pkg() { apt-cache depends linux-source 2>/dev/null | awk '/Depends: linux-source-/ { print $2; exit }'; }
	pkg=$(find_pkg)
	if [ -z "$pkg" ]; then
		apt-get update -q >/dev/null
		pkg=$(find_pkg)
	fi
	[ -n "$pkg" ] || skl_die "no linux-source package known to apt"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -q "$pkg" >/dev/null)
	dpkg-deb --fsys-tarfile "$tmp"/"$pkg"_*.deb | tar -C "$tmp" -x --wildcards './usr/src/linux-source-*.tar.xz'
	mkdir -p "$tmp/src"
	tar -C "$tmp/src" --strip-components=1 -xJf "$tmp"/usr/src/linux-source-*.tar.xz \
		--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -a "$tmp/src/scripts" "$dir/"
fi

cd "$top"
# --no-tree: this is not a kernel tree. Files are checked whole (-f), as new code.
"$dir/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types --terse \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG \
	-f module/*.c module/*.h module/compat/*.h module/compat/probes/*.c include/*.h
