# A deleted namespace is really freed: the module does not keep it alive.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/netns.py
sklookupctl status | grep objects | sed 's/^/# /'
unload
