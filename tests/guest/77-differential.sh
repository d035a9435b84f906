# Random namespaces, rule sets and flows, sent for real: each flow must land where the
# independent model (model.py, written from the README) says, and where explain says.
# Seeded (SKL_DIFF_SEED); SKL_DIFF_FLOWS flows (make check 2,000, make fuzz 100,000).
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/differential.py
unload
