# sklookupctl explain: fixed rows for its text, then random rule sets and flows where it
# must name the socket that really receives each flow.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/explain.py
unload
