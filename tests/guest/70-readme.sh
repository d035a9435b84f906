# The README's scenario block, run as a user would paste it; its output must be the one
# the README shows. Runs in a namespace of its own so that its routes and servers go away.
. /opt/sklookup/tests/lib.sh

readme=/opt/sklookup/src/README.md
# The first sh block after the marker, and the first plain block after the output marker.
block() {
	awk -v mark="$1" -v fence="$2" '
		index($0, mark) == 1 { found = 1; next }
		found && !inside && $0 == fence { inside = 1; next }
		inside && $0 == "```" { exit }
		inside { print }' "$readme"
}
block '<!-- scenario: tested by' '```sh' >/tmp/scenario.sh
block '<!-- scenario output -->' '```' >/tmp/scenario.want

modprobe sklookup
check "the README has a scenario block and its output" \
	sh -c 'grep -q "add-rule" /tmp/scenario.sh && [ -s /tmp/scenario.want ]'
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
expect "the README scenario prints what the README says" "$(cat /tmp/scenario.want)" \
	"$(grep -v '^[0-9]*$' /tmp/scenario.out)"
# One connection each to a and b, two to the proxy. A SYN that a client sent again (its
# SYN-ACK was late in this emulated guest) may be looked up again: the rules may count,
# all together, as many more hits as SYNs were sent again, and not one more.
[ "$resent" = 0 ] || echo "# $resent SYNs were sent again during the scenario"
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
