# A kernel whose lookups take their arguments elsewhere than the hooks read them is refused
# at load, with one line naming the function and the kernel, and nothing stays hooked. The
# test build reads one function's arguments one place off (skew_call, skew_btf), as such a
# kernel would pass them; a normal load says that it verified the layout.
. /opt/sklookup/tests/lib.sh

kver=$(uname -r)
version=$(cat /opt/sklookup/src/VERSION)
ko=/opt/sklookup/fault/sklookup.ko
ours='inet6?_lookup_listener|__udp[46]_lib_lookup'

# The kernel log since the last mark, without timestamps.
mark() { mark=$(dmesg | wc -l); }
since_mark() { dmesg | tail -n +$((mark + 1)) | sed 's/^\[[^]]*\] //'; }

# refused NAME PARAM WANT: insmod of the test build with PARAM fails with "Operation not
# supported", the kernel log has exactly the line WANT, and nothing of the module is left.
refused() {
	mark
	out=$(insmod $ko "$2" 2>&1); rc=$?
	expect "$1: insmod fails" "1" "$([ $rc -ne 0 ] && echo 1 || echo 0)"
	case $out in
	*"Operation not supported"*) pass "$1: insmod says the operation is not supported" ;;
	*) fail "$1: insmod says the operation is not supported" "got: $out" ;;
	esac
	got=$(since_mark | grep '^sklookup: ' |
		grep -v -e 'self-tests passed$' -e 'taints kernel\.$' -e 'tainting kernel$')
	expect "$1: the one line in the kernel log" "$3" "$got"
	check "$1: the module is not loaded" sh -c "! lsmod | grep -q '^sklookup '"
	check "$1: ftrace has none of our functions" \
		sh -c "! grep -E '$ours' /sys/kernel/tracing/enabled_functions"
	# Loaded when it should not have: out of the way of the next checks.
	unload
}

# Where the kernel has no BTF the line says what was not checked. insmod takes hook=ops;
# modprobe takes what its configuration says, hook=direct with SKL_HOOK=direct, whose
# check calls through a direct hook.
if [ -f /sys/kernel/btf/vmlinux ]; then
	how="by a call through a hook and against the kernel's BTF"
else
	how="by a call through a hook; parameter names not checked: no /sys/kernel/btf/vmlinux"
fi
how_modprobe=$how
modprobe -c | grep -q '^options sklookup .*hook=direct' &&
	how_modprobe=$(echo "$how" | sed 's/through a hook/through a direct hook/')

mark
check "modprobe sklookup verifies the layout" modprobe sklookup
expect "the layout line of a normal load (four lookups)" \
	"sklookup: argument layout of 4 lookups verified $how_modprobe" \
	"$(since_mark | grep '^sklookup: argument layout')"
expect "after the check, all four hooks active" "active active active active" \
	"$(hook_state tcp4) $(hook_state tcp6) $(hook_state udp4) $(hook_state udp6)"
unload
mark
check "modprobe sklookup hook_ipv6=0" modprobe sklookup hook_ipv6=0
expect "the layout line with hook_ipv6=0 (two lookups)" \
	"sklookup: argument layout of 2 lookups verified $how_modprobe" \
	"$(since_mark | grep '^sklookup: argument layout')"
unload

# The lines name where the first argument arrives: a register of the calling convention.
case $(uname -m) in
aarch64) arg1=x0 ;;
*) arg1=%rdi ;;
esac

# The last function checked, so the three before it passed through the check's own hook.
refused "skew_call=__udp6_lib_lookup" skew_call=__udp6_lib_lookup \
	"sklookup: kernel $kver not supported: __udp6_lib_lookup does not pass argument 1 (net) in $arg1, where sklookup $version reads it; not loading"
refused "skew_call=__inet_lookup_listener" skew_call=__inet_lookup_listener \
	"sklookup: kernel $kver not supported: __inet_lookup_listener does not pass argument 1 (net) in $arg1, where sklookup $version reads it; not loading"

# The second parameter: the listener table, which 7.x no longer passes.
case $kver in
5.* | 6.*) second=hashinfo ;;
*) second=skb ;;
esac
[ -f /sys/kernel/btf/vmlinux ] &&
	refused "skew_btf=inet6_lookup_listener" skew_btf=inet6_lookup_listener \
		"sklookup: kernel $kver not supported: argument 1 of inet6_lookup_listener is '$second', where sklookup $version reads 'net' from $arg1 (from the kernel's BTF); not loading"

# Nothing was left behind: the test build loads, passes its checks and steers as usual.
mark
check "the test build loads after the refusals" insmod $ko
expect "its layout line" \
	"sklookup: argument layout of 4 lookups verified $how" \
	"$(since_mark | grep '^sklookup: argument layout')"
before=$(hook_calls udp4)
python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", 9))'
after=$(hook_calls udp4)
check "a UDP lookup reaches the hook after the refusals ($before, then $after)" \
	test "$after" -gt "$before"
unload

# dkms build on a kernel that lacks what the build-time probes look for: one line that
# names the kernel and what it lacks. tests/vm/install.sh ran it in this root, on a copy
# of the source under another version with the two probes of the UDP lookups failed on
# purpose (SKL_PROBE_FAIL), and kept its exit status and make.log here.
d=/opt/sklookup/probe-refusal
# The debug kernel (tests/vm/run-debug.sh) is not built by DKMS.
[ -f /opt/sklookup/debug-kernel ] && exit 0
expect "dkms build fails on a kernel the probes do not know" 1 \
	"$([ "$(cat $d/rc 2>/dev/null)" != 0 ] && [ -f $d/rc ] && echo 1 || echo 0)"
want="sklookup: kernel $kver not supported: it lacks __udp4_lib_lookup() and __udp6_lib_lookup() with the arguments sklookup reads (probes UDP_LIB_LOOKUP_TABLE, UDP_LIB_LOOKUP_NETNS failed); SKL_PROBE_DEBUG=1 shows the compiler's errors"
check "dkms's make.log has the one line naming the kernel and what it lacks" \
	grep -qxF "$want" $d/make.log
check "and no compiler error from the module's own sources" \
	sh -c "! grep -E 'module/[a-z]+\.c:[0-9]+:[0-9]+: error' $d/make.log"
check "dkms build's own output points at that make.log" grep -q 'make\.log' $d/out
