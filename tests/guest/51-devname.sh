# dev NAME: a rule names a device, before it exists, across its deletion and renames.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/devname.py
unload
