# Allocation failures in the middle of a change (the test build's fault injection): the
# previous state survives each one.
. /opt/sklookup/tests/lib.sh

check "load the fault-injection test build" insmod /opt/sklookup/fault/sklookup.ko
check "the test build has the fault_nth parameter" test -f /sys/module/sklookup/parameters/fault_nth
check "the test build's self-tests passed at load" sh -c 'dmesg | grep -q "sklookup: self-tests passed"'
python3 $T/faults.py
# A rule with a word this sklookupctl does not know (words.py).
check "the test build has the fault_word parameter" test -f /sys/module/sklookup/parameters/fault_word
python3 $T/words.py
# A change of the rules between a hook's callback and its wrapper (swap.py).
check "the test build has the fault_pause_us parameter" \
	test -f /sys/module/sklookup/parameters/fault_pause_us
ip netns add swap
ip -n swap link set lo up
ip -n swap route add local 192.0.2.0/24 dev lo
ip netns exec swap python3 $T/swap.py
ip netns del swap
unload
