# Per-namespace limits: module parameters, refused when invalid, enforced, shown by status.
. /opt/sklookup/tests/lib.sh

p=/sys/module/sklookup/parameters

for bad in max_rules=0 max_rules=16777217 max_sockets=abc; do
	modprobe sklookup "$bad" >/dev/null 2>&1; rc=$?
	expect "modprobe sklookup $bad is refused" 1 "$rc"
	check "the kernel log says why $bad is refused" \
		sh -c "dmesg | grep -qF 'sklookup: $bad refused: give a number from 1 to'"
	check "not loaded after $bad" sh -c "! lsmod | grep -q '^sklookup '"
done

check "modprobe sklookup with default limits" modprobe sklookup
expect "default max_rules and max_sockets in sysfs" "1048576 4096" "$(cat $p/max_rules) $(cat $p/max_sockets)"
check "modinfo describes max_rules and max_sockets" \
	sh -c "modinfo -F parm sklookup | grep -q '^max_rules:Most rules' &&
	       modinfo -F parm sklookup | grep -q '^max_sockets:Most sockets'"
unload

check "modprobe sklookup max_rules=100 max_sockets=2" modprobe sklookup max_rules=100 max_sockets=2
expect "status shows the limits" "limits: max_rules 100 max_sockets 2" \
	"$(sklookupctl status | grep '^limits:')"
expect "status -j shows the limits" "100 2" "$(sklookupctl -j status | python3 -c '
import json, sys
doc = json.load(sys.stdin)
print(doc["max_rules"], doc["max_sockets"])')"

python3 $T/limits.py

out=$(sh -c "echo 0 > $p/max_rules" 2>&1); rc=$?
expect "writing max_rules=0 at run time is refused" 1 "$rc"
expect "max_rules keeps its value after a refused write" 100 "$(cat $p/max_rules)"
check "the kernel log says why the write was refused" \
	sh -c "dmesg | grep -qF 'sklookup: max_rules=0 refused: give a number from 1 to 16777216'"
check "max_rules can be raised at run time" sh -c "echo 200 > $p/max_rules"
expect "status follows the new limit" "limits: max_rules 200 max_sockets 2" \
	"$(sklookupctl status | grep '^limits:')"
unload
