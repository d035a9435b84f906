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
"$here/install.sh" "$kernel" >/dev/null
start=$(date +%s)
"$here/boot.sh" "$kernel" "$out" "$(echo "$*" | tr ' ' ',')"
skl_log "$kernel: guest ran for $(( $(date +%s) - start ))s (console: $out/console.log)"
tr -d '\r' <"$out/results.txt"
