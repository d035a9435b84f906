# Other ftrace users on the hooked functions: BPF trampolines, kprobes, tracers; and other
# deciders of the same lookups: BPF sk_lookup, nftables TPROXY, another IP-modifying module.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/coexist.py
unload
modprobe sklookup
python3 $T/coexist_peers.py
unload
if lsmod | grep -q '^skl_ipmodify '; then
	rmmod skl_ipmodify
fi
