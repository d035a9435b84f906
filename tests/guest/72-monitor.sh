# sklookupctl monitor prints each change as it happens, and stats --prometheus prints the
# counters in a form Prometheus' own parser reads, with the values of the traffic sent.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/monitor.py
python3 $T/metrics.py

# started DIR NAME: wait until the monitor writing DIR/NAME.out prints its first line,
# each try flushing (no) rules of the namespace sklts, which says "rules flushed".
started() {
	_i=0
	while [ ! -s "$1/$2.out" ] && [ $_i -lt 100 ]; do
		sklookupctl -n sklts flush
		sleep 0.1
		_i=$((_i + 1))
	done
}
d=$(mktemp -d)
ip netns add sklts
# monitor -t: each line starts with the time it was read, as "ip -ts monitor" prints it.
sklookupctl -n sklts monitor -t >$d/text.out 2>$d/text.err &
text=$!
sklookupctl -n sklts -j monitor --timestamp >$d/json.out 2>$d/json.err &
json=$!
# And one in the initial namespace, which has no rules to flush: it sees nothing.
sklookupctl monitor >$d/top.out 2>$d/top.err &
top=$!
started $d text
started $d json
stamp='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}'
check "monitor -t: '[DATE.USEC] rules flushed'" \
	grep -qE "^\\[$stamp\\] rules flushed\$" $d/text.out
check "monitor -j -t: the time is the object's first member, \"time\"" \
	sh -c "head -n 1 $d/json.out | grep -qE '^\\{\"time\":\"$stamp\",\"event\":\"rules_flushed\",\"rules\":0\\}\$'"

# Unloading the module ends every monitor, with a message and exit status 1: before, a
# monitor kept waiting for events that could no longer come.
sleep 1	# the monitor of the initial namespace has joined its groups
check "rmmod sklookup with monitors running" rmmod sklookup
ended=
for pid in $text $json $top; do
	_i=0
	while kill -0 $pid 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	if kill -0 $pid 2>/dev/null; then
		kill $pid
		ended="$ended running"
	else
		wait $pid
		ended="$ended $?"
	fi
done
expect "every monitor (namespace text, JSON, initial namespace) ended with exit 1" \
	" 1 1 1" "$ended"
gone="sklookupctl: monitor: the sklookup module was unloaded; no more events will come"
expect "each monitor said why it ended, on stderr" "$gone|$gone|$gone" \
	"$(cat $d/text.err)|$(cat $d/json.err)|$(cat $d/top.err)"
ip netns del sklts
rm -rf "$d"
unload
