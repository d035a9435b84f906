# Registering the sockets of running, unmodified daemons by pid, and the README's two
# scenarios over a real path: a client namespace reaches the server namespace through a
# veth pair; the server treats 192.0.2.0/24, 198.51.100.0/24 and 2001:db8:1::/64 as local.
#
# The scenarios take the step that makes the servers reachable as an argument, and run
# twice: with sockets registered by pid and label rules, and with redirect rules to the
# addresses where the daemons listen (scenario_webs SETUP, scenario_proxy SETUP).
. /opt/sklookup/tests/lib.sh

d=/tmp/register-pid
ctl() { sklookupctl -n srv "$@"; }
srv() { ip netns exec srv "$@"; }
cli() { ip netns exec cli "$@"; }
# get URL: the body the client receives, or curl's complaint.
get() { cli curl -sS --noproxy '*' --max-time 30 "$1" 2>&1; }
# tcp_answer ADDR PORT: what a TCP server that is not HTTP answers the client.
tcp_answer() {
	cli python3 -c '
import socket, sys
try:
    with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30) as s:
        print(s.makefile().read().strip())
except OSError as err:
    print(err)' "$1" "$2"
}
# udp_answer ADDR PORT: the answer to a datagram "ping" from the client. Not connected: the
# answer comes from the port of the socket that took the datagram, not the one dialled.
udp_answer() {
	cli python3 -c '
import socket, sys
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
s.settimeout(30)
s.sendto(b"ping", (sys.argv[1], int(sys.argv[2])))
try:
    print(s.recv(512).decode())
except OSError as err:
    print(err)' "$1" "$2"
}
# wait_listen PORT: until something in srv listens on TCP PORT (bounded: a broken server
# fails the checks that follow, it does not hang the run).
wait_listen() {
	_i=0
	until srv ss -Hltn "sport = :$1" | grep -q . || [ $_i -ge 300 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}
# listen_fd PORT: the descriptor of the TCP listener on PORT in srv, as ss sees it.
listen_fd() { srv ss -Hltnp "sport = :$1" | sed -n 's/.*,fd=\([0-9]*\)).*/\1/p'; }
# ready_fd FILE KIND: a descriptor pidsocks.py reported.
ready_fd() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
wait_file() {
	_i=0
	until [ -f "$1" ] || [ $_i -ge 300 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}
# Every rule and label of srv gone, so that each scenario starts from nothing.
reset_steering() {
	ctl flush
	for _l in $(ctl -j show | python3 -c '
import json, sys
print(" ".join(l["name"] for l in json.load(sys.stdin)["labels"]))'); do
		ctl unregister label "$_l"
	done
}
labels_sockets() {
	ctl -j show | python3 -c '
import json, sys
print(" ".join(l["name"] + ":" + str(len(l["sockets"])) for l in json.load(sys.stdin)["labels"]))'
}

modprobe sklookup
rm -rf $d
mkdir -p $d
for site in web1 web2 proxied; do
	mkdir -p $d/$site
	echo "this is $site" >$d/$site/index.html
done

ip netns add srv
ip netns add cli
ip -n srv link set lo up
ip -n cli link set lo up
ip link add veth-srv netns srv type veth peer name veth-cli netns cli
ip -n srv addr add 203.0.113.1/24 dev veth-srv
ip -n cli addr add 203.0.113.2/24 dev veth-cli
ip -n srv addr add 2001:db8:ff::1/64 dev veth-srv nodad
ip -n cli addr add 2001:db8:ff::2/64 dev veth-cli nodad
ip -n srv link set veth-srv up
ip -n cli link set veth-cli up
ip -n srv route add local 192.0.2.0/24 dev lo
ip -n srv route add local 198.51.100.0/24 dev lo
ip -n srv -6 route add local 2001:db8:1::/64 dev lo
ip -n cli route add 192.0.2.0/24 via 203.0.113.1
ip -n cli route add 198.51.100.0/24 via 203.0.113.1
ip -n cli -6 route add 2001:db8:1::/64 via 2001:db8:ff::1

# The daemons, started the ordinary way: two web servers, a web server behind a TCP proxy.
ip netns exec srv python3 -m http.server --bind 127.0.0.1 --directory $d/web1 8081 >/dev/null 2>&1 &
web1=$!
ip netns exec srv python3 -m http.server --bind 127.0.0.1 --directory $d/web2 8082 >/dev/null 2>&1 &
web2=$!
ip netns exec srv python3 -m http.server --bind 127.0.0.1 --directory $d/proxied 8083 >/dev/null 2>&1 &
proxied=$!
ip netns exec srv socat TCP-LISTEN:9000,bind=127.0.0.1,fork,reuseaddr TCP:127.0.0.1:8083 >/dev/null 2>&1 &
proxy=$!
for port in 8081 8082 8083 9000; do
	wait_listen $port
done
expect "the daemons run as themselves (python3 python3 socat)" "python3 python3 socat" \
	"$(cat /proc/$web1/comm /proc/$web2/comm /proc/$proxy/comm | tr '\n' ' ' | sed 's/ $//')"
expect "without steering the client reaches nothing on 192.0.2.10:80" \
	"curl: (7)" "$(get http://192.0.2.10/ | cut -c1-9)"

# --- The two web servers sharing port 80 on disjoint prefixes ---------------------------

# Set-up by label: each server's sockets registered by pid, a rule per prefix.
webs_by_label() {
	out=$(ctl register label web1 pid "$web1" 2>&1)
	expect "register by pid prints the web server's one socket" \
		"tcp 127.0.0.1:8081 fd $(listen_fd 8081)" "$out"
	out=$(ctl register label web2 pid "$web2" 2>&1)
	expect "register by pid prints the other web server's socket" \
		"tcp 127.0.0.1:8082 fd $(listen_fd 8082)" "$out"
	ctl add-rule proto tcp dst 192.0.2.0/24 port 80 label web1 >/dev/null
	ctl add-rule proto tcp dst 198.51.100.0/24 port 80 label web2 >/dev/null
}

scenario_webs() {
	"$1"
	expect "$1: 192.0.2.10:80 reaches web1" "this is web1" "$(get http://192.0.2.10/)"
	expect "$1: 198.51.100.20:80 reaches web2" "this is web2" "$(get http://198.51.100.20/)"
	expect "$1: 192.0.2.200:80 reaches web1" "this is web1" "$(get http://192.0.2.200/)"
	expect "$1: 198.51.100.99:80 reaches web2" "this is web2" "$(get http://198.51.100.99/)"
	expect "$1: 192.0.2.10:81, which no rule covers, reaches nothing" \
		"curl: (7)" "$(get http://192.0.2.10:81/ | cut -c1-9)"
	reset_steering
}

# --- A TCP proxy taking every port of 198.51.100.1 --------------------------------------

proxy_by_label() {
	out=$(ctl register label proxy pid "$proxy" 2>&1)
	expect "register by pid prints socat's listening socket" \
		"tcp 127.0.0.1:9000 fd $(listen_fd 9000)" "$out"
	ctl register label web2 pid "$web2" >/dev/null
	ctl add-rule proto tcp dst 198.51.100.1 port any label proxy >/dev/null
	ctl add-rule proto tcp dst 198.51.100.0/24 port 80 label web2 >/dev/null
}

scenario_proxy() {
	"$1"
	# Random ports, named in the checks so that a failure can be repeated.
	for port in 80 1 65535 $(python3 -c 'import random; print(*random.sample(range(2, 65535), 4))'); do
		expect "$1: 198.51.100.1:$port reaches the web server behind the proxy" \
			"this is proxied" "$(get http://198.51.100.1:$port/)"
	done
	expect "$1: 198.51.100.2:80 still reaches web2 (the proxy has one address)" \
		"this is web2" "$(get http://198.51.100.2/)"
	reset_steering
}

scenario_webs webs_by_label
scenario_proxy proxy_by_label

# The same with redirect rules: nothing is registered; each new connection is looked up
# again at the address where its daemon listens.
webs_by_redirect() {
	ctl add-rule proto tcp dst 192.0.2.0/24 port 80 redirect 127.0.0.1:8081 >/dev/null
	ctl add-rule proto tcp dst 198.51.100.0/24 port 80 redirect 127.0.0.1:8082 >/dev/null
	expect "redirect: the module holds no socket of the web servers" "" "$(labels_sockets)"
}

proxy_by_redirect() {
	ctl add-rule proto tcp dst 198.51.100.1 port any redirect 127.0.0.1:9000 >/dev/null
	ctl add-rule proto tcp dst 198.51.100.0/24 port 80 redirect 127.0.0.1:8082 >/dev/null
}

scenario_webs webs_by_redirect
scenario_proxy proxy_by_redirect

# --- Choosing among the sockets of one process --------------------------------------------

ip netns exec srv python3 $T/pidsocks.py multi 7000 $d/multi.ready >/dev/null 2>&1 &
multi=$!
wait_file $d/multi.ready
r=$d/multi.ready
tcp4=$(ready_fd $r tcp4) tcp6=$(ready_fd $r tcp6) udp4=$(ready_fd $r udp4)

out=$(ctl register label dns pid "$multi" proto udp local 127.0.0.1:7053 2>&1)
expect "proto udp local 127.0.0.1:7053 takes that one socket" "udp 127.0.0.1:7053 fd $udp4" "$out"
out=$(ctl register label v6 pid "$multi" local "[::1]:7002" 2>&1)
expect "local [::1]:7002 takes the IPv6 listener" "tcp [::1]:7002 fd $tcp6" "$out"
out=$(ctl register label v4 pid "$multi" proto tcp local 127.0.0.1 2>&1)
expect "proto tcp local 127.0.0.1 takes the IPv4 listener once, not its second descriptor" \
	"tcp 127.0.0.1:7001 fd $tcp4" "$out"
expect "the three labels hold one socket each" "dns:1 v6:1 v4:1" "$(labels_sockets)"

ctl add-rule proto udp dst 192.0.2.53 port 53 label dns >/dev/null
ctl add-rule proto tcp dst 2001:db8:1::/64 port 443 label v6 >/dev/null
ctl add-rule proto tcp dst 192.0.2.0/24 port 22 label v4 >/dev/null
expect "a datagram to 192.0.2.53:53 reaches the UDP socket taken by pid" \
	"multi udp 7053 got ping" "$(udp_answer 192.0.2.53 53)"
expect "a connection to [2001:db8:1::7]:443 reaches the IPv6 listener taken by pid" \
	"multi tcp 7002" "$(tcp_answer 2001:db8:1::7 443)"
expect "a connection to 192.0.2.9:22 reaches the IPv4 listener taken by pid" \
	"multi tcp 7001" "$(tcp_answer 192.0.2.9 22)"

out=$(ctl register label none pid "$multi" proto tcp local 127.0.0.1:7999 2>&1); rc=$?
expect "no match: exit 1 and the sockets the process has instead" \
	"1 sklookupctl: register: pid $multi has no listening TCP socket on 127.0.0.1:7999; it has: tcp 127.0.0.1:7001, tcp [::1]:7002, udp 127.0.0.1:7053, udp [::1]:7053" \
	"$rc $out"
out=$(ctl register label none pid "$multi" proto udp local "[::1]:7054" 2>&1); rc=$?
expect "no match (UDP, IPv6): the error names what was asked" \
	"1 sklookupctl: register: pid $multi has no bound UDP socket on [::1]:7054; it has: tcp 127.0.0.1:7001, tcp [::1]:7002, udp 127.0.0.1:7053, udp [::1]:7053" \
	"$rc $out"
out=$(ctl register label all pid "$multi" 2>&1); rc=$?
expect "a socket registered already is refused before anything changes" \
	"1 sklookupctl: register: tcp 127.0.0.1:7001 (fd $tcp4 of pid $multi) is registered already, under label 'v4'" \
	"$rc $out"
expect "the refused registration left no label 'all'" "dns:1 v6:1 v4:1" "$(labels_sockets)"
out=$(sklookupctl register label web pid "$web1" 2>&1); rc=$?
expect "a process of another namespace: the error says where to run" \
	"1 sklookupctl: register: pid $web1 has no listening TCP or bound UDP socket in this network namespace; it is in another one: run sklookupctl there (-n NAME, or nsenter --net=/proc/$web1/ns/net)" \
	"$rc $out"
reset_steering

# Every socket of a process at once: the ones that could be registered, each once.
ip netns exec srv python3 $T/pidsocks.py every 7100 $d/every.ready >/dev/null 2>&1 &
every=$!
wait_file $d/every.ready
r=$d/every.ready
out=$(ctl register label every pid "$every" 2>&1)
expect "without filters: every listener and bound UDP socket, one line each, lowest fd first" \
	"tcp 127.0.0.1:7101 fd $(ready_fd $r tcp4)
tcp [::1]:7102 fd $(ready_fd $r tcp6)
udp 127.0.0.1:7153 fd $(ready_fd $r udp4)
udp [::1]:7153 fd $(ready_fd $r udp6)" "$out"
expect "the label holds the four" "every:4" "$(labels_sockets)"
ctl unregister label every
out=$(ctl -j register label every pid "$every" proto tcp 2>&1)
expect "-j: a JSON array of the sockets registered" \
	"tcp inet 127.0.0.1 7101 $(ready_fd $r tcp4) | tcp inet6 ::1 7102 $(ready_fd $r tcp6)" \
	"$(printf '%s' "$out" | python3 -c '
import json, sys
print(" | ".join(" ".join(str(s[k]) for k in ("proto", "family", "addr", "port", "fd"))
                 for s in json.load(sys.stdin)))' 2>&1)"
reset_steering

# --- Registering fails half way: at max_sockets ---------------------------------------------

p=/sys/module/sklookup/parameters
old_max=$(cat $p/max_sockets)
ip netns exec srv python3 $T/pidsocks.py half 7200 $d/half.ready >/dev/null 2>&1 &
half=$!
wait_file $d/half.ready
r=$d/half.ready
# Room for two: the third of the four fails, and the first two are released again.
echo 2 >$p/max_sockets
out=$(ctl register label half pid "$half" 2>&1); rc=$?
expect "at max_sockets into a new label: all or nothing, and the error says so" \
	"1 sklookupctl: register: udp 127.0.0.1:7253 (fd $(ready_fd $r udp4) of pid $half): this namespace holds max_sockets sockets (a module parameter) (No space left on device); the 2 registered before it were released again" \
	"$rc $out"
expect "nothing of the failed registration stays" "" "$(labels_sockets)"
# A label with a socket of its own cannot be released alone: what was added stays, and the
# error and the printed lines say which.
ctl register label half pid "$web1" >/dev/null
out=$(ctl register label half pid "$half" 2>/dev/null); rc=$?
err=$(ctl register label half2 pid "$half" 2>&1 >/dev/null)
expect "at max_sockets into a label with sockets: the one registered is printed" \
	"1 tcp 127.0.0.1:7201 fd $(ready_fd $r tcp4)" "$rc $out"
expect "at max_sockets into a label with sockets: it stays registered" "half:2" "$(labels_sockets)"
expect "registering a socket registered already fails before the limit is reached" \
	"sklookupctl: register: tcp 127.0.0.1:7201 (fd $(ready_fd $r tcp4) of pid $half) is registered already, under label 'half'" \
	"$err"
ctl unregister label half
echo 3 >$p/max_sockets
ctl register label keep pid "$web2" >/dev/null
err=$(ctl register label keep pid "$half" 2>&1 >/dev/null)
expect "the partial failure names what stays" \
	"sklookupctl: register: udp 127.0.0.1:7253 (fd $(ready_fd $r udp4) of pid $half): this namespace holds max_sockets sockets (a module parameter) (No space left on device); the 2 registered before it stay under label 'keep', which had sockets of its own" \
	"$err"
echo "$old_max" >$p/max_sockets
reset_steering

# --- Bad pids and permissions ----------------------------------------------------------------

sh -c 'exit 0' &
gone=$!
wait $gone
out=$(ctl register label web pid "$gone" 2>&1); rc=$?
expect "a process that is gone" "1 sklookupctl: register: pid $gone: No such process" "$rc $out"
out=$(ctl register label web pid x 2>&1); rc=$?
expect "a pid that is not a number" "2 sklookupctl: register: pid 'x': must be a process id" "$rc $out"
thread=$(ready_fd $d/every.ready thread)
out=$(ctl register label web pid "$thread" 2>&1); rc=$?
expect "the id of a thread, not a process: the error names the process" \
	"1 sklookupctl: register: pid $thread: a thread of process $every, not a process" "$rc $out"
out=$(srv setpriv --reuid=65534 --regid=65534 --clear-groups \
	sklookupctl register label web pid "$web1" 2>&1); rc=$?
expect "another user's process: its descriptors cannot be read" \
	"1 sklookupctl: register: pid $web1: cannot read its file descriptors (/proc/$web1/fd): Permission denied" \
	"$rc $out"
# The user's own process, which Yama's ptrace_scope=1 lets only its parent take from.
yama=/proc/sys/kernel/yama/ptrace_scope
if [ -w $yama ]; then
	old_scope=$(cat $yama)
	mkdir -m 0777 $d/nobody
	ip netns exec srv setpriv --reuid=65534 --regid=65534 --clear-groups \
		python3 $T/pidsocks.py nobody 7300 $d/nobody/ready >/dev/null 2>&1 &
	nobody=$!
	wait_file $d/nobody/ready
	echo 1 >$yama
	out=$(srv setpriv --reuid=65534 --regid=65534 --clear-groups \
		sklookupctl register label web pid "$nobody" proto udp local 127.0.0.1 2>&1); rc=$?
	echo "$old_scope" >$yama
	expect "pidfd_getfd refused (EPERM): the error names the descriptor and what is needed" \
		"1 sklookupctl: register: fd $(ready_fd $d/nobody/ready udp4) of pid $nobody: Operation not permitted (taking another process's descriptor needs ptrace access to it)" \
		"$rc $out"
	expect "nothing was registered by the refused user" "" "$(labels_sockets)"
	kill "$nobody"
else
	fail "Yama's ptrace_scope is there to refuse pidfd_getfd" "no $yama"
fi

kill "$web1" "$web2" "$proxied" "$proxy" "$multi" "$every" "$half" 2>/dev/null
wait 2>/dev/null
ip netns del cli
ip netns del srv
unload
