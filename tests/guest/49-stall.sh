# One namespace applies and flushes a million rules; another's requests must not wait for it.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/stall.py
unload
