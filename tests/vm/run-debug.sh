#!/usr/bin/env bash
# "make check-debug": the guest tests (the whole suite, with the netlink fuzz batch and the
# churn tests, or the files named as arguments) on the debug kernel of
# tests/vm/debug-kernel.sh, KASAN, KFENCE, lockdep and kmemleak on. Any report fails.
# Ends with "N passed, N failed" like tests/run.
#
# The guest's user space is the Debian 6.1 (bookworm) root of tests/vm/mkroot.sh, copied
# into a root of its own (debug-kernel/root in the cache): the stock root keeps exactly
# the one kernel the other scripts expect in it, and a debug run never changes it. The
# module is built against the debug tree, not by DKMS (that root's DKMS knows only the
# stock kernel), and put where modprobe finds it for the debug kernel's release; the
# marker /opt/sklookup/debug-kernel tells the guest tests so.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

out="$top/build/tests/debug"
mkdir -p "$out"
dir="$SKL_CACHE/debug-kernel"
broot="$dir/buildroot"
root="$dir/root"
stock="$SKL_CACHE/roots/6.1"
# The suite runs several times slower than on the stock kernels under the checkers.
timeout_s=${SKL_GUEST_TIMEOUT:-5400}

prepare() {
	set -e
	"$here/mkroot.sh" 6.1
	tree=$("$here/debug-kernel.sh")
	key=$(basename "$tree")
	release=$(cat "$tree/release")
	skl_log "debug kernel: $release, built in $(cat "$tree/build-seconds")s when it was built"

	# The copy of the stock root is refreshed when that root was rebuilt. The stock
	# kernel, its modules and headers and anything DKMS did there are left out.
	if ! cmp -s "$stock/.sklookup-recipe" "$root/.sklookup-recipe" 2>/dev/null; then
		skl_log "debug kernel: copying the 6.1 root to $root"
		rm -rf "$root" "$root.new"
		cp -a "$stock" "$root.new"
		rm -rf "$root.new"/boot/* "$root.new"/lib/modules/* "$root.new"/usr/src/* \
			"$root.new"/var/lib/dkms/sklookup
		mv "$root.new" "$root"
	fi

	# The working tree as git would commit it (as tests/vm/install.sh copies it).
	local src="$broot/build/sklookup-src"
	rm -rf "$src" "$root/opt/sklookup" "$root"/lib/modules/*
	mkdir -p "$src" "$root/opt/sklookup/src"
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$top/$f" ] && printf '%s\0' "$f"; done |
		tar -C "$top" --null -T - -cf - | tar -C "$src" -xf -
	cp -a "$src/." "$root/opt/sklookup/src/"
	cp -a "$top/tests/guest" "$root/opt/sklookup/tests"
	echo "$release" >"$root/opt/sklookup/debug-kernel"

	local log="$out/install.log"
	skl_log "debug kernel: building sklookup against $release"
	# Also the fault-injection test build, which 58-faults loads by hand (as install.sh
	# makes it for the stock kernels).
	skl_chroot "$broot" sh -ec "
		rm -rf /build/sklookup-fault
		cp -a /build/sklookup-src /build/sklookup-fault
		make -C /build/sklookup-src module KDIR=/build/$key/linux
		make -C /build/sklookup-fault module KDIR=/build/$key/linux SKL_FAULT_INJECTION=y
	" >"$log" 2>&1 || { tail -n 40 "$log" >&2; skl_die "debug kernel: building the module failed (log: $log)"; }
	mkdir -p "$root/lib/modules"
	cp -a "$tree/staging/lib/modules/$release" "$root/lib/modules/"
	rm -f "$root/lib/modules/$release/build" "$root/lib/modules/$release/source"
	install -D -m 0644 "$src/sklookup.ko" "$root/lib/modules/$release/extra/sklookup.ko"
	install -D -m 0644 "$broot/build/sklookup-fault/sklookup.ko" "$root/opt/sklookup/fault/sklookup.ko"
	rm -rf "$broot/build/sklookup-fault"
	skl_chroot "$root" sh -ec "
		depmod -a $release
		make -C /opt/sklookup/src/userspace
		install -m 0755 /opt/sklookup/src/userspace/sklookupctl /usr/local/sbin/sklookupctl
	" >>"$log" 2>&1 || { tail -n 40 "$log" >&2; skl_die "debug kernel: installing into the root failed (log: $log)"; }
	cp "$tree/linux/arch/x86/boot/bzImage" "$out/bzImage"
}

boot() {
	local img="$out/root.img" size_mb append rc=0
	rm -f "$out/console.log" "$out/results.txt"
	size_mb=$(( $(du -sm "$root" | cut -f1) + 768 ))
	rm -f "$img"
	mke2fs -q -t ext4 -F -L sklroot -E root_owner=0:0 -d "$root" "$img" "${size_mb}M" >/dev/null
	# The command line of tests/vm/boot.sh (a WARN is fatal, a panic ends QEMU); no
	# initramfs: virtio and ext4 are built into this kernel.
	append="console=ttyS0 root=/dev/vda rw init=/opt/sklookup/tests/init panic=-1 panic_on_warn=1"
	append="$append oops=panic softlockup_panic=1 net.ifnames=0 skl_tests=$1"
	skl_log "debug kernel: booting (timeout ${timeout_s}s)"
	# Single-threaded TCG, for the reason given in tests/vm/boot.sh.
	timeout --foreground -k 10 "$timeout_s" qemu-system-x86_64 \
		-accel "${SKL_QEMU_ACCEL:-tcg,thread=single}" -smp 2 -cpu max -m 2048 \
		-nographic -no-reboot -nodefaults \
		-kernel "$out/bzImage" -append "$append" \
		-drive "file=$img,format=raw,if=virtio,cache=unsafe" \
		-serial "file:$out/console.log" -serial "file:$out/results.txt" \
		-device virtio-rng-pci \
		</dev/null >"$out/qemu.log" 2>&1 || rc=$?
	rm -f "$img"
	[ "$rc" != 124 ] || echo "guest: timed out after ${timeout_s}s" >>"$out/results.txt"
}

passed=0
failed=0
tally() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) passed=$((passed + 1)); echo "ok - debug: ${line#ok - }" ;;
		"not ok - "*) failed=$((failed + 1)); echo "not ok - debug: ${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done
}

# A subshell of its own, not inside "if": set -e must stay in force in prepare.
(prepare) >"$out/prepare.log" 2>&1
prepared=$?
if [ "$prepared" != 0 ]; then
	cat "$out/prepare.log"
	echo "not ok - debug: kernel built and sklookup installed (see $out/prepare.log)" | tally
	echo "$passed passed, $failed failed"
	exit 1
fi
grep -v '^/' "$out/prepare.log" >&2
start=$(date +%s)
boot "$(echo "$*" | tr ' ' ',')"
skl_log "debug kernel: guest ran for $(( $(date +%s) - start ))s (console: $out/console.log)"

result=$(tr -d '\r' <"$out/results.txt")
if grep -q '^guest: done' <<<"$result"; then
	result+=$'\n'"ok - guest finished its tests"
else
	result+=$'\n'"not ok - guest finished its tests (see $out/console.log)"
	result+=$'\n'"$(tail -n 30 "$out/console.log" | sed 's/^/# console: /')"
fi
# The console has the whole kernel log, also what the guest could no longer report. The
# checkers' own reports: "BUG: KASAN", "BUG: KFENCE", lockdep's "WARNING: possible ...",
# "BUG: sleeping function called from invalid context", "WARNING: suspicious RCU usage".
# kmemleak's count lines are not a failure here: the guest judges the leaks itself, leaving
# out those of the boot (tests/guest/run).
splat='WARNING:|BUG:|Oops|Kernel panic|Call Trace'
if grep -qE "$splat" "$out/console.log" 2>/dev/null; then
	result+=$'\n'"not ok - console free of kernel reports"
	result+=$'\n'"$(grep -m10 -E "$splat" "$out/console.log" | tr -d '\r' | sed 's/^/# /')"
else
	result+=$'\n'"ok - console free of kernel reports"
fi
# Not in a pipeline: tally must count in this shell.
tally <<<"$result" >"$out/report.txt"
cat "$out/report.txt"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
