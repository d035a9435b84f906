# apply and dump: the whole rule set at once, 100,000 rules.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/apply.py
unload
