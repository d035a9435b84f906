# Helpers for the guest tests. Each check prints one line, "ok - NAME" or "not ok - NAME",
# followed by "# " lines that say what went wrong.
# shellcheck shell=sh

T=/opt/sklookup/tests
NET="python3 $T/net.py"

pass() { echo "ok - $1"; }

fail() {
	echo "not ok - $1"
	shift
	[ $# -eq 0 ] || printf '%s\n' "$@" | sed 's/^/# /'
}

# check NAME COMMAND...: the check passes when COMMAND exits 0.
check() {
	_name=$1
	shift
	if _out=$("$@" 2>&1); then
		pass "$_name"
	else
		fail "$_name" "command: $*" "$(printf '%s\n' "$_out" | tail -n 8)"
	fi
}

# expect NAME WANT GOT: the check passes when the two strings are equal.
expect() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected: $2" "got:      $3"
	fi
}

# hook_calls HOOK: the call counter of one hook (tcp4, tcp6, udp4, udp6) from status -j.
hook_calls() {
	sklookupctl -j status | python3 -c '
import json, sys
doc = json.load(sys.stdin)
print(next(h["calls"] for h in doc["hooks"] if h["hook"] == sys.argv[1]))' "$1"
}

# hook_state HOOK: "active" or "off".
hook_state() {
	sklookupctl -j status | python3 -c '
import json, sys
doc = json.load(sys.stdin)
print(next(h["state"] for h in doc["hooks"] if h["hook"] == sys.argv[1]))' "$1"
}

unload() {
	if lsmod | grep -q '^sklookup '; then
		rmmod sklookup
	fi
}
