# Several writers at once (apply, add/del, register/unregister, a socket restarted) under
# client traffic: no connection may land on a socket no rule in force allows.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/writers.py "${SKL_WRITERS_SECONDS:-30}"
unload
