# Semantics at the edges: ICMP errors reach their sender, ::ffff:0.0.0.0 is a wildcard for
# IPv4, and drop answers as the kernel's no-socket path does.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/edges.py
unload
