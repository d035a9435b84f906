# The module's memory is charged to the caller's memory cgroup: a large apply over the
# cgroup's limit is refused cleanly, changes nothing and kills nobody.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/memcg.py
unload
