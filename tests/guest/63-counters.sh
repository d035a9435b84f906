# Rule and label counters: exact across CPUs, never going back, new objects start at
# zero, and no per-CPU memory per rule or label.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/counters.py
unload
