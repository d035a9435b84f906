# UDP replies from the address the client sent to (IP_PKTINFO / IPV6_RECVPKTINFO).
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/replies.py
unload
