# sklookupctl monitor prints each change as it happens, and stats --prometheus prints the
# counters in a form Prometheus' own parser reads, with the values of the traffic sent.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/monitor.py
python3 $T/metrics.py
unload
