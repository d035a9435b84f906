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
ip netns exec readme sh -e /tmp/scenario.sh >/tmp/scenario.out 2>&1; rc=$?
expect "the README scenario runs to the end" 0 "$rc"
expect "the README scenario prints what the README says" "$(cat /tmp/scenario.want)" \
	"$(grep -v '^[0-9]*$' /tmp/scenario.out)"
# One connection each to a and b, two to the proxy; a SYN sent again because its
# SYN-ACK was late in this emulated guest may be looked up again: one more is allowed.
expect "the README scenario's rules count their hits" "ok" \
	"$(ip netns exec readme sklookupctl -j show | python3 -c '
import json, sys
hits = [r["hits"] for r in json.load(sys.stdin)["rules"]]
print("ok" if all(w <= h <= w + 1 for h, w in zip(hits, (1, 1, 2))) and len(hits) == 3
      else f"hits {hits}, want 1 1 2")')"
pkill -f 'http.server --bind 127.0.0.1 --directory /tmp/www-' || true
ip netns del readme
unload
