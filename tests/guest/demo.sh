# What "make demo" shows: the module installed by DKMS and loaded, then the README's
# scenario blocks pasted into a shell: two web servers sharing port 80 on disjoint prefixes and
# a proxy taking every port of an address, each request answered by the right server.
. /opt/sklookup/tests/lib.sh

say() { printf '\n$ %s\n' "$*"; sh -c "$*" 2>&1; }
say "dkms status sklookup"
say "modprobe sklookup"
say "grep -E 'lookup' /sys/kernel/tracing/enabled_functions"

# Every ```sh block after a scenario marker, in order, as one script (70-readme runs the same).
awk 'index($0, "<!-- scenario: tested by") == 1 { found = 1; next }
	found && !inside && $0 == "```sh" { inside = 1; next }
	inside && $0 == "```" { inside = 0; found = 0; next }
	inside { print }' /opt/sklookup/src/README.md >/tmp/scenario.sh
printf '\n$ # the README scenario blocks, as pasted into a shell (sh -v echoes each line)\n'
sh -ev /tmp/scenario.sh 2>&1
say "sklookupctl stats --prometheus"
say "sklookupctl status"
pkill -f 'http.server --bind 127.0.0.1 --directory /tmp/www-' || true
say "rmmod sklookup"
