# Ten load/unload cycles while traffic crosses every hooked lookup.
. /opt/sklookup/tests/lib.sh

$NET traffic 30 >/tmp/traffic.out 2>&1 &
traffic=$!
sleep 1
cycles=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	modprobe sklookup || break
	sleep 0.3
	rmmod sklookup || break
	sleep 0.2
	cycles=$i
done
expect "10 load/unload cycles under traffic" 10 "$cycles"
if wait "$traffic"; then
	pass "traffic unharmed by the cycles ($(cat /tmp/traffic.out))"
else
	fail "traffic unharmed by the cycles" "$(tail -n 5 /tmp/traffic.out)"
fi
unload
