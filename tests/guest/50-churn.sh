# Rules and sockets replaced under a client loop; unloading with everything in place.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/churn.py
unload
