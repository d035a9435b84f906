# Who may change what: CAP_NET_ADMIN over the namespace changed, and a namespace that an
# unprivileged user created (owned by its own user namespace) only with allow_userns=1.
. /opt/sklookup/tests/lib.sh

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
p=/sys/module/sklookup/parameters

modprobe sklookup
expect "allow_userns is off by default" N "$(cat $p/allow_userns)"
check "an unprivileged user can make its own user and network namespace" \
	as_nobody unshare -Urn true

out=$(as_nobody unshare -Urn sklookupctl add-rule proto tcp dst 192.0.2.0/24 drop 2>&1); rc=$?
expect "allow_userns=0: a change in a user-owned namespace is refused (exit 1)" 1 "$rc"
expect "allow_userns=0: the refusal says why" \
	"sklookupctl: add-rule: this network namespace belongs to a user namespace other than the initial one; the module parameter allow_userns is off (Operation not permitted); the host's root turns it on with 'echo 1 >/sys/module/sklookup/parameters/allow_userns'" \
	"$out"
out=$(as_nobody unshare -Urn sklookupctl -j show 2>&1); rc=$?
expect "allow_userns=0: reading a user-owned namespace is allowed" '0 {"rules":[],"labels":[]}' "$rc $out"

echo 1 >$p/allow_userns
out=$(as_nobody unshare -Urn sh -c '
	sklookupctl add-rule proto tcp dst 192.0.2.0/24 port 80 drop >/dev/null &&
	sklookupctl dump' 2>&1); rc=$?
expect "allow_userns=1: the user manages its own namespace's rules" \
	"0 proto tcp dst 192.0.2.0/24 port 80 drop" "$rc $out"
out=$(as_nobody unshare -Urn python3 $T/userns_steer.py 2>&1); rc=$?
expect "allow_userns=1: a socket registered in the user's namespace receives its traffic" \
	"0 steered" "$rc $(printf '%s' "$out" | tail -n 1)"
out=$(as_nobody sklookupctl add-rule proto tcp dst 192.0.2.0/24 drop 2>&1); rc=$?
expect "allow_userns=1: the user still cannot change the initial namespace" \
	"1 sklookupctl: add-rule: needs CAP_NET_ADMIN over the network namespace (Operation not permitted): run it as root, or as root of the user namespace that owns the namespace" "$rc $out"
expect "the initial namespace has none of the user's rules" "" "$(sklookupctl dump)"

echo 3 >$p/max_rules
out=$(printf 'proto tcp dst 10.0.0.%s port 80 drop\n' 1 2 3 4 |
	as_nobody unshare -Urn sklookupctl apply - 2>&1); rc=$?
expect "allow_userns=1: the per-namespace limits hold for the user" \
	"1 sklookupctl: apply: -:4: this namespace holds max_rules rules (a module parameter) (No space left on device)" \
	"$rc $out"
echo 1048576 >$p/max_rules

# Every namespace the user made is gone: nothing of them may stay in the module.
i=0
while [ "$(sklookupctl -j status | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["namespaces"] + d["rules"] + d["labels"] + d["sockets"] + d["staged"])')" != 0 ] && [ $i -lt 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
expect "the user's namespaces left nothing behind (namespaces, rules, labels, sockets, staged)" \
	"0 0 0 0 0" "$(sklookupctl -j status | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["namespaces"], d["rules"], d["labels"], d["sockets"], d["staged"])')"
echo 0 >$p/allow_userns
unload
