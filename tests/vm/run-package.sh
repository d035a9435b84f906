#!/usr/bin/env bash
# The package path for one kernel of the matrix: build the Debian packages (unless
# SKL_DEB_DIR names packages already built), install them into the kernel's package root
# with apt, then boot that root twice from one disk image with systemd as PID 1. Both
# boots run the guest test 80-package (boot 1 right after installation, boot 2 after the
# reboot: the module, the rules and the registrations must come back by themselves).
# Prints each boot's report lines and returns non-zero if a check failed or a boot did
# not finish.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

kernel=${1:?usage: run-package.sh KERNEL}
out="$top/build/tests/$kernel/package"
rm -rf "$out"
mkdir -p "$out"
"$here/mkroot.sh" "$kernel" pkg
debs=${SKL_DEB_DIR:-}
if [ -z "$debs" ]; then
	debs="$out/deb"
	start=$(date +%s)
	"$here/build-deb.sh" "$(skl_deb_kernel_of "$kernel")" "$debs" >/dev/null
	skl_log "packages built in $(( $(date +%s) - start ))s"
fi
start=$(date +%s)
"$here/install-package.sh" "$kernel" "$debs" >/dev/null
skl_log "$kernel: packages installed in $(( $(date +%s) - start ))s"

img="$out/root.img"
failed=0
for boot in 1 2; do
	start=$(date +%s)
	keep=1 reuse=0
	[ "$boot" = 1 ] || { keep=0 reuse=1; }
	SKL_ROOT="$SKL_CACHE/roots/$kernel-pkg" SKL_INIT=/lib/systemd/systemd SKL_IMAGE="$img" \
		SKL_IMAGE_KEEP=$keep SKL_IMAGE_REUSE=$reuse SKL_APPEND="skl_boot=$boot" \
		"$here/boot.sh" "$kernel" "$out/boot$boot" 80-package
	skl_log "$kernel: package boot $boot ran for $(( $(date +%s) - start ))s (console: $out/boot$boot/console.log)"
	report=$(tr -d '\r' <"$out/boot$boot/results.txt")
	printf '%s\n' "$report" | grep -v '^guest: done'
	finished=0
	if grep -q '^guest: done' <<<"$report"; then
		finished=1
		echo "ok - package boot $boot finished its tests"
	else
		echo "not ok - package boot $boot finished its tests (see $out/boot$boot/console.log)"
		tail -n 30 "$out/boot$boot/console.log" 2>/dev/null | sed 's/^/# console: /'
		failed=1
	fi
	if grep -qE 'WARNING:|BUG:|Oops|Kernel panic|Call Trace' "$out/boot$boot/console.log" 2>/dev/null; then
		echo "not ok - package boot $boot: console free of kernel splats"
		grep -m5 -E 'WARNING:|BUG:|Oops|Kernel panic|Call Trace' "$out/boot$boot/console.log" | sed 's/^/# /'
		failed=1
	else
		echo "ok - package boot $boot: console free of kernel splats"
	fi
	grep -q '^not ok' <<<"$report" && failed=1
	# A first boot that did not finish leaves nothing worth booting again.
	[ "$finished" = 1 ] || break
done
rm -f "$img"
exit "$failed"
