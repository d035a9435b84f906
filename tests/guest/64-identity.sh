# A rule keeps its id and counters across apply; the same rule is never in force twice;
# del-rule by the rule's words.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/identity.py
unload
