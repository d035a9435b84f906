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

# Guest $1 runs the tests named in $2 (comma-separated; empty for all) with its files in
# $out/guest-$1.
boot() {
	local g="$out/guest-$1" img append rc=0
	rm -rf "$g"
	mkdir -p "$g"
	img="$g/root.img"
	skl_make_image "$root" "$img"
	# The command line of tests/vm/boot.sh (a WARN is fatal, a panic ends QEMU); no
	# initramfs: virtio and ext4 are built into this kernel. no5lvl: "-cpu max" offers
	# 5-level paging, and one boot in five or so KASAN reported a wild-memory-access in
	# the timer interrupt's spin lock 13 ms into boot, long before the module: the
	# interrupt came while identify_cpu had the boot CPU's feature bits cleared, so
	# KASAN took the 5-level direct map address for a 4-level one. 4-level paging has
	# no such window, and the stock guests, without KASAN, are not affected.
	append="console=ttyS0 root=/dev/vda rw init=/opt/sklookup/tests/init panic=-1 panic_on_warn=1"
	append="$append oops=panic softlockup_panic=1 net.ifnames=0 no5lvl skl_tests=$2"
	skl_log "debug kernel: guest $1 booting (timeout ${timeout_s}s): ${2:-all tests}"
	# Single-threaded TCG, for the reason given in tests/vm/boot.sh.
	timeout --foreground -k 10 "$timeout_s" qemu-system-x86_64 \
		-accel "${SKL_QEMU_ACCEL:-tcg,thread=single}" -smp 2 -cpu max -m 2048 \
		-nographic -no-reboot -nodefaults \
		-kernel "$out/bzImage" -append "$append" \
		-drive "file=$img,format=raw,if=virtio,cache=unsafe" \
		-serial "file:$g/console.log" -serial "file:$g/results.txt" \
		-device virtio-rng-pci \
		</dev/null >"$g/qemu.log" 2>&1 || rc=$?
	rm -f "$img"
	[ "$rc" != 124 ] || echo "guest: timed out after ${timeout_s}s" >>"$g/results.txt"
}

# The suite is split over $guests guests side by side, each on one host thread, as
# tests/run runs two stock kernels: under the checkers the whole suite takes about 100
# minutes in one guest. The split balances the seconds each test took in the last debug
# run (kept in the cache); a test without a time counts as the average of those known, or
# 48-apply, the longest by far, as 1,800 s and the others as 200 s when none is known.
times="$dir/test-seconds"
split_tests() {
	local n=$1
	shift
	python3 - "$n" "$times" "$@" <<'PY'
import os, sys
n, times, names = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
known = {}
if os.path.exists(times):
    for line in open(times):
        name, secs = line.split()
        known[name] = int(secs)
default = sum(known.values()) // len(known) if known else None
def weight(name):
    if name in known:
        return known[name]
    if default is not None:
        return default
    return 1800 if name == "48-apply" else 200
# Longest first, each to the guest with the least so far; each guest keeps the suite's order.
loads = [[0, []] for _ in range(n)]
for name in sorted(names, key=weight, reverse=True):
    least = min(loads, key=lambda load: load[0])
    least[0] += weight(name)
    least[1].append(name)
for load in loads:
    print(",".join(sorted(load[1])))
PY
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

# Named tests run in one guest, in the order given.
guests=${SKL_DEBUG_GUESTS:-2}
if [ $# -gt 0 ]; then
	parts=("$(echo "$*" | tr ' ' ',')")
else
	all=("$top"/tests/guest/[0-9]*.sh)
	all=("${all[@]##*/}")
	mapfile -t parts < <(split_tests "$guests" "${all[@]%.sh}")
fi
start=$(date +%s)
for i in "${!parts[@]}"; do
	boot "$((i + 1))" "${parts[$i]}" &
done
wait
skl_log "debug kernel: the guests ran for $(( $(date +%s) - start ))s (consoles: $out/guest-*/console.log)"

result=""
for i in "${!parts[@]}"; do
	g="$out/guest-$((i + 1))"
	result+=$'\n'"# guest $((i + 1)): ${parts[$i]}"
	result+=$'\n'"$(tr -d '\r' <"$g/results.txt" 2>/dev/null)"
	if grep -q '^guest: done' "$g/results.txt" 2>/dev/null; then
		result+=$'\n'"ok - guest $((i + 1)) finished its tests"
	else
		result+=$'\n'"not ok - guest $((i + 1)) finished its tests (see $g/console.log)"
		result+=$'\n'"$(tail -n 30 "$g/console.log" | tr -d '\r' | sed 's/^/# console: /')"
	fi
	# The console has the whole kernel log, also what the guest could no longer report.
	# The checkers' own reports: "BUG: KASAN", "BUG: KFENCE", lockdep's "WARNING:
	# possible ...", "BUG: sleeping function called from invalid context", "WARNING:
	# suspicious RCU usage". kmemleak's count lines are not a failure here: the guest
	# judges the leaks itself, leaving out those of the boot (tests/guest/run).
	splat='WARNING:|BUG:|Oops|Kernel panic|Call Trace'
	if grep -qE "$splat" "$g/console.log" 2>/dev/null; then
		result+=$'\n'"not ok - guest $((i + 1)): console free of kernel reports"
		result+=$'\n'"$(grep -m10 -E "$splat" "$g/console.log" | tr -d '\r' | sed 's/^/# /')"
	else
		result+=$'\n'"ok - guest $((i + 1)): console free of kernel reports"
	fi
done

# What each test took, for the next run's split (a test that did not finish keeps its time).
{
	[ -f "$times" ] && cat "$times"
	cat "$out"/guest-*/results.txt 2>/dev/null | tr -d '\r' |
		sed -n 's/^# \([0-9][0-9]*-[a-z0-9-]*\) took \([0-9]*\)s$/\1 \2/p'
} | awk '{ t[$1] = $2 } END { for (n in t) print n, t[n] }' | sort >"$times.new" && mv "$times.new" "$times"

# Not in a pipeline: tally must count in this shell.
tally <<<"$result" >"$out/report.txt"
cat "$out/report.txt"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
