#!/usr/bin/env bash
# Prepare (once) a root file system of the Debian release that ships kernel $1 (a name of
# SKL_KERNEL_TABLE in lib.sh), with that release's stock kernel as "apt upgrade" installs it
# (the release with its -updates and -security suites; plus the backports or experimental
# suite the table names for the kernel's packages), its headers and compiler, DKMS and
# what the guest tests use. The root lives in the cache, outside the source tree; it is
# rebuilt only when its recipe (packages, suites, initramfs settings) changes.
# With "pkg" as $2 it prepares a second root, roots/KERNEL-pkg, for the package tests: the
# same packages plus systemd (that guest boots with systemd as PID 1) and debhelper (the
# Debian packages are built in such a root). It is a root of its own, not extra packages
# in the first one, so that the other guest tests keep booting the root they always had
# and a package run never changes it under them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

kernel=${1:?usage: mkroot.sh KERNEL (one of $SKL_ALL_KERNELS $SKL_CANARY_KERNELS $SKL_ARM64_KERNELS) [pkg]}
flavour=${2:-}
suite=$(skl_suite_of "$kernel") ||
	skl_die "unsupported kernel '$kernel' (supported: $SKL_ALL_KERNELS $SKL_CANARY_KERNELS $SKL_ARM64_KERNELS)"
release=$(skl_release_of "$kernel")
kernel_packages=$(skl_kernel_packages "$kernel")
arch=$(skl_arch_of "$kernel")

packages="$kernel_packages initramfs-tools dkms gcc libc6-dev make
	pkg-config libmnl-dev iproute2 kmod procps python3 util-linux
	curl socat python3-prometheus-client nftables"
name=$kernel
case "$flavour" in
"") ;;
pkg)
	name=$kernel-pkg
	packages="$packages systemd build-essential debhelper"
	# dh_dkms is in the dkms package up to bullseye, in its own package from bookworm on.
	[ "$release" = bullseye ] || packages="$packages dh-dkms"
	;;
*) skl_die "unknown root flavour '$flavour' (only: pkg)" ;;
esac

# The suites apt installs from: the release, its updates and security suites (sid has
# none), and the suite of the kernel's packages when that is not the release itself.
suites=$release
if [ "$release" != sid ]; then
	suites="$suites $release-updates $release-security"
fi
[ "$suite" = "$release" ] || suites="$suites $suite"

# Bump when the way a root is made changes; with the suites, the package list and the
# initramfs settings it names the cached root, so changing any of them rebuilds it.
recipe_revision=2
recipe=$(printf '%s\n' "$recipe_revision" "$suites" "$packages" "$(cat "$here/initramfs.conf")" |
	sha256sum | cut -c1-16)

root="$SKL_CACHE/roots/$name"
root_current() {
	[ -f "$root/.sklookup-recipe" ] && [ "$(cat "$root/.sklookup-recipe")" = "$recipe" ]
}
root_current && exit 0
# Two runs (worktrees, a CI clone) building one root at once wrote into one directory and
# both failed: the second waits for the first, under the lock that run-kernel.sh takes to
# install into the root, and then finds it made.
mkdir -p "$SKL_CACHE/roots"
exec 9>"$SKL_CACHE/roots/$name.lock"
flock 9
root_current && exit 0

mirror=$(skl_mirror)
security=$(skl_security_mirror)
# Package caches by release and, other than amd64, architecture.
debs="$SKL_CACHE/debs/$release"
[ "$arch" = amd64 ] || debs="$debs-$arch"
mkdir -p "$SKL_CACHE/roots" "$debs"
tmp="$SKL_CACHE/roots/.$name.new"
rm -rf "$tmp"
mkdir -p "$tmp"
start=$(date +%s)
# A root of another architecture runs its programs through qemu-user (binfmt_misc).
debootstrap_arch=
if [ "$arch" != "$(dpkg --print-architecture)" ]; then
	skl_foreign_arch_ready "$arch"
	debootstrap_arch=--arch=$arch
fi
skl_log "$name: debootstrap $release ($arch) into $tmp"
# The package cache is shared by all runs so that a rebuild downloads nothing twice; roots
# of one release (a kernel and its flavours) take turns at it.
flock "$debs.lock" debootstrap --variant=minbase $debootstrap_arch --cache-dir="$debs" "$release" "$tmp" "$mirror" \
	>"$SKL_CACHE/roots/.$name.log" 2>&1 ||
	{ tail -n 20 "$SKL_CACHE/roots/.$name.log" >&2; skl_die "$kernel: debootstrap $release failed"; }
for s in $suites; do
	case "$s" in
	*-security) echo "deb $security $s main" ;;
	*) echo "deb $mirror $s main" ;;
	esac
done >"$tmp/etc/apt/sources.list"

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

# What debootstrap installed is upgraded first (the security suite's libc, say); a kernel
# of another suite comes from there with what it needs, the rest from the release.
install="apt-get update -q && apt-get upgrade -y -q && apt-get install -y -q --no-install-recommends"
if [ "$suite" = "$release" ]; then
	install="$install $(echo $packages)"
else
	rest=" $(echo $packages) "
	for p in $kernel_packages; do rest=${rest/ $p / }; done
	install="$install$rest"
	install="$install && apt-get install -y -q --no-install-recommends -t $suite $kernel_packages"
fi
skl_log "$name: installing kernel, headers, compiler and test tools from: $suites"
skl_chroot "$tmp" sh -c "$install && apt-get clean" \
	>>"$SKL_CACHE/roots/.$name.log" 2>&1 ||
	{ tail -n 30 "$SKL_CACHE/roots/.$name.log" >&2; skl_die "$kernel: package installation failed"; }

echo "$recipe" >"$tmp/.sklookup-recipe"
rm -rf "$root"
mv "$tmp" "$root"
skl_log "$name: root ready with $(basename "$(ls -d "$root"/lib/modules/*/ | head -n 1)") in $(( $(date +%s) - start ))s ($(du -sh "$root" | cut -f1))"
