#!/usr/bin/env bash
# Boot the benchmark root of kernel $1 (roots/KERNEL-bench, see mkroot-bench.sh) with the
# benchmark's own PID 1 (tests/bench/init), passing $3 to it; its figures (second serial
# port) go to results.txt and its console to console.log, both in $2.
#
# The guest's clock counts instructions (QEMU -icount): on a host shared with other
# guests, wall-clock throughput in an emulated guest swings by a factor of five as they
# come and go, while instructions per packet do not. A figure is then work done per
# virtual second, that is the inverse of the instructions each packet costs, which is
# what one configuration's ratio to another's is meant to compare. It does not see the
# cache misses of a large table (the host benchmark of the matcher does).
# SKL_BENCH_ICOUNT=off runs on the host's clock instead.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

kernel=${1:?usage: boot-bench.sh KERNEL OUTDIR [ARGS]}
out=${2:?usage: boot-bench.sh KERNEL OUTDIR [ARGS]}
args=${3:-}
root="$SKL_CACHE/roots/$kernel-bench"
[ -f "$root/.sklookup-recipe" ] || skl_die "$kernel: no bench root; run tests/vm/mkroot-bench.sh $kernel"
kver=$(basename "$(ls -d "$root"/lib/modules/*/ | head -n 1)")
timeout_s=${SKL_GUEST_TIMEOUT:-2400}
icount=${SKL_BENCH_ICOUNT:-shift=2,sleep=off}

vmlinuz=
for f in "$root/boot/vmlinuz-$kver" "$root/usr/lib/modules/$kver/vmlinuz"; do
	[ -f "$f" ] && { vmlinuz=$f; break; }
done
[ -n "$vmlinuz" ] || skl_die "$kernel: no kernel image for $kver in $root"
initrd="$root/boot/initrd.img-$kver"

mkdir -p "$out"
rm -f "$out/console.log" "$out/results.txt"
img="$out/root.img"
size_mb=$(( $(du -sm "$root" | cut -f1) + 768 ))
rm -f "$img"
mke2fs -q -t ext4 -F -L sklroot -E root_owner=0:0 -d "$root" "$img" "${size_mb}M" >/dev/null

# The figures' port and the machine per architecture, as in boot.sh: arm64's virt machine
# has one serial port, so the figures go to a virtio console there.
if [ "$(skl_arch_of "$kernel")" = arm64 ]; then
	skl_host_packages qemu-system-arm
	console="console=ttyAMA0 skl_report=/dev/hvc0"
	qemu=(qemu-system-aarch64 -machine virt -cpu max,pauth-impdef=on)
	ports=(-serial "file:$out/console.log" -device virtio-serial-pci
		-chardev "file,id=report,path=$out/results.txt" -device virtconsole,chardev=report)
else
	console=console=ttyS0
	qemu=(qemu-system-x86_64 -cpu max)
	ports=(-serial "file:$out/console.log" -serial "file:$out/results.txt")
fi

# As the test guests: any WARN is fatal, and one host thread for both vCPUs (see boot.sh);
# -icount needs single-threaded TCG anyway.
append="$console root=/dev/vda rw init=/opt/sklookup/src/tests/bench/init panic=-1"
append="$append panic_on_warn=1 oops=panic softlockup_panic=1 net.ifnames=0 skl_tests=$args"
# Under -icount the vCPUs take turns on one instruction clock anyway, so a second one
# adds nothing to measure (the workloads' threads share one CPU instead); and with two,
# this QEMU hangs bringing up the second.
clock=(-smp 2)
[ "$icount" = off ] || clock=(-icount "$icount" -smp 1)

skl_log "$kernel-bench: booting $kver (timeout ${timeout_s}s, icount ${icount})"
rc=0
timeout --foreground -k 10 "$timeout_s" "${qemu[@]}" \
	-accel tcg,thread=single "${clock[@]}" -m 2048 \
	-nographic -no-reboot -nodefaults \
	-kernel "$vmlinuz" -initrd "$initrd" -append "$append" \
	-drive "file=$img,format=raw,if=virtio,cache=unsafe" \
	"${ports[@]}" \
	-device virtio-rng-pci \
	</dev/null >"$out/qemu.log" 2>&1 || rc=$?
rm -f "$img"
echo "info clock $([ "$icount" = off ] && echo host || echo "icount $icount")" >>"$out/results.txt"
if [ "$rc" = 124 ]; then
	echo "bench: timed out after ${timeout_s}s" >>"$out/results.txt"
fi
exit 0
