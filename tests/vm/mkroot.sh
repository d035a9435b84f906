#!/usr/bin/env bash
# Prepare (once) a root file system of the Debian release that ships kernel $1, with that
# release's stock kernel, its headers and compiler, DKMS and what the guest tests use.
# The root lives in the cache, outside the source tree; it is rebuilt only when the
# package list below changes.
# With "pkg" as $2 it prepares a second root, roots/KERNEL-pkg, for the package tests: the
# same packages plus systemd (that guest boots with systemd as PID 1) and debhelper (the
# Debian packages are built in such a root). It is a root of its own, not extra packages
# in the first one, so that the other guest tests keep booting the root they always had
# and a package run never changes it under them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

kernel=${1:?usage: mkroot.sh KERNEL (one of $SKL_ALL_KERNELS) [pkg]}
flavour=${2:-}
suite=$(skl_suite_of "$kernel") || skl_die "unsupported kernel '$kernel' (supported: $SKL_ALL_KERNELS)"
arch=$(skl_arch_of "$kernel")

packages="linux-image-$arch linux-headers-$arch initramfs-tools dkms gcc libc6-dev make
	pkg-config libmnl-dev iproute2 kmod procps python3 util-linux
	curl socat python3-prometheus-client"
name=$kernel
case "$flavour" in
"") ;;
pkg)
	name=$kernel-pkg
	packages="$packages systemd build-essential debhelper"
	# dh_dkms is in the dkms package up to bullseye, in its own package from bookworm on.
	[ "$suite" = bullseye ] || packages="$packages dh-dkms"
	;;
*) skl_die "unknown root flavour '$flavour' (only: pkg)" ;;
esac
# Bump when the way a root is made changes; with the package list and the initramfs
# settings it names the cached root, so changing any of them rebuilds it.
recipe_revision=1
recipe=$(printf '%s\n' "$recipe_revision" "$suite" "$packages" "$(cat "$here/initramfs.conf")" | sha256sum | cut -c1-16)

root="$SKL_CACHE/roots/$name"
if [ -f "$root/.sklookup-recipe" ] && [ "$(cat "$root/.sklookup-recipe")" = "$recipe" ]; then
	exit 0
fi

mirror=$(skl_mirror)
debs="$SKL_CACHE/debs/$suite"
[ "$arch" = amd64 ] || debs="$debs-$arch"
mkdir -p "$SKL_CACHE/roots" "$debs"
tmp="$SKL_CACHE/roots/.$name.new"
rm -rf "$tmp"
mkdir -p "$tmp"
# A root of another architecture runs its programs through qemu-user (binfmt_misc).
debootstrap_arch=
if [ "$arch" != "$(dpkg --print-architecture)" ]; then
	skl_foreign_arch_ready "$arch"
	debootstrap_arch=--arch=$arch
fi
skl_log "$name: debootstrap $suite ($arch) into $tmp"
# The package cache is shared by all runs so that a rebuild downloads nothing twice.
debootstrap --variant=minbase $debootstrap_arch --cache-dir="$debs" "$suite" "$tmp" "$mirror" \
	>"$SKL_CACHE/roots/.$name.log" 2>&1 ||
	{ tail -n 20 "$SKL_CACHE/roots/.$name.log" >&2; skl_die "$kernel: debootstrap $suite failed"; }

# No daemons start inside the chroot; the initramfs holds only what a QEMU guest needs to
# mount its root, which keeps it small and the emulated boot fast.
printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
chmod +x "$tmp/usr/sbin/policy-rc.d"
mkdir -p "$tmp/etc/initramfs-tools/conf.d"
cp "$here/initramfs.conf" "$tmp/etc/initramfs-tools/conf.d/sklookup.conf"
printf 'virtio_pci\nvirtio_blk\next4\n' >>"$tmp/etc/initramfs-tools/modules"
# The archive here may be a snapshot whose Release files have passed their Valid-Until.
printf 'Acquire::Retries "3";\nAcquire::Check-Valid-Until "false";\n' >"$tmp/etc/apt/apt.conf.d/80sklookup"
mkdir -p "$tmp/var/cache/apt/archives"

skl_log "$name: installing kernel, headers, compiler and test tools"
skl_chroot "$tmp" sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends $(echo $packages) && apt-get clean" \
	>>"$SKL_CACHE/roots/.$name.log" 2>&1 ||
	{ tail -n 30 "$SKL_CACHE/roots/.$name.log" >&2; skl_die "$kernel: package installation failed"; }

echo "$recipe" >"$tmp/.sklookup-recipe"
rm -rf "$root"
mv "$tmp" "$root"
skl_log "$name: root ready ($(du -sh "$root" | cut -f1))"
