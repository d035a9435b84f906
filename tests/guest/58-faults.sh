# Allocation failures in the middle of a change (the test build's fault injection): the
# previous state survives each one.
. /opt/sklookup/tests/lib.sh

check "load the fault-injection test build" insmod /opt/sklookup/fault/sklookup.ko
check "the test build has the fault_nth parameter" test -f /sys/module/sklookup/parameters/fault_nth
check "the test build's self-tests passed at load" sh -c 'dmesg | grep -q "sklookup: self-tests passed"'
python3 $T/faults.py
unload
