#!/usr/bin/env bash
# make check-package: the package path on each kernel of the matrix (KERNELS, default
# the CI kernels): the Debian packages built once per architecture (tests/vm/build-deb.sh;
# amd64's into build/deb, arm64's into build/deb-arm64), then for each kernel
# tests/vm/run-package.sh (apt install, two boots with systemd), one guest at a time.
# Every check prints "ok - KERNEL: ..." or "not ok - KERNEL: ..."; the last line is
# "N passed, N failed". Not part of make check: with its two boots and the installation
# it takes about 2.5 minutes per kernel more than the other guest tests.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
kernels=$(skl_expand_kernels "${KERNELS:-ci}")

built=
for k in $kernels; do
	arch=$(skl_arch_of "$k")
	case " $built " in *" $arch "*) continue ;; esac
	start=$(date +%s)
	"$here/build-deb.sh" "$(skl_deb_kernel_of "$k")" "$top/$(skl_deb_dir_of "$k")" >/dev/null
	skl_log "$arch packages built in $(( $(date +%s) - start ))s"
	built="$built $arch"
done

passed=0
failed=0
for k in $kernels; do
	echo "# package tests on Debian's $k kernel"
	mkdir -p "$top/build/tests/$k"
	report="$top/build/tests/$k/package-report.txt"
	rc=0
	SKL_DEB_DIR="$top/$(skl_deb_dir_of "$k")" "$here/run-package.sh" "$k" >"$report" 2>&1 || rc=$?
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
