# Regressions: each row is a defect found once (issue numbers in regressions.py), kept so
# that it cannot come back.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/regressions.py
unload
