# Shared settings of the guest harness, sourced by the other scripts.
# shellcheck shell=bash

SKL_CACHE=${SKL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sklookup}

# The kernels of the matrix, one line each: the name users know the kernel by, the suite
# that ships it, where the test suite runs on it, and the packages of its image and
# headers. A suite NAME-backports or experimental is installed the way its users do: a root
# of the release it extends (trixie, sid), whose compiler builds the module, with the
# kernel's packages taken from that suite by "apt-get install -t SUITE" (which also takes
# what the image needs from there, such as linux-base). Where it runs: "ci" in make check
# (and .ci/run), "all" only in make check-all, "canary" only when named (KERNELS=next): a
# canary's failures are reported and never fail the run; "arm64" only when named, or as
# the group KERNELS=arm64 (make check-arm64). A new series is one more line.
SKL_KERNEL_TABLE='
5.10       bullseye          ci      linux-image-amd64 linux-headers-amd64
6.1        bookworm          ci      linux-image-amd64 linux-headers-amd64
6.12       trixie            ci      linux-image-amd64 linux-headers-amd64
6.12-cloud trixie            all     linux-image-cloud-amd64 linux-headers-cloud-amd64
6.12-rt    trixie            ci      linux-image-rt-amd64 linux-headers-rt-amd64
7.2        sid               ci      linux-image-amd64 linux-headers-amd64
7.3        trixie-backports  ci      linux-image-amd64 linux-headers-amd64
7.3-cloud  trixie-backports  all     linux-image-cloud-amd64 linux-headers-cloud-amd64
7.3-rt     trixie-backports  all     linux-image-rt-amd64 linux-headers-rt-amd64
next       experimental      canary  linux-image-amd64 linux-headers-amd64
arm64-6.1  bookworm          arm64   linux-image-arm64 linux-headers-arm64
arm64-6.12 trixie            arm64   linux-image-arm64 linux-headers-arm64
arm64-7.2  sid               arm64   linux-image-arm64 linux-headers-arm64
'

# Kernels whose where-column is one of the words given.
skl_kernels_where() {
	awk -v want=" $* " 'NF >= 4 && index(want, " " $3 " ") { printf "%s%s", sep, $1; sep = " " } END { print "" }' \
		<<<"$SKL_KERNEL_TABLE"
}
SKL_CI_KERNELS=$(skl_kernels_where ci)
SKL_ALL_KERNELS=$(skl_kernels_where ci all)
SKL_CANARY_KERNELS=$(skl_kernels_where canary)
SKL_ARM64_KERNELS=$(skl_kernels_where arm64)

# Field $2 (1 name, 2 suite, 3 where, 4 packages) of kernel $1's line; fails for a kernel
# not in the table.
skl_kernel_field() {
	awk -v k="$1" -v f="$2" '$1 == k { if (f < 4) print $f; else { for (i = 4; i <= NF; i++) printf "%s%s", (i > 4 ? " " : ""), $i; print "" }; found = 1 } END { exit !found }' \
		<<<"$SKL_KERNEL_TABLE"
}
skl_suite_of() { skl_kernel_field "$1" 2; }
skl_kernel_packages() { skl_kernel_field "$1" 4; }
skl_is_canary() { [ "$(skl_kernel_field "$1" 3 2>/dev/null)" = canary ]; }
# The Debian release a root is made of: the one a backports suite extends, sid for
# experimental.
skl_release_of() {
	local suite
	suite=$(skl_suite_of "$1") || return 1
	case "$suite" in
	experimental) echo sid ;;
	*-backports) echo "${suite%-backports}" ;;
	*) echo "$suite" ;;
	esac
}

# KERNELS as the user gives it: names from the table, or the groups "ci" (the default),
# "all" (every supported amd64 kernel), "canary" and "arm64"; "none" for host tests only.
skl_expand_kernels() {
	local k out=
	for k in ${1:-ci}; do
		case "$k" in
		ci) out="$out $SKL_CI_KERNELS" ;;
		all) out="$out $SKL_ALL_KERNELS" ;;
		canary) out="$out $SKL_CANARY_KERNELS" ;;
		arm64) out="$out $SKL_ARM64_KERNELS" ;;
		none) ;;
		*) out="$out $k" ;;
		esac
	done
	echo $out
}

# Kernels named arm64-VERSION are Debian's arm64 build of that release's kernel, in an arm64
# root (built and entered through qemu-user and binfmt_misc) and booted with
# qemu-system-aarch64. Their where-column keeps them out of ci and all: KERNELS="arm64-6.12"
# runs one, KERNELS=arm64 all three.
skl_arch_of() {
	case "$1" in
	arm64-*) echo arm64 ;;
	*) echo amd64 ;;
	esac
}

# The kernel whose package root builds the Debian packages for kernel $1's architecture:
# the oldest release of that architecture in the table, whose glibc and libmnl the
# sklookupctl package then depends on, so that one build installs on every release.
skl_deb_kernel_of() {
	case "$(skl_arch_of "$1")" in
	arm64) echo arm64-6.1 ;;
	*) echo 5.10 ;;
	esac
}

# Where make deb puts the packages for kernel $1's architecture, under the tree: build/deb
# for amd64, build/deb-ARCH for another.
skl_deb_dir_of() {
	case "$(skl_arch_of "$1")" in
	amd64) echo build/deb ;;
	*) echo "build/deb-$(skl_arch_of "$1")" ;;
	esac
}

# The archive address comes from this machine's own apt sources so that no host name is
# written into the tree; SKL_MIRROR overrides it.
skl_mirror() {
	if [ -n "${SKL_MIRROR:-}" ]; then
		echo "$SKL_MIRROR"
		return
	fi
	local uri
	uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		tr ' ' '\n' | grep -v -- '-security' | grep . | head -n 1)
	if [ -z "$uri" ]; then
		uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
			/etc/apt/sources.list 2>/dev/null)
	fi
	[ -n "$uri" ] || { echo "no Debian archive found in /etc/apt; set SKL_MIRROR" >&2; return 1; }
	echo "$uri"
}

# The security archive: the security URI of this machine's apt sources, else the main
# archive's address with "-security" appended (Debian's layout); SKL_SECURITY_MIRROR
# overrides it.
skl_security_mirror() {
	if [ -n "${SKL_SECURITY_MIRROR:-}" ]; then
		echo "$SKL_SECURITY_MIRROR"
		return
	fi
	local uri
	uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		tr ' ' '\n' | grep -- '-security' | head -n 1)
	if [ -z "$uri" ]; then
		uri=$(awk '$1 == "deb" && $0 ~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
			/etc/apt/sources.list 2>/dev/null)
	fi
	if [ -z "$uri" ]; then
		uri=$(skl_mirror) || return 1
		uri="${uri%/}-security"
	fi
	echo "${uri%/}"
}

# Install the host packages named that are missing (the harness runs as root, as CI does).
skl_host_packages() {
	local p missing=
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	skl_log "installing host packages:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
		</dev/null >&2 || skl_die "cannot install$missing"
}

# Make the host run programs of architecture $1 (a foreign root's) through qemu-user:
# qemu-user-static, binfmt_misc mounted, its interpreter registered (with the F flag, so
# that the interpreter need not exist inside the root).
skl_foreign_arch_ready() {
	local qarch
	case "$1" in
	arm64) qarch=aarch64 ;;
	*) skl_die "no qemu-user mapping for architecture $1" ;;
	esac
	skl_host_packages qemu-user-static
	local bm=/proc/sys/fs/binfmt_misc
	[ -e "$bm/register" ] || mount -t binfmt_misc binfmt_misc "$bm" ||
		skl_die "cannot mount binfmt_misc"
	[ -e "$bm/qemu-$qarch" ] || cat "/usr/lib/binfmt.d/qemu-$qarch.conf" >"$bm/register" ||
		skl_die "cannot register qemu-$qarch with binfmt_misc"
	grep -q '^enabled' "$bm/qemu-$qarch" || skl_die "binfmt_misc entry qemu-$qarch is disabled"
	# qemu-user's default CPU has pointer authentication, which TCG computes with QARMA5
	# at every function's entry and return, and Debian builds its arm64 programs with
	# branch protection from trixie on: gcc-16 compiled a file in 21.9 s with the default
	# CPU, 2.8 s as a Cortex-A72 (no pointer authentication, the instructions are hints).
	# The guests keep theirs (tests/vm/boot.sh): this is only the build's emulator.
	export QEMU_CPU=${QEMU_CPU:-cortex-a72}
}

skl_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
skl_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run a command inside a root with /proc, /sys and /dev mounted in a private mount
# namespace, so that nothing stays mounted if the command dies.
skl_chroot() {
	local root=$1
	shift
	# A root of another architecture (its programs' ELF machine: 183 AArch64) runs them
	# through qemu-user, whichever script enters it.
	if [ "$(od -An -tu2 -j18 -N2 "$root/usr/bin/env" 2>/dev/null | tr -d ' ')" = 183 ] &&
		[ "$(dpkg --print-architecture)" != arm64 ]; then
		skl_foreign_arch_ready arm64
	fi
	unshare -m --propagation private sh -c '
		root=$1; shift
		mount -t proc proc "$root/proc" &&
		mount -t sysfs sys "$root/sys" &&
		mount --rbind /dev "$root/dev" &&
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
			${QEMU_CPU:+QEMU_CPU="$QEMU_CPU"} "$@"
	' skl_chroot "$root" "$@"
}

# Copy a root into a fresh ext4 image that a guest may write to, leaving the root as it was.
skl_make_image() {
	local root=$1 img=$2 size_mb
	size_mb=$(( $(du -sm "$root" | cut -f1) + 768 ))
	rm -f "$img"
	mke2fs -q -t ext4 -F -L sklroot -E root_owner=0:0 -d "$root" "$img" "${size_mb}M" >/dev/null
}
