# Redirect rules: the kernel's own lookup of another address, for services that never
# hand their socket over.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/redirect.py
unload
