# Shared settings of the guest harness, sourced by the other scripts.
# shellcheck shell=bash

SKL_CACHE=${SKL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sklookup}

# The kernels of the supported matrix, by the name users know them by, and the Debian
# release that ships each.
skl_suite_of() {
	case "$1" in
	5.10) echo bullseye ;;
	6.1) echo bookworm ;;
	6.12) echo trixie ;;
	7.2) echo sid ;;
	arm64-*) skl_suite_of "${1#arm64-}" ;;
	*) return 1 ;;
	esac
}
SKL_ALL_KERNELS="5.10 6.1 6.12 7.2"

# Kernels named arm64-VERSION are Debian's arm64 build of that release's kernel, in an arm64
# root (built and entered through qemu-user and binfmt_misc) and booted with
# qemu-system-aarch64. They are not in the default matrix: KERNELS="arm64-6.12" runs one.
skl_arch_of() {
	case "$1" in
	arm64-*) echo arm64 ;;
	*) echo amd64 ;;
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
}

skl_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
skl_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run a command inside a root with /proc, /sys and /dev mounted in a private mount
# namespace, so that nothing stays mounted if the command dies.
skl_chroot() {
	local root=$1
	shift
	unshare -m --propagation private sh -c '
		root=$1; shift
		mount -t proc proc "$root/proc" &&
		mount -t sysfs sys "$root/sys" &&
		mount --rbind /dev "$root/dev" &&
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
	' skl_chroot "$root" "$@"
}

# Copy a root into a fresh ext4 image that a guest may write to, leaving the root as it was.
skl_make_image() {
	local root=$1 img=$2 size_mb
	size_mb=$(( $(du -sm "$root" | cut -f1) + 768 ))
	rm -f "$img"
	mke2fs -q -t ext4 -F -L sklroot -E root_owner=0:0 -d "$root" "$img" "${size_mb}M" >/dev/null
}
