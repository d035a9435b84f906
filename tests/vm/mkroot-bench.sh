#!/usr/bin/env bash
# Prepare (once) roots/KERNEL-bench for the guest benchmark: kernel $1's test root plus
# what the peers of sklookup need (clang and libbpf for BPF sk_lookup, nftables for
# TPROXY). It starts from a copy of the test root rather than its own debootstrap: the
# kernel, headers and compiler must be the very ones the tests use, and copying is much
# faster than a second bootstrap. The test root itself is never changed, so a benchmark
# never disturbs the guest tests. Its recipe hash includes the test root's, so a change
# there rebuilds this one too.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

kernel=${1:?usage: mkroot-bench.sh KERNEL (one of $SKL_ALL_KERNELS)}
skl_suite_of "$kernel" >/dev/null || skl_die "unsupported kernel '$kernel' (supported: $SKL_ALL_KERNELS)"
"$here/mkroot.sh" "$kernel"

base="$SKL_CACHE/roots/$kernel"
name=$kernel-bench
# libbpf-dev brings libelf and zlib; clang -target bpf needs llvm's linker-free object
# output only, and the kernel's uapi headers come with linux-libc-dev (libc6-dev).
packages="clang llvm libbpf-dev nftables"
recipe_revision=1
recipe=$(printf '%s\n' "$recipe_revision" "$(cat "$base/.sklookup-recipe")" "$packages" | sha256sum | cut -c1-16)

root="$SKL_CACHE/roots/$name"
if [ -f "$root/.sklookup-recipe" ] && [ "$(cat "$root/.sklookup-recipe")" = "$recipe" ]; then
	exit 0
fi

start=$(date +%s)
tmp="$SKL_CACHE/roots/.$name.new"
log="$SKL_CACHE/roots/.$name.log"
rm -rf "$tmp"
skl_log "$name: copying $base"
cp -a "$base" "$tmp"
rm -f "$tmp/.sklookup-recipe"
# install.sh leaves a DKMS build and a copy of the tree in the test root; the benchmark's
# own install replaces them, so there is no point carrying them along.
rm -rf "$tmp/opt/sklookup"

skl_log "$name: installing $packages"
skl_chroot "$tmp" sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends $packages && apt-get clean" \
	>"$log" 2>&1 ||
	{ tail -n 30 "$log" >&2; skl_die "$name: package installation failed (log: $log)"; }

echo "$recipe" >"$tmp/.sklookup-recipe"
rm -rf "$root"
mv "$tmp" "$root"
skl_log "$name: root ready in $(( $(date +%s) - start ))s ($(du -sh "$root" | cut -f1))"
