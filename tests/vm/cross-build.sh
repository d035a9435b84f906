#!/usr/bin/env bash
# Compile the working tree's module for Debian's arm64 build of kernel $1 (arm64-VERSION)
# on this amd64 host, natively: no emulation, no arm64 root. It builds in the amd64 root
# of the same kernel (same release, same kbuild tools and common headers, which Debian
# ships alike for both architectures), seen through an overlay that adds the arm64
# flavour's headers and the aarch64 cross compiler of the version the arm64 kernel was
# built with; the amd64 root itself is never changed. A compile check only, W=1 for more
# warnings: what users run, DKMS in an arm64 root, is run-kernel.sh's (KERNELS=arm64-6.12).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

kernel=${1:?usage: cross-build.sh arm64-VERSION}
[ "$(skl_arch_of "$kernel")" = arm64 ] && skl_suite_of "$kernel" >/dev/null ||
	skl_die "not an arm64 kernel of the table: '$kernel' (known: $SKL_ARM64_KERNELS)"
host=${kernel#arm64-}
"$here/mkroot.sh" "$host"
lower="$SKL_CACHE/roots/$host"
# The amd64 root is the overlay's lower layer, which must not change under it: a guest's
# install.sh writes into that root under the root's lock (tests/vm/run-kernel.sh), and
# make check starts the cross builds while guests still start. Builds share it.
exec 8>"$SKL_CACHE/roots/$host.lock"
flock -s 8
host_kver=$(basename "$(ls -d "$lower"/lib/modules/*/ | head -n 1)")
kver=${host_kver%-amd64}-arm64

# The overlay's upper layer holds what is added; it is made once per amd64 root (its
# recipe and kernel), under a lock of its own.
cross="$SKL_CACHE/cross/$kernel"
mkdir -p "$cross"
exec 9>"$cross.lock"
flock 9
stamp="$(cat "$lower/.sklookup-recipe") $kver"
setup=0
if [ "$(cat "$cross/stamp" 2>/dev/null)" != "$stamp" ]; then
	rm -rf "$cross/upper" "$cross/work" "$cross/stamp"
	setup=1
fi
mkdir -p "$cross/upper" "$cross/work" "$cross/merged"

# Run $@ in the merged root: the overlay, /proc, /sys and /dev exist in a private mount
# namespace only, so that nothing stays mounted if the command dies.
in_overlay() {
	unshare -m --propagation private sh -c '
		lower=$1 cross=$2; shift 2
		m=$cross/merged
		mount -t overlay overlay -o "lowerdir=$lower,upperdir=$cross/upper,workdir=$cross/work" "$m" &&
		mount -t proc proc "$m/proc" &&
		mount -t sysfs sys "$m/sys" &&
		mount --rbind /dev "$m/dev" &&
		exec chroot "$m" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
	' in_overlay "$lower" "$cross" "$@"
}

if [ "$setup" = 1 ]; then
	start=$(date +%s)
	skl_log "$kernel: adding linux-headers-$kver and the aarch64 cross compiler to an overlay of root $host"
	# The headers' own dependencies (kbuild tools, common headers) are the amd64 root's:
	# they are unpacked, not installed, so apt does not ask for the arm64 build tools.
	in_overlay sh -ec "
		dpkg --add-architecture arm64
		apt-get update -q
		cd /tmp
		apt-get download -q linux-headers-$kver:arm64
		# Only its /usr/src: its /lib/modules link would replace a merged-usr /lib.
		rm -rf x && mkdir x
		dpkg-deb -x linux-headers-${kver}_*_arm64.deb x
		cp -a x/usr/src/. /usr/src/
		rm -rf x linux-headers-${kver}_*_arm64.deb
		gcc=\$(sed -n 's/^CONFIG_GCC_VERSION=\([0-9]*\)[0-9][0-9][0-9][0-9]\$/\1/p' /usr/src/linux-headers-$kver/.config)
		[ -n \"\$gcc\" ] || { echo 'no CONFIG_GCC_VERSION in the arm64 headers' >&2; exit 1; }
		apt-get install -y -q --no-install-recommends gcc-\$gcc-aarch64-linux-gnu
		ln -sf aarch64-linux-gnu-gcc-\$gcc /usr/bin/skl-aarch64-gcc
		apt-get clean
	" >"$cross/setup.log" 2>&1 || { tail -n 30 "$cross/setup.log" >&2; skl_die "$kernel: cross setup failed (log: $cross/setup.log)"; }
	echo "$stamp" >"$cross/stamp"
	skl_log "$kernel: cross setup took $(( $(date +%s) - start ))s"
fi

# Its own directory in the overlay, so that builds of several trees can run at once.
b=/tmp/sklookup-cross-$$
trap 'rm -rf "$cross/upper$b"' EXIT
mkdir -p "$cross/upper$b"
git -C "$top" ls-files -z --cached --others --exclude-standard |
	(cd "$top" && tar --null -T - -cf - 2>/dev/null) | tar -C "$cross/upper$b" -xf -
in_overlay make -s -C "$b" KDIR="/usr/src/linux-headers-$kver" module W="${W:-}" \
	ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC=skl-aarch64-gcc \
	${SKL_FAULT_INJECTION:+SKL_FAULT_INJECTION=y}
# The product is an AArch64 ELF (e_machine 183), not a module of the host's architecture.
machine=$(od -An -tu2 -j18 -N2 "$cross/upper$b/sklookup.ko" | tr -d ' ')
[ "$machine" = 183 ] || skl_die "$kernel: sklookup.ko is not an AArch64 object (e_machine $machine)"
skl_log "$kernel: sklookup.ko built for $kver (AArch64)"
