#!/usr/bin/env bash
# Boot kernel $1's cached root (with sklookup installed by install.sh) in QEMU and run the
# guest tests. The guest's console goes to console.log, its test report (second serial
# port) to results.txt, both in $2. A guest that hangs is killed after SKL_GUEST_TIMEOUT
# seconds.
# For the package tests, which boot one image twice with systemd (tests/vm/run-package.sh):
# SKL_ROOT boots another root than the kernel's cached one; SKL_IMAGE names the disk image
# (default OUTDIR/root.img); SKL_IMAGE_KEEP=1 keeps it after QEMU exits and
# SKL_IMAGE_REUSE=1 boots the kept one as the guest left it; SKL_INIT is the guest's PID 1
# (default the test init); SKL_APPEND adds to the kernel command line. SKL_HOOK=direct
# has every modprobe of sklookup in the guest take hook=direct (the test init writes it to
# modprobe.d), so that the whole suite runs on the direct-call hook.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

kernel=${1:?usage: boot.sh KERNEL OUTDIR [GUEST-TEST-ARGS]}
out=${2:?usage: boot.sh KERNEL OUTDIR [GUEST-TEST-ARGS]}
guest_args=${3:-}
root=${SKL_ROOT:-$SKL_CACHE/roots/$kernel}
kver=$(basename "$(ls -d "$root"/lib/modules/*/ | head -n 1)")
timeout_s=${SKL_GUEST_TIMEOUT:-2400}

vmlinuz=
for f in "$root/boot/vmlinuz-$kver" "$root/usr/lib/modules/$kver/vmlinuz"; do
	[ -f "$f" ] && { vmlinuz=$f; break; }
done
[ -n "$vmlinuz" ] || skl_die "$kernel: no kernel image for $kver in $root"
initrd="$root/boot/initrd.img-$kver"
[ -f "$initrd" ] || skl_die "$kernel: no initramfs $initrd"

mkdir -p "$out"
rm -f "$out/console.log" "$out/results.txt"
img=${SKL_IMAGE:-$out/root.img}
if [ "${SKL_IMAGE_REUSE:-0}" = 1 ]; then
	[ -f "$img" ] || skl_die "$kernel: no image $img to boot again"
else
	skl_make_image "$root" "$img"
fi

# arm64 guests: QEMU's virt machine, whose one serial port (ttyAMA0) is the console; the
# report goes to a virtio console (hvc0) instead of a second serial port.
arch=$(skl_arch_of "$kernel")
if [ "$arch" = arm64 ]; then
	skl_host_packages qemu-system-arm
	console=ttyAMA0
	# pauth-impdef: the emulated pointer authentication with a cheap hash, not QARMA.
	qemu=(qemu-system-aarch64 -machine virt -cpu max,pauth-impdef=on)
	report=(-device virtio-serial-pci -chardev "file,id=report,path=$out/results.txt"
		-device virtconsole,chardev=report)
	SKL_APPEND="skl_report=/dev/hvc0${SKL_APPEND:+ $SKL_APPEND}"
else
	console=ttyS0
	qemu=(qemu-system-x86_64 -cpu max)
	report=(-serial "file:$out/results.txt")
fi

# panic_on_warn: any WARN is fatal, so a splat cannot pass unnoticed; panic=-1 with
# -no-reboot turns a panic into QEMU exiting.
append="console=$console root=/dev/vda rw init=${SKL_INIT:-/opt/sklookup/tests/init} panic=-1 panic_on_warn=1"
append="$append oops=panic softlockup_panic=1 net.ifnames=0 skl_tests=$guest_args${SKL_HOOK:+ skl_hook=$SKL_HOOK}${SKL_APPEND:+ $SKL_APPEND}"

# One host thread for all vCPUs. With multi-threaded TCG, a vCPU sometimes executes an
# int3 that ftrace's live patching has already replaced (seen on 5.10 as a soft lockup and
# on 6.12 as "Oops: int3" at a hooked function's ftrace site, while loading and unloading
# the module under traffic): the emulator does not keep cross-modifying code coherent the
# way the kernel's int3 + IPI patching protocol relies on. Run guests side by side instead.
accel=${SKL_QEMU_ACCEL:-tcg,thread=single}

skl_log "$kernel: booting $kver (timeout ${timeout_s}s, $accel)"
rc=0
timeout --foreground -k 10 "$timeout_s" "${qemu[@]}" \
	-accel "$accel" -smp 2 -m 2048 \
	-nographic -no-reboot -nodefaults \
	-kernel "$vmlinuz" -initrd "$initrd" -append "$append" \
	-drive "file=$img,format=raw,if=virtio,cache=unsafe" \
	-serial "file:$out/console.log" "${report[@]}" \
	-device virtio-rng-pci \
	</dev/null >"$out/qemu.log" 2>&1 || rc=$?
[ "${SKL_IMAGE_KEEP:-0}" = 1 ] || rm -f "$img"
if [ "$rc" = 124 ]; then
	echo "guest: timed out after ${timeout_s}s" >>"$out/results.txt"
fi
exit 0
