# The README's scenario blocks, run as a user would paste them, one after the other into
# one shell; each block's output must be the one the README shows after it. Runs in a
# namespace of its own so that its routes and servers go away.
. /opt/sklookup/tests/lib.sh

readme=/opt/sklookup/src/README.md
steps=/tmp/readme-steps
rm -rf "$steps" && mkdir -p "$steps"
# Each ```sh block after a scenario marker is a step (step-N.sh); the first ``` block after
# an output marker is what the step before it prints (step-N.want). A step without one
# must print nothing.
awk -v dir="$steps" '
	index($0, "<!-- scenario: tested by") == 1 { want = "sh"; next }
	index($0, "<!-- scenario output -->") == 1 { want = "out"; next }
	want != "" && !inside && ($0 == "```sh" && want == "sh" || $0 == "```" && want == "out") {
		inside = 1
		if (want == "sh")
			n++
		f = dir "/step-" n (want == "sh" ? ".sh" : ".want")
		printf "" > f
		next
	}
	inside && $0 == "```" { inside = 0; want = ""; close(f); next }
	inside { print > f }' "$readme"
n=$(ls "$steps"/step-*.sh 2>/dev/null | wc -l)

modprobe sklookup
check "the README has scenario blocks with rules and their output" \
	sh -c "[ $n -ge 2 ] && cat $steps/step-*.sh | grep -q add-rule && cat $steps/step-*.want | grep -q ."
# One script, as pasted: a line the test adds before each step splits the output again.
i=1
: >/tmp/scenario.sh
while [ "$i" -le "$n" ]; do
	echo "echo '@@ step $i'" >>/tmp/scenario.sh
	cat "$steps/step-$i.sh" >>/tmp/scenario.sh
	i=$((i + 1))
done
ip netns add readme
ip -n readme link set lo up
syn_retransmits() {
	ip netns exec readme python3 -c "import sys; sys.path.insert(0, '$T')
from testlib import syn_retransmits
print(syn_retransmits())"
}
syn_before=$(syn_retransmits)
ip netns exec readme sh -e /tmp/scenario.sh >/tmp/scenario.out 2>&1; rc=$?
resent=$(( $(syn_retransmits) - syn_before ))
expect "the README scenario runs to the end" 0 "$rc"
# A SYN that a client sent again (its SYN-ACK was late in this emulated guest) may be
# looked up again and count a hit more: then the hits printed are left to the check of
# the counts below.
[ "$resent" = 0 ] || echo "# $resent SYNs were sent again during the scenario"
mask() {
	if [ "$resent" = 0 ]; then cat; else sed 's/hits [0-9]*/hits N/'; fi
}
i=1
while [ "$i" -le "$n" ]; do
	want=$(cat "$steps/step-$i.want" 2>/dev/null | mask)
	got=$(awk -v s="@@ step $i" -v e="@@ step $((i + 1))" '
		$0 == s { on = 1; next } $0 == e { exit } on { print }' /tmp/scenario.out | mask)
	expect "the README scenario's step $i ($(grep -c . "$steps/step-$i.sh") lines) prints what the README shows" \
		"$want" "$got"
	i=$((i + 1))
done
# One connection each to a and b, two to the proxy: the rules may count, all together, as
# many more hits as SYNs were sent again, and not one more.
expect "the README scenario's rules count their hits, 1 1 2 (and no more than SYNs sent again)" "ok" \
	"$(ip netns exec readme sklookupctl -j show | python3 -c '
import json, sys
resent = int(sys.argv[1])
hits = [r["hits"] for r in json.load(sys.stdin)["rules"]]
want = [1, 1, 2]
ok = len(hits) == 3 and all(h >= w for h, w in zip(hits, want)) and sum(hits) - sum(want) <= resent
print("ok" if ok else f"hits {hits}, want {want} plus at most {resent} in all")' "$resent")"
pkill -f 'http.server --bind 127.0.0.1 --directory /tmp/www-' || true
ip netns del readme
unload
