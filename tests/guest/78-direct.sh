# hook=direct: the lookups hooked by ftrace direct calls to the module's own trampolines
# (x86-64). The check at load goes through them, ftrace lists them as the direct callers
# of the four lookups, the steering table of 40-steer passes, and rmmod under traffic
# leaves nothing behind (direct.py). arm64 has no trampoline yet: hook=direct is refused
# there with one line, and nothing stays loaded.
. /opt/sklookup/tests/lib.sh

kver=$(uname -r)
version=$(cat /opt/sklookup/src/VERSION)
ko=/opt/sklookup/fault/sklookup.ko
mark() { mark=$(dmesg | wc -l); }
since_mark() { dmesg | tail -n +$((mark + 1)) | sed 's/^\[[^]]*\] //'; }
ours() { grep -E '^(__inet_lookup_listener|inet6_lookup_listener|__udp[46]_lib_lookup) ' \
	/sys/kernel/tracing/enabled_functions; }

# refused NAME PARAMS WANT: modprobe with PARAMS fails, and the kernel log has the line WANT.
refused() {
	mark
	# shellcheck disable=SC2086
	if modprobe sklookup $2 2>/dev/null; then
		fail "$1: modprobe fails"
		unload
		return
	fi
	pass "$1: modprobe fails"
	expect "$1: the line in the kernel log" "$3" "$(since_mark | grep "^sklookup: hook=")"
	check "$1: the module is not loaded" sh -c "! lsmod | grep -q '^sklookup '"
	check "$1: ftrace has none of our functions" sh -c "! ours"
}

refused "hook=bogus" hook=bogus "sklookup: hook=bogus: unknown; say hook=ops or hook=direct"

if [ "$(uname -m)" = aarch64 ]; then
	refused "hook=direct on arm64" hook=direct \
		"sklookup: hook=direct not available: sklookup has no direct-call trampoline for this architecture yet; load with hook=ops"
	exit 0
fi
# On PREEMPT_RT the module's own lookups would have to run with preemption off to keep the
# CPU their note is on, and the kernel's lookups may take sleeping locks there.
if uname -v | grep -q PREEMPT_RT; then
	refused "hook=direct on PREEMPT_RT" hook=direct \
		"sklookup: hook=direct not available: the kernel is PREEMPT_RT, where the lookups sklookup calls itself would run with preemption off; load with hook=ops"
	exit 0
fi

if [ -f /sys/kernel/btf/vmlinux ]; then
	how="by a call through a direct hook and against the kernel's BTF"
else
	how="by a call through a direct hook; parameter names not checked: no /sys/kernel/btf/vmlinux"
fi

# The check at load runs through a direct trampoline too: a skewed read is refused there.
mark
if insmod $ko hook=direct skew_call=__udp6_lib_lookup 2>/dev/null; then
	fail "hook=direct with skew_call: insmod fails"
	unload
else
	pass "hook=direct with skew_call: insmod fails"
fi
expect "hook=direct with skew_call: the check's line" \
	"sklookup: kernel $kver not supported: __udp6_lib_lookup does not pass argument 1 (net) in %rdi, where sklookup $version reads it; not loading" \
	"$(since_mark | grep 'not supported')"
check "hook=direct with skew_call: ftrace has none of our functions" sh -c "! ours"

mark
check "modprobe sklookup hook=direct" modprobe sklookup hook=direct
expect "the hook parameter reads direct" direct "$(cat /sys/module/sklookup/parameters/hook)"
expect "the layout line says the check went through a direct hook" \
	"sklookup: argument layout of 4 lookups verified $how" \
	"$(since_mark | grep '^sklookup: argument layout')"
expect "the load line says hook=direct" \
	"sklookup: lookups hooked by ftrace direct calls to the module's trampolines (hook=direct)" \
	"$(since_mark | grep '^sklookup: lookups hooked')"
expect "all four hooks active" "active active active active" \
	"$(hook_state tcp4) $(hook_state tcp6) $(hook_state udp4) $(hook_state udp6)"
for pair in __inet_lookup_listener:tcp4 inet6_lookup_listener:tcp6 \
	__udp4_lib_lookup:udp4 __udp6_lib_lookup:udp6; do
	fn=${pair%:*} tramp=skl_direct_${pair#*:}
	check "ftrace calls $tramp directly at $fn" sh -c \
		"grep -A1 '^$fn ' /sys/kernel/tracing/enabled_functions | grep -q 'direct-->$tramp+'"
done
before=$(hook_calls udp4)
python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", 9))'
after=$(hook_calls udp4)
check "a UDP lookup reaches the direct hook ($before, then $after)" test "$after" -gt "$before"

python3 $T/steer.py
python3 $T/direct.py
unload

# A kretprobe already on a lookup when the module loads: it replaces the return address
# the check's call would be known by, so the check must know its own call otherwise.
kprobes=/sys/kernel/tracing/kprobe_events
echo 'r:skl_preload_ret __udp4_lib_lookup' >>$kprobes
echo 1 >/sys/kernel/tracing/events/kprobes/skl_preload_ret/enable
mark
check "modprobe sklookup hook=direct with a kretprobe already on __udp4_lib_lookup" \
	modprobe sklookup hook=direct
expect "with the kretprobe: the layout line" \
	"sklookup: argument layout of 4 lookups verified $how" \
	"$(since_mark | grep -E '^sklookup: (argument layout|kernel .* not supported)')"
unload
echo 0 >/sys/kernel/tracing/events/kprobes/skl_preload_ret/enable
echo '-:skl_preload_ret' >>$kprobes
