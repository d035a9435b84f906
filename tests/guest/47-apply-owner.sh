# apply's staged set belongs to its socket, not to a port id; commit's generation check.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/apply_owner.py
unload
