# Teardown at scale: loads and unloads holding rules and a socket each time, and
# namespaces made with rules and a registered socket, then left: none may stay pinned.
# make check runs 50 cycles and 300 namespaces on every kernel; make fuzz runs 100 and
# 1,000 (SKL_TEARDOWN_CYCLES, SKL_TEARDOWN_NAMESPACES).
. /opt/sklookup/tests/lib.sh

ip route replace local 192.0.2.0/24 dev lo
start=$(date +%s)
python3 $T/teardown.py cycles "${SKL_TEARDOWN_CYCLES:-50}"
echo "# the cycles took $(( $(date +%s) - start ))s"
modprobe sklookup
start=$(date +%s)
python3 $T/teardown.py namespaces "${SKL_TEARDOWN_NAMESPACES:-300}"
echo "# the namespaces took $(( $(date +%s) - start ))s"
unload
