# What "make demo" shows: the module installed by DKMS and loaded, then the README's
# scenario pasted into a shell: two web servers sharing port 80 on disjoint prefixes and
# a proxy taking every port of an address, each request answered by the right server.
. /opt/sklookup/tests/lib.sh

say() { printf '\n$ %s\n' "$*"; sh -c "$*" 2>&1; }
say "dkms status sklookup"
say "modprobe sklookup"
say "grep -E 'lookup' /sys/kernel/tracing/enabled_functions"

awk 'index($0, "<!-- scenario: tested by") == 1 { found = 1; next }
	found && !inside && $0 == "```sh" { inside = 1; next }
	inside && $0 == "```" { exit }
	inside { print }' /opt/sklookup/src/README.md >/tmp/scenario.sh
printf '\n$ # the README scenario, as pasted into a shell (sh -v echoes each line)\n'
sh -ev /tmp/scenario.sh 2>&1
say "sklookupctl show -s"
say "sklookupctl stats --prometheus"
say "sklookupctl status"
pkill -f 'http.server --bind 127.0.0.1 --directory /tmp/www-' || true
say "rmmod sklookup"
