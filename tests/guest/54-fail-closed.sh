# A steer rule whose label has no live socket: the kernel's lookup goes on (fail open),
# unless the rule says else drop (fail closed).
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/fail_closed.py
unload
