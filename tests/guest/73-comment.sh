# A rule's comment end to end: the printers, dump | apply -, the module's refusals of a bad
# one sent raw, and Prometheus' series that stay the same across an apply.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/comment.py
unload
