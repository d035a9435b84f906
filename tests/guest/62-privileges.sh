# Who may read: the rules, labels, explain and the events of a namespace need CAP_NET_ADMIN
# over the user namespace that owns it (as nftables asks to list); status is open but
# keeps the counters that add up every namespace for the host's administrator.
. /opt/sklookup/tests/lib.sh

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
refused() { echo "1 sklookupctl: $1: needs CAP_NET_ADMIN over the network namespace (Operation not permitted): run it as root, or as root of the user namespace that owns the namespace"; }
# keys: the keys of status -j's document, and of its first hook.
keys() {
	python3 -c 'import json, sys
d = json.load(sys.stdin)
print(" ".join(sorted(d)), "|", " ".join(sorted(d["hooks"][0])))'
}

modprobe sklookup
python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open("/tmp/privs.port", "w").write(str(s.getsockname()[1])); time.sleep(120)' &
server=$!
i=0
while [ ! -s /tmp/privs.port ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
pid_fd=$(ls -l /proc/$server/fd | awk '/socket:/ { print $9; exit }')
sklookupctl register label web fd "$pid_fd" pid $server
sklookupctl add-rule proto tcp dst 192.0.2.0/24 port 80 label web >/dev/null

for cmd in "show" "dump" "show label web" "explain proto tcp dst 192.0.2.1 port 80" "stats"; do
	# shellcheck disable=SC2086
	out=$(as_nobody sklookupctl $cmd 2>&1); rc=$?
	expect "an unprivileged user may not read: $cmd" "$(refused "${cmd%% *}")" "$rc $out"
done
out=$(as_nobody timeout 5 sklookupctl monitor 2>&1); rc=$?
expect "an unprivileged user may not listen to the events: monitor" "$(refused monitor)" "$rc $out"
# A user namespace's root has no CAP_NET_ADMIN over the host's network namespace.
out=$(as_nobody unshare -Ur sklookupctl show 2>&1); rc=$?
expect "root of a child user namespace may not read the host's namespace" "$(refused show)" "$rc $out"
out=$(as_nobody unshare -Ur timeout 5 sklookupctl monitor 2>&1); rc=$?
expect "root of a child user namespace may not listen to the host's namespace" \
	"$(refused monitor)" "$rc $out"

out=$(as_nobody sklookupctl -j status 2>&1); rc=$?
expect "an unprivileged user may read status, without the counters of all namespaces" \
	"0 hooks max_rules max_sockets version | active function hook state" \
	"$rc $(printf '%s' "$out" | keys)"
out=$(as_nobody sklookupctl status 2>&1); rc=$?
expect "status in text leaves out the calls and the objects line for an unprivileged user" \
	"0 0 1" "$rc $(printf '%s\n' "$out" | grep -c 'calls\|objects:') $(printf '%s\n' "$out" | grep -c '^limits: ')"
expect "root sees the counters of all namespaces in status" \
	"calls hook max_rules namespaces rules" \
	"$(sklookupctl -j status | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(" ".join(k for k in ("calls", "hook") if k in d["hooks"][0]), " ".join(k for k in ("max_rules", "namespaces", "rules") if k in d))')"
# The generation of a namespace's rules is for those who may read them: a user
# namespace's root sees its own namespace's.
out=$(as_nobody unshare -Urn sklookupctl -j status 2>&1); rc=$?
expect "root of a user namespace sees its own namespace's generation in status, not the counters" \
	"0 generation hooks max_rules max_sockets version" \
	"$rc $(printf '%s' "$out" | keys | cut -d'|' -f1 | sed 's/ $//')"

# Root of a user namespace that owns a network namespace reads and listens there.
out=$(as_nobody unshare -Urn sh -c '
	timeout 2 sklookupctl monitor; echo "monitor $?"
	sklookupctl -j show; echo "show $?"
	sklookupctl dump; echo "dump $?"
	sklookupctl show label web >/dev/null; echo "show label $?"
	sklookupctl explain proto tcp dst 192.0.2.1 port 80 >/dev/null; echo "explain $?"' 2>&1)
expect "root of a user namespace reads and listens in its own network namespace" \
	"monitor 124
{\"rules\":[],\"labels\":[]}
show 0
dump 0
show label 0
explain 0" "$out"

kill $server
wait $server 2>/dev/null
rm -f /tmp/privs.port
unload
