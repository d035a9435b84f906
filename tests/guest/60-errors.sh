# Refusals as users read them, privileges, and registering by pid and from systemd.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/errors.py
unload
