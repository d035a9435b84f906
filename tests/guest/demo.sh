# What "make demo" shows: the module installed by DKMS, loaded, hooked, counting lookups.
. /opt/sklookup/tests/lib.sh

say() { printf '\n$ %s\n' "$*"; sh -c "$*" 2>&1; }
say "dkms status sklookup"
say "modprobe sklookup"
say "grep -E 'lookup' /sys/kernel/tracing/enabled_functions"
say "python3 $T/net.py echo tcp 4 && python3 $T/net.py echo udp 6 && echo 'TCP and UDP round trips: ok'"
say "sklookupctl status"
say "sklookupctl -j status"
say "rmmod sklookup"
