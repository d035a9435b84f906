# A label's pick while other sockets of the label change state: a flood for the label
# must never reach the kernel's catch-all socket (issue 16, defect 9). The race needs
# vCPUs that really run at once: it shows under SKL_QEMU_ACCEL=tcg,thread=multi (67 of
# 40,000 datagrams on 6.1 before the fix), seldom under the default single-threaded TCG.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/pick.py
unload
