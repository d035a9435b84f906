#!/usr/bin/env bash
# Build the Debian packages (sklookup-dkms, sklookupctl) from the working tree, in the
# package root of kernel $1 (default 5.10, Debian 11): sklookupctl is linked there against
# the oldest glibc and libmnl of the matrix, so the one build installs on every release
# (dpkg refuses it on none: its dependencies are versioned by the oldest). The packages go
# to $2 (default build/deb, build/deb-arm64 for an arm64 kernel), and their paths are
# printed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

kernel=${1:-5.10}
out=${2:-$top/$(skl_deb_dir_of "$kernel")}
version=$(cat "$top/VERSION")
# The package version is the changelog's (a native package): it must be the tree's too.
changelog_version=$(sed -n '1s/^sklookup (\([^)]*\)).*/\1/p' "$top/debian/changelog")
[ "$changelog_version" = "$version" ] ||
	skl_die "debian/changelog is at $changelog_version, VERSION at $version: add a changelog entry"

"$here/mkroot.sh" "$kernel" pkg
root="$SKL_CACHE/roots/$kernel-pkg"
build=/tmp/sklookup-deb
rm -rf "${root:?}$build"
mkdir -p "$root$build/sklookup-$version"
# What git would commit, as install.sh copies it: no build products of the host.
git -C "$top" ls-files -z --cached --others --exclude-standard |
	(cd "$top" && while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
	tar -C "$top" --null -T - -cf - | tar -C "$root$build/sklookup-$version" -xf -

log="$top/build/tests/deb-build-$kernel.log"
mkdir -p "$(dirname "$log")"
skl_log "building the Debian packages in $(basename "$root") (log: $log)"
skl_chroot "$root" sh -ec "cd $build/sklookup-$version && dpkg-buildpackage -us -uc -b" >"$log" 2>&1 ||
	{ tail -n 40 "$log" >&2; skl_die "dpkg-buildpackage failed (log: $log)"; }

rm -rf "$out"
mkdir -p "$out"
cp "$root$build"/*.deb "$root$build"/*.buildinfo "$root$build"/*.changes "$out/"
rm -rf "${root:?}$build"
ls "$out"/*.deb
