#!/usr/bin/env bash
# Build (once) the debug kernel: Debian bookworm's linux-source-6.1 with KASAN, KFENCE,
# lockdep (PROVE_LOCKING, PROVE_RCU), DEBUG_ATOMIC_SLEEP and kmemleak, on a small config
# (x86_64 defconfig trimmed by tests/vm/debug-kernel.config), not Debian's full one, which
# would take hours to build under these checkers. Prints the directory of the
# built tree (bzImage, staged modules, and a prepared tree to build sklookup against).
#
# It builds in a bookworm root of its own in the cache (debug-kernel/buildroot: compiler,
# flex, bison, libelf... and the linux-source-6.1 package itself), not on the host, so that
# nothing installed by hand on the host matters and the compiler is bookworm's gcc 12, the
# one 6.1 is built with. The tree is cached under that root, keyed by the source version,
# the config fragment and this script's recipe: a warm cache builds nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

suite=bookworm
dir="$SKL_CACHE/debug-kernel"
broot="$dir/buildroot"
fragment="$here/debug-kernel.config"
log_dir="$top/build/tests/debug"
mkdir -p "$dir" "$log_dir"

# One build at a time: a second caller waits and then finds the tree ready.
exec 9>"$dir/.lock"
flock 9

# The build root. Bump recipe_revision when the way it is made changes.
recipe_revision=1
packages="linux-source-6.1 gcc libc6-dev make flex bison bc libelf-dev libssl-dev cpio kmod
	xz-utils python3"
recipe=$(printf '%s\n' "$recipe_revision" "$suite" "$packages" | sha256sum | cut -c1-16)
if ! [ -f "$broot/.sklookup-recipe" ] || [ "$(cat "$broot/.sklookup-recipe")" != "$recipe" ]; then
	mirror=$(skl_mirror)
	tmp="$dir/.buildroot.new"
	rm -rf "$tmp"
	mkdir -p "$tmp" "$SKL_CACHE/debs/$suite"
	skl_log "debug kernel: debootstrap $suite build root into $tmp"
	# The package cache is the one tests/vm/mkroot.sh fills for the 6.1 roots.
	debootstrap --variant=minbase --cache-dir="$SKL_CACHE/debs/$suite" "$suite" "$tmp" "$mirror" \
		>"$log_dir/buildroot.log" 2>&1 ||
		{ tail -n 20 "$log_dir/buildroot.log" >&2; skl_die "debug kernel: debootstrap $suite failed"; }
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod +x "$tmp/usr/sbin/policy-rc.d"
	printf 'Acquire::Retries "3";\nAcquire::Check-Valid-Until "false";\n' >"$tmp/etc/apt/apt.conf.d/80sklookup"
	skl_log "debug kernel: installing linux-source-6.1 and the kernel's build tools"
	skl_chroot "$tmp" sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends $(echo $packages) && apt-get clean" \
		>>"$log_dir/buildroot.log" 2>&1 ||
		{ tail -n 30 "$log_dir/buildroot.log" >&2; skl_die "debug kernel: package installation failed"; }
	echo "$recipe" >"$tmp/.sklookup-recipe"
	rm -rf "$broot"
	mv "$tmp" "$broot"
fi

srcver=$(skl_chroot "$broot" dpkg-query -W -f '${Version}' linux-source-6.1)
gccver=$(skl_chroot "$broot" gcc -dumpfullversion)
# Bump build_revision when the build steps below change.
build_revision=1
key=$(printf '%s\n' "$build_revision" "$srcver" "$gccver" "$(cat "$fragment")" | sha256sum | cut -c1-16)
tree="$broot/build/$key"
if [ -f "$tree/.done" ]; then
	echo "$tree"
	exit 0
fi

jobs=${SKL_KERNEL_JOBS:-$(nproc)}
skl_log "debug kernel: building linux-source $srcver with gcc $gccver, $jobs jobs (key $key)"
# Trees of other keys are outdated; a tree without .done is a build that was interrupted.
rm -rf "$broot/build"
mkdir -p "$tree"
cp "$fragment" "$tree/debug-kernel.config"
start=$(date +%s)
skl_chroot "$broot" sh -ec "
	cd /build/$key
	tar -xaf /usr/src/linux-source-6.1.tar.xz
	mv linux-source-6.1 linux
	cd linux
	make -s defconfig
	scripts/kconfig/merge_config.sh -m .config ../debug-kernel.config
	# A release string of its own: the stock 6.1 modules never match it.
	scripts/config --set-str LOCALVERSION -skldebug --disable LOCALVERSION_AUTO
	make -s olddefconfig
	# Every option of the fragment must have come through as written.
	bad=0
	while IFS= read -r line; do
		case \"\$line\" in
		CONFIG_*=*)
			grep -qxF \"\$line\" .config || { echo \"config: wanted \$line, got: \$(grep \"^\${line%%=*}=\" .config || echo unset)\"; bad=1; } ;;
		'# CONFIG_'*' is not set')
			opt=\${line#'# '}; opt=\${opt%% *}
			if grep -q \"^\$opt=\" .config; then echo \"config: wanted \$opt unset, got: \$(grep \"^\$opt=\" .config)\"; bad=1; fi ;;
		esac
	done <../debug-kernel.config
	[ \$bad = 0 ]
	make -j$jobs bzImage modules
	make -s modules_install INSTALL_MOD_PATH=/build/$key/staging INSTALL_MOD_STRIP=1
	make -s kernelrelease >../release
" >"$log_dir/kernel-build.log" 2>&1 ||
	{ tail -n 40 "$log_dir/kernel-build.log" >&2; skl_die "debug kernel: build failed (log: $log_dir/kernel-build.log)"; }
secs=$(( $(date +%s) - start ))
echo "$secs" >"$tree/build-seconds"
echo "$srcver" >"$tree/source-version"
touch "$tree/.done"
skl_log "debug kernel: $(cat "$tree/release") built in ${secs}s ($(du -sh "$tree" | cut -f1))"
echo "$tree"
