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
	*) return 1 ;;
	esac
}
SKL_ALL_KERNELS="5.10 6.1 6.12 7.2"

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
