#!/usr/bin/env bash
# Compile the working tree's module against kernel $1's headers, in its cached root, with
# that release's compiler; W=1 for the kernel's extra warnings. A quick check before a
# guest run: nothing is installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

kernel=${1:?usage: build.sh KERNEL}
root="$SKL_CACHE/roots/$kernel"
[ -f "$root/.sklookup-recipe" ] || "$here/mkroot.sh" "$kernel"
kver=$(basename "$(ls -d "$root"/lib/modules/*/ | head -n 1)")
# Its own directory in the shared root, so that builds of several trees can run at once.
trap 'rm -rf "$root/tmp/sklookup-build-$$"' EXIT
mkdir -p "$root/tmp/sklookup-build-$$"
git -C "$top" ls-files -z --cached --others --exclude-standard |
	(cd "$top" && tar --null -T - -cf - 2>/dev/null) | tar -C "$root/tmp/sklookup-build-$$" -xf -
skl_chroot "$root" make -s -C /tmp/sklookup-build-$$ KDIR="/lib/modules/$kver/build" module W="${W:-}" ${SKL_FAULT_INJECTION:+SKL_FAULT_INJECTION=y}
