# Steering: the README's scenarios, precedence, drop, closed sockets, flush.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/steer.py
unload
