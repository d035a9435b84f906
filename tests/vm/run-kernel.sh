#!/usr/bin/env bash
# Everything for one kernel of the matrix: root, DKMS install, boot, guest tests. Prints
# the guest's report lines and returns non-zero if the guest did not finish.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

kernel=${1:?usage: run-kernel.sh KERNEL [GUEST-TESTS]}
shift
out="$top/build/tests/$kernel"
mkdir -p "$out"
"$here/mkroot.sh" "$kernel"
# The cached root is shared by every tree on this machine (git worktrees too): installing
# this tree into it and copying it into this run's image happen under the root's lock, so
# that two runs for one kernel cannot mix their trees.
(
	flock 9
	"$here/install.sh" "$kernel" >/dev/null
	skl_make_image "$SKL_CACHE/roots/$kernel" "$out/root.img"
) 9>"$SKL_CACHE/roots/$kernel.lock"
start=$(date +%s)
SKL_IMAGE="$out/root.img" SKL_IMAGE_REUSE=1 "$here/boot.sh" "$kernel" "$out" "$(echo "$*" | tr ' ' ',')"
skl_log "$kernel: guest ran for $(( $(date +%s) - start ))s (console: $out/console.log)"
tr -d '\r' <"$out/results.txt"
