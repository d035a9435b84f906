#!/usr/bin/env bash
# make check-package: the package path on each kernel of the matrix (KERNELS, default all
# four): the Debian packages built once (tests/vm/build-deb.sh), then for each kernel
# tests/vm/run-package.sh (apt install, two boots with systemd), one guest at a time.
# Every check prints "ok - KERNEL: ..." or "not ok - KERNEL: ..."; the last line is
# "N passed, N failed". Not part of make check: with its two boots and the installation
# it takes about 2.5 minutes per kernel more than the other guest tests.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
kernels=$(skl_expand_kernels "${KERNELS:-ci}")

debs="$top/build/deb"
start=$(date +%s)
"$here/build-deb.sh" 5.10 "$debs" >/dev/null
skl_log "packages built in $(( $(date +%s) - start ))s"

passed=0
failed=0
for k in $kernels; do
	echo "# package tests on Debian's $k kernel"
	mkdir -p "$top/build/tests/$k"
	report="$top/build/tests/$k/package-report.txt"
	rc=0
	SKL_DEB_DIR="$debs" "$here/run-package.sh" "$k" >"$report" 2>&1 || rc=$?
	[ "$rc" = 0 ] || grep -q '^not ok' "$report" ||
		echo "not ok - run-package.sh $k exited with $rc" >>"$report"
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) passed=$((passed + 1)); echo "ok - $k: ${line#ok - }" ;;
		"not ok - "*) failed=$((failed + 1)); echo "not ok - $k: ${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done <"$report"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
