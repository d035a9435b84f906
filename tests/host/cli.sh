#!/usr/bin/env bash
# sklookupctl's command line without a kernel module: each row runs one command line and
# checks its exit status and the first line it prints (stdout and stderr together).
# On the host the sklookup family never exists, which is what the "not loaded" rows test.
set -u
ctl=${SKLOOKUPCTL:-$(dirname "$0")/../../userspace/sklookupctl}
top=$(cd "$(dirname "$0")/../.." && pwd)
version=$(cat "$top/VERSION")
not_loaded="sklookupctl: the sklookup module is not loaded: try 'systemctl start sklookup' (which also applies /etc/sklookup/rules.conf) or 'modprobe sklookup'"

# verdict NAME WHAT WANT_RC WANT GOT_RC GOT: the check's line; WHAT names the output compared.
verdict() {
	# A name with control characters (the label rows) is shown with '?' for them.
	set -- "$(printf '%s' "$1" | LC_ALL=C tr '\000-\037\177-\377' '?')" "${@:2}"
	if [ "$5" = "$3" ] && [ "$6" = "$4" ]; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		echo "# expected exit $3, $2: $4"
		echo "# got exit $5, $2: $6"
	fi
}

# whole WANT_RC WANT_OUTPUT NAME COMMAND...: COMMAND (which runs $ctl itself, behind an
# input or output of its own) exits WANT_RC and prints exactly WANT_OUTPUT, stdout and
# stderr together. For apply, one line and no "not loaded" after it: netlink was never
# opened.
whole() {
	local want_rc=$1 want_out=$2 name=$3 rc out
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	verdict "$name" output "$want_rc" "$want_out" "$rc" "$out"
}
row() {
	local want_rc=$1 want_line=$2 rc out
	shift 2
	out=$("$ctl" "$@" 2>&1 </dev/null)
	rc=$?
	verdict "sklookupctl $*" "first line" "$want_rc" "$want_line" "$rc" "${out%%$'\n'*}"
}

row 0 "Usage: sklookupctl [OPTIONS] COMMAND [ARGUMENTS]" --help
row 0 "Usage: sklookupctl [OPTIONS] COMMAND [ARGUMENTS]" -h
row 0 "sklookupctl $version" --version
row 0 "sklookupctl $version" -V
row 2 "Usage: sklookupctl [OPTIONS] COMMAND [ARGUMENTS]"
row 2 "sklookupctl: unknown command 'frobnicate'; try 'sklookupctl --help'" frobnicate
row 2 "sklookupctl: unknown option '-x'; try 'sklookupctl --help'" -x status
row 2 "sklookupctl: unknown option '--frob'; try 'sklookupctl --help'" --frob status
row 2 "sklookupctl: option '-n' needs an argument" -n
row 2 "sklookupctl: option '--netns' needs an argument" --netns
row 2 "sklookupctl: status: unexpected argument 'now'" status now
row 1 "$not_loaded" status
row 1 "$not_loaded" -j status
# -n takes a name of ip netns or, with a '/', the path of a namespace file (as nsenter).
row 1 "sklookupctl: netns 'sklookup-no-such-ns': no such namespace (no /run/netns/sklookup-no-such-ns; 'ip netns list' lists them)" \
	-n sklookup-no-such-ns status
row 1 "sklookupctl: netns '..': not a namespace name; give a name of 'ip netns list' or a path" -n .. status
# A relative path that exists nowhere (../x did, seen from a clone in /tmp, whose /tmp/x
# was a directory: the row depended on where the tree was).
row 1 "sklookupctl: netns '../sklookup-no-such-ns/net': No such file or directory" \
	-n ../sklookup-no-such-ns/net status
row 1 "sklookupctl: netns '/proc/2147483647/ns/net': No such file or directory" \
	-n /proc/2147483647/ns/net status
row 1 "sklookupctl: netns '/etc/hostname': not a network namespace" -n /etc/hostname status
row 1 "sklookupctl: netns '/proc/self/ns/uts': not a network namespace" -n /proc/self/ns/uts status
# A path that is a network namespace is entered: then the module is asked.
row 1 "$not_loaded" -n /proc/self/ns/net status
row 1 "$not_loaded" --netns "/proc/$$/ns/net" show
# Entering another process's namespace needs privilege; the error says which.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$ctl" -n "/proc/$$/ns/net" status 2>&1)
	verdict "sklookupctl -n /proc/PID/ns/net status, unprivileged" "output" 1 \
		"sklookupctl: netns '/proc/$$/ns/net': entering a network namespace needs CAP_SYS_ADMIN (Permission denied)" \
		"$?" "$out"
else
	echo "ok - sklookupctl -n /proc/PID/ns/net status, unprivileged # skip: not root or no setpriv"
fi

# help: the list of commands on stdout with exit 0; each command's own help, the same by
# 'help COMMAND', 'COMMAND --help' and 'COMMAND -h', with its usage line and an example.
row 0 "Usage: sklookupctl [OPTIONS] COMMAND [ARGUMENTS]" help
row 2 "sklookupctl: help: unknown command 'frob'; try 'sklookupctl help'" help frob
row 2 "sklookupctl: help: unexpected argument 'show'; try 'sklookupctl help COMMAND'" help add-rule show
# Every command of --help's list, in order (a command missing from this line fails).
commands="add-rule del-rule show flush apply dump fmt register unregister restore status explain monitor stats version help"
got=$("$ctl" --help | sed -n '/^Commands:/,/^$/p' | grep -oE '^  [a-z-]+' | tr -d ' ' | tr '\n' ' ')
verdict "sklookupctl --help lists every command" "commands" 0 "$commands " 0 "$got"
for c in $commands; do
	want=$("$ctl" help "$c")
	synopsis=$(printf '%s\n' "$want" | head -n 1)
	case $synopsis in
	"Usage: sklookupctl [OPTIONS] $c"*) ;;
	*) synopsis="(no usage line: $synopsis)" ;;
	esac
	example=$(printf '%s\n' "$want" | sed -n '/^Example:$/{n;p;}')
	case $example in
	"  sklookupctl $c"*) example=ok ;;
	esac
	verdict "sklookupctl help $c: usage line and an example of $c" "usage, example" 0 \
		"${synopsis%%"$c"*}$c ok" 0 "${synopsis%%"$c"*}$c $example"
	for h in --help -h; do
		out=$("$ctl" "$c" "$h" 2>&1); rc=$?
		[ "$out" = "$want" ] && out=same
		verdict "sklookupctl $c $h is sklookupctl help $c, on stdout" "output" 0 same "$rc" "$out"
	done
done
# Options before the command and words before --help do not change it.
out=$("$ctl" -j -n sklookup-no-such-ns register label web --help 2>/dev/null); rc=$?
[ "$out" = "$("$ctl" help register)" ] && out=same
verdict "sklookupctl -j -n NS register label web --help" "stdout" 0 same "$rc" "$out"

# README.md's usage block is --help's output, line for line.
readme_usage=$(awk '/^## Use$/ { use = 1; next } use && /^```$/ { if (inblock) exit; inblock = 1; next }
	inblock { print }' "$top/README.md")
out=$("$ctl" --help)
if [ "$readme_usage" = "$out" ]; then
	echo "ok - README.md's usage block is sklookupctl --help"
else
	echo "not ok - README.md's usage block is sklookupctl --help"
	diff <(printf '%s\n' "$readme_usage") <(printf '%s\n' "$out") | sed 's/^/# /'
fi

# version: sklookupctl's and the module's, from /sys/module/sklookup/version.
whole 0 "sklookupctl $version
module not loaded" "sklookupctl version (no module)" "$ctl" version
whole 0 "{\"sklookupctl\":\"$version\",\"module_loaded\":false}" \
	"sklookupctl -j version (no module)" "$ctl" -j version
row 2 "sklookupctl: version: unexpected argument 'module'" version module
# A module of another version, faked in a mount namespace of our own: a warning on stderr.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	for mod in "$version" 0.0.1; do
		out=$(unshare -m sh -c 'mount -t tmpfs none /sys/module && mkdir /sys/module/sklookup &&
			echo "$1" >/sys/module/sklookup/version && exec "$2" version 2>/dev/null' - "$mod" "$ctl")
		err=$(unshare -m sh -c 'mount -t tmpfs none /sys/module && mkdir /sys/module/sklookup &&
			echo "$1" >/sys/module/sklookup/version && exec "$2" version 2>&1 >/dev/null' - "$mod" "$ctl")
		want_err=
		[ "$mod" != "$version" ] && want_err="sklookupctl: warning: sklookupctl $version and the loaded module $mod differ: install both from one release, then reload the module"
		verdict "sklookupctl version with module $mod loaded" "stdout | stderr" 0 \
			"sklookupctl $version
module $mod | $want_err" 0 "$out | $err"
	done
else
	echo "ok - sklookupctl version with a module loaded # skip: needs root and unshare -m"
fi

# add-rule and friends: mistakes are caught before the module is asked.
row 2 "sklookupctl: add-rule: missing proto tcp|udp" add-rule dst 192.0.2.0/24 label web
row 2 "sklookupctl: add-rule: proto 'sctp': must be tcp or udp" add-rule proto sctp dst 192.0.2.0/24 label web
row 2 "sklookupctl: add-rule: dst '192.0.2.0/33': prefix length must be 0 to 32" \
	add-rule proto tcp dst 192.0.2.0/33 label web
row 2 "sklookupctl: add-rule: dst '192.0.2.1/24': address has bits set beyond the prefix length" \
	add-rule proto tcp dst 192.0.2.1/24 label web
row 2 "sklookupctl: add-rule: dst 'example.com': not an IPv4 or IPv6 address" \
	add-rule proto tcp dst example.com label web
row 2 "sklookupctl: add-rule: port '0': port must be 1 to 65535, LO-HI or any" \
	add-rule proto tcp dst 192.0.2.0/24 port 0 label web
row 2 "sklookupctl: add-rule: port '2000-1000': port range must not end below its start" \
	add-rule proto tcp dst 192.0.2.0/24 port 2000-1000 label web
row 2 "sklookupctl: add-rule: phase 'early': must be first, specific or fallback" \
	add-rule proto tcp dst 192.0.2.0/24 phase early label web
row 2 "sklookupctl: add-rule: src and dst must be of one address family" \
	add-rule proto tcp dst 192.0.2.0/24 src 2001:db8::/32 label web
row 2 "sklookupctl: add-rule: give one of label NAME, redirect ADDR[:PORT] or drop, once" \
	add-rule proto tcp dst 192.0.2.0/24 label web drop
row 2 "sklookupctl: add-rule: give one of label NAME, redirect ADDR[:PORT] or drop, once" \
	add-rule proto tcp dst 192.0.2.0/24 redirect 127.0.0.1 label web
row 2 "sklookupctl: add-rule: missing label NAME, redirect ADDR[:PORT] or drop" \
	add-rule proto tcp dst 192.0.2.0/24
row 2 "sklookupctl: add-rule: unknown keyword 'to': expected proto, dst, port, src, dev, phase, label, redirect, noreuseport, else, drop or comment" \
	add-rule proto tcp to 192.0.2.0/24
row 2 "sklookupctl: add-rule: redirect '127.0.0.1:0': port must be 1 to 65535" \
	add-rule proto tcp dst 192.0.2.0/24 redirect 127.0.0.1:0
row 2 "sklookupctl: add-rule: redirect '127.0.0.1:65536': port must be 1 to 65535" \
	add-rule proto tcp dst 192.0.2.0/24 redirect 127.0.0.1:65536
row 2 "sklookupctl: add-rule: redirect '[::1': an IPv6 address with a port is written [ADDR]:PORT" \
	add-rule proto tcp dst 2001:db8::/64 redirect '[::1'
row 2 "sklookupctl: add-rule: redirect '[127.0.0.1]:80': not an IPv4 or IPv6 address" \
	add-rule proto tcp dst 192.0.2.0/24 redirect '[127.0.0.1]:80'
row 2 "sklookupctl: add-rule: redirect 'localhost:80': not an IPv4 or IPv6 address" \
	add-rule proto tcp dst 192.0.2.0/24 redirect localhost:80
row 2 "sklookupctl: add-rule: redirect and dst must be of one address family" \
	add-rule proto tcp dst 192.0.2.0/24 redirect '[::1]:80'
row 2 "sklookupctl: add-rule: noreuseport goes with label NAME" \
	add-rule proto tcp dst 192.0.2.0/24 redirect 127.0.0.1 noreuseport
row 2 "sklookupctl: add-rule: else drop goes with label NAME" \
	add-rule proto tcp dst 192.0.2.0/24 drop else drop
row 2 "sklookupctl: add-rule: else 'accept': else takes drop: what the rule does when its label has no live socket" \
	add-rule proto tcp dst 192.0.2.0/24 label web else accept
row 2 "sklookupctl: add-rule: keyword 'else': given more than once in one rule" \
	add-rule proto tcp dst 192.0.2.0/24 label web else drop else drop
row 1 "$not_loaded" \
	add-rule proto udp dst 2001:db8::/64 port 53 redirect '[::1]:5353'
row 1 "$not_loaded" \
	add-rule proto tcp dst 203.0.113.0/24 port 1000-2000 redirect 127.0.0.1
row 1 "$not_loaded" \
	add-rule proto udp dst 2001:db8::/64 redirect ::1
# dev names a device, kept as a name: one that does not exist yet is taken (the module
# matches it once it appears), so a boot's rules load before the network is up.
row 1 "$not_loaded" \
	add-rule proto tcp dst 192.0.2.0/24 dev nosuchdev0 label web
# Names the kernel would never give a device are refused here, as the module refuses them.
row 2 "sklookupctl: add-rule: dev 'abcdefghijklmnop': a device name is 1 to 15 characters" \
	add-rule proto tcp dst 192.0.2.0/24 dev abcdefghijklmnop label web
row 2 "sklookupctl: add-rule: dev '': a device name is 1 to 15 characters" \
	add-rule proto tcp dst 192.0.2.0/24 dev '' label web
row 2 "sklookupctl: add-rule: dev 'eth/0': a device name has no '/', ':' or white space" \
	add-rule proto tcp dst 192.0.2.0/24 dev eth/0 label web
row 2 "sklookupctl: add-rule: dev 'eth 0': a device name has no '/', ':' or white space" \
	add-rule proto tcp dst 192.0.2.0/24 dev 'eth 0' label web
row 2 "sklookupctl: add-rule: dev 'eth0:1': a device name has no '/', ':' or white space" \
	add-rule proto tcp dst 192.0.2.0/24 dev eth0:1 label web
row 2 "sklookupctl: add-rule: dev '..': '.' and '..' are not device names" \
	add-rule proto tcp dst 192.0.2.0/24 dev .. label web
row 1 "$not_loaded" \
	add-rule proto udp dst 2001:db8::/64 port 53 label dns
# A keyword given twice is refused, naming it: before, the last one silently won.
for kw in "proto udp" "dst 198.51.100.0/24" "port 81" "src 10.0.0.0/8" "dev lo" "phase fallback"; do
	row 2 "sklookupctl: add-rule: keyword '${kw%% *}': given more than once in one rule" \
		add-rule proto tcp dst 192.0.2.0/24 port 80 src 10.0.0.0/8 dev lo phase first $kw label web
done
row 2 "sklookupctl: add-rule: keyword 'label': given more than once in one rule" \
	add-rule proto tcp dst 192.0.2.0/24 label web label web
row 2 "sklookupctl: add-rule: keyword 'noreuseport': given more than once in one rule" \
	add-rule proto tcp dst 192.0.2.0/24 label web noreuseport noreuseport
row 2 "sklookupctl: add-rule: keyword 'drop': given more than once in one rule" \
	add-rule proto tcp dst 192.0.2.0/24 drop drop
row 2 "sklookupctl: explain: keyword 'port': given more than once in one query" \
	explain proto tcp dst 192.0.2.7 port 80 port 81
# explain refuses bad input with add-rule's words and exit status.
row 2 "sklookupctl: explain: proto 'sctp': must be tcp or udp" explain proto sctp dst 192.0.2.7 port 80
row 2 "sklookupctl: add-rule: proto 'sctp': must be tcp or udp" add-rule proto sctp dst 192.0.2.7 label x
row 2 "sklookupctl: explain: dst '192.0.2.300': not an IPv4 or IPv6 address" \
	explain proto tcp dst 192.0.2.300 port 80
row 2 "sklookupctl: add-rule: dst '192.0.2.300': not an IPv4 or IPv6 address" \
	add-rule proto tcp dst 192.0.2.300 label x
row 2 "sklookupctl: explain: port '0': port must be 1 to 65535, LO-HI or any" \
	explain proto tcp dst 192.0.2.7 port 0
row 2 "sklookupctl: explain: dev 'nosuchdev0': no such device" \
	explain proto tcp dst 192.0.2.7 port 80 dev nosuchdev0
row 2 "sklookupctl: explain: unknown keyword 'to': expected proto, dst, port, src or dev" \
	explain proto tcp to 192.0.2.7
row 2 "sklookupctl: explain: missing value after 'port': give a value" \
	explain proto tcp dst 192.0.2.7 port
row 2 "sklookupctl: explain: src and dst must be of one address family" \
	explain proto tcp dst 192.0.2.7 port 80 src '[::1]:4000'
row 2 "sklookupctl: explain: src '127.0.0.1:0': port must be 1 to 65535" \
	explain proto tcp dst 192.0.2.7 port 80 src 127.0.0.1:0
row 2 "sklookupctl: explain: dst '192.0.2.0/24': give one address, not a prefix" \
	explain proto tcp dst 192.0.2.0/24 port 80
row 2 "sklookupctl: explain: port '80-81': give one port, 1 to 65535" \
	explain proto tcp dst 192.0.2.7 port 80-81
row 2 "sklookupctl: explain: missing proto tcp|udp" explain dst 192.0.2.7 port 80
row 2 "sklookupctl: explain: missing dst ADDR" explain proto udp port 53
row 2 "sklookupctl: explain: missing port N: a lookup is for one port" \
	explain proto udp dst 192.0.2.7
row 1 "$not_loaded" \
	explain proto udp dst 2001:db8::1 port 53 src '[2001:db8::2]:5353'
row 2 "sklookupctl: del-rule: rule id 'x': must be a positive number" del-rule x
# del-rule takes a rule's words as well as its id, parsed as add-rule parses them.
row 2 "sklookupctl: del-rule: usage: del-rule ID|RULE" del-rule
row 1 "$not_loaded" del-rule 7
row 1 "$not_loaded" del-rule proto tcp dst 192.0.2.0/24 port 80 label a
row 1 "$not_loaded" del-rule proto udp dst 2001:db8::/32 drop
row 2 "sklookupctl: del-rule: dst '192.0.2.1/24': address has bits set beyond the prefix length" \
	del-rule proto tcp dst 192.0.2.1/24 port 80 label a
row 2 "sklookupctl: del-rule: proto 'sctp': must be tcp or udp" \
	del-rule proto sctp dst 192.0.2.0/24 label a
usage="sklookupctl: register: usage: register label NAME fd N [pid PID] | register label NAME pid PID [proto tcp|udp] [local ADDR[:PORT]] | register label NAME systemd"
row 2 "$usage" register label web
row 2 "$usage" register label web proto tcp
row 2 "$usage" register label web systemd pid 1
row 2 "sklookupctl: register: unknown keyword 'port'; expected label, fd, pid, proto, local or systemd" \
	register label web pid 1 port 80
row 2 "sklookupctl: register: pid 'x': must be a process id" register label web pid x
row 2 "sklookupctl: register: pid '0': must be a process id" register label web pid 0
row 2 "sklookupctl: register: pid '-1': must be a process id" register label web pid -1
row 2 "sklookupctl: register: proto 'sctp': must be tcp or udp" register label web pid 1 proto sctp
row 2 "sklookupctl: register: proto and local choose among the sockets of pid PID; they do not go with fd" \
	register label web fd 3 pid 1 proto tcp
row 2 "sklookupctl: register: proto and local choose among the sockets of pid PID; they do not go with systemd" \
	register label web systemd local 127.0.0.1
row 2 "sklookupctl: register: local 'example.com:80': not an IPv4 or IPv6 address" \
	register label web pid 1 local example.com:80
row 2 "sklookupctl: register: local '192.0.2.0/24': not an IPv4 or IPv6 address" \
	register label web pid 1 local 192.0.2.0/24
row 2 "sklookupctl: register: local '127.0.0.1:0': port must be 1 to 65535" \
	register label web pid 1 local 127.0.0.1:0
row 2 "sklookupctl: register: local '127.0.0.1:http': port must be 1 to 65535" \
	register label web pid 1 local 127.0.0.1:http
row 2 "sklookupctl: register: local '[::1]:65536': port must be 1 to 65535" \
	register label web pid 1 local "[::1]:65536"
row 2 "sklookupctl: register: local '[::1': an IPv6 address with a port is written [ADDR]:PORT" \
	register label web pid 1 local "[::1"
row 2 "sklookupctl: register: local '[::1]80': an IPv6 address with a port is written [ADDR]:PORT" \
	register label web pid 1 local "[::1]80"
row 2 "sklookupctl: register: local '[192.0.2.1]:80': not an IPv4 or IPv6 address" \
	register label web pid 1 local "[192.0.2.1]:80"
row 2 "sklookupctl: register: missing value after 'local'" register label web pid 1 local
row 1 "sklookupctl: register: pid 2147483647: No such process" register label web pid 2147483647
# A process with no sockets at all (python closes every other descriptor for its child),
# asked for by pid without a module: the error says what it has, before any netlink.
idle=$(python3 -c 'import subprocess as s; print(s.Popen(["sleep", "60"], stdin=s.DEVNULL, stdout=s.DEVNULL, stderr=s.DEVNULL).pid)')
row 1 "sklookupctl: register: pid $idle has no bound UDP socket on [::1]:53; it has no sockets" \
	register label dns pid "$idle" proto udp local "[::1]:53"
row 1 "sklookupctl: register: pid $idle has no listening TCP or bound UDP socket on 0.0.0.0; it has no sockets" \
	register label web pid "$idle" local 0.0.0.0
kill "$idle"
# A process whose only sockets are a pair of Unix ones, started once they exist.
pair=$(python3 -c '
import subprocess as s, sys
p = s.Popen([sys.executable, "-c", "import socket, time; a, b = socket.socketpair(); print(flush=True); time.sleep(60)"],
            stdin=s.DEVNULL, stdout=s.PIPE, stderr=s.DEVNULL)
p.stdout.readline()
print(p.pid)')
row 1 "sklookupctl: register: pid $pair has no listening TCP socket; it has 2 other sockets (connected, unbound, not TCP/UDP, or of another network namespace)" \
	register label web pid "$pair" proto tcp
kill "$pair"
row 2 "sklookupctl: register: fd 'x': must be a file descriptor number" register label web fd x
row 2 "sklookupctl: register: label 'a b': must not contain white space or '#'" \
	register label "a b" fd 3
# Labels are printable UTF-8: show, monitor and JSON print them as they are. The error
# names the label with its unprintable bytes written \xNN.
row 2 "sklookupctl: add-rule: label 'a\\x01b': must not contain control characters" \
	add-rule proto tcp dst 192.0.2.0/24 label $'a\x01b'
row 2 "sklookupctl: add-rule: label 'web\\x1b[2J': must not contain control characters" \
	add-rule proto tcp dst 192.0.2.0/24 label $'web\x1b[2J'
row 2 "sklookupctl: add-rule: label 'web\\xe2\\x80\\xaecod': must not contain control characters" \
	add-rule proto tcp dst 192.0.2.0/24 label $'web\u202ecod'
row 2 "sklookupctl: add-rule: label 'x\\x7f': must not contain control characters" \
	add-rule proto tcp dst 192.0.2.0/24 label $'x\x7f'
row 2 "sklookupctl: add-rule: label '\\xc2\\x85web': must not contain control characters" \
	add-rule proto tcp dst 192.0.2.0/24 label $'\xc2\x85web'
row 2 "sklookupctl: add-rule: label 'caf\\xe9': must be UTF-8 text" \
	add-rule proto tcp dst 192.0.2.0/24 label $'caf\xe9'
row 2 "sklookupctl: add-rule: label '\\xc0\\xaf': must be UTF-8 text" \
	add-rule proto tcp dst 192.0.2.0/24 label $'\xc0\xaf'
row 2 "sklookupctl: add-rule: label '\\xed\\xa0\\x80': must be UTF-8 text" \
	add-rule proto tcp dst 192.0.2.0/24 label $'\xed\xa0\x80'
row 2 "sklookupctl: register: label 'a\\x01': must not contain control characters" \
	register label $'a\x01' fd 3
row 2 "sklookupctl: register: label '\\xff': must be UTF-8 text" register label $'\xff' pid 1
row 2 "sklookupctl: unregister: label 'a\\x01': must not contain control characters" \
	unregister label $'a\x01'
row 1 "$not_loaded" add-rule proto tcp dst 192.0.2.0/24 label "café"
row 1 "$not_loaded" add-rule proto tcp dst 192.0.2.0/24 label "ウェブ"
rules_bad=$(mktemp)
printf 'proto tcp dst 192.0.2.0/24 label ok\nproto tcp dst 192.0.2.0/24 label bad\x01\n' >"$rules_bad"
row 2 "sklookupctl: apply: $rules_bad:2: label 'bad\\x01': must not contain control characters" \
	apply "$rules_bad"
rm -f "$rules_bad"
row 2 "sklookupctl: add-rule: label 'a#b': must not contain white space or '#'" \
	add-rule proto tcp dst 192.0.2.0/24 label "a#b"
row 2 "sklookupctl: add-rule: port ' 80': port must be 1 to 65535, LO-HI or any" \
	add-rule proto tcp dst 192.0.2.0/24 port " 80" label web
# comment TEXT: 1 to 127 bytes of printable UTF-8, refused before the module is asked.
long128=$(printf 'x%.0s' $(seq 128))
row 2 "sklookupctl: add-rule: comment '$long128': must be 1 to 127 bytes" \
	add-rule proto tcp dst 192.0.2.0/24 label web comment "$long128"
row 2 "sklookupctl: add-rule: comment '': must be 1 to 127 bytes" \
	add-rule proto tcp dst 192.0.2.0/24 label web comment ""
row 2 "sklookupctl: add-rule: comment 'web\\x09tier': must not contain control characters" \
	add-rule proto tcp dst 192.0.2.0/24 label web comment $'web\ttier'
row 2 "sklookupctl: add-rule: comment 'two\\x0alines': must not contain control characters" \
	add-rule proto tcp dst 192.0.2.0/24 label web comment $'two\nlines'
row 2 "sklookupctl: add-rule: comment 'web\\xe2\\x80\\xaecod': must not contain control characters" \
	add-rule proto tcp dst 192.0.2.0/24 label web comment $'web\u202ecod'
row 2 "sklookupctl: add-rule: comment 'caf\\xe9': must be UTF-8 text" \
	add-rule proto tcp dst 192.0.2.0/24 label web comment $'caf\xe9'
row 2 "sklookupctl: add-rule: keyword 'comment': given more than once in one rule" \
	add-rule proto tcp dst 192.0.2.0/24 label web comment a comment b
row 2 "sklookupctl: add-rule: missing value after 'comment': give a value" \
	add-rule proto tcp dst 192.0.2.0/24 label web comment
row 1 "$not_loaded" add-rule proto tcp dst 192.0.2.0/24 port 80 label nginx comment "web tier"
row 1 "$not_loaded" add-rule proto tcp dst 192.0.2.0/24 label web comment "${long128%x}"
row 1 "sklookupctl: register: no sockets passed by systemd (LISTEN_FDS/LISTEN_PID unset or not for this process)" \
	register label web systemd
row 2 "sklookupctl: unregister: usage: unregister label NAME" unregister web
row 2 "sklookupctl: show: usage: show [-s] [label NAME]" show everything
row 2 "sklookupctl: show: usage: show [-s] [label NAME]" show -s label
row 1 "$not_loaded" show -s
row 1 "$not_loaded" -s show
row 2 "sklookupctl: monitor: unexpected argument 'all'" monitor all
row 2 "sklookupctl: monitor: unexpected argument '-x'" monitor -t -x
row 1 "$not_loaded" monitor -t
row 1 "$not_loaded" monitor --timestamp
row 1 "$not_loaded" monitor
row 2 "sklookupctl: stats: usage: stats [--prometheus]" stats --openmetrics
row 2 "sklookupctl: stats: --prometheus and -j are two different formats: choose one" \
	-j stats --prometheus
row 1 "$not_loaded" stats --prometheus

# apply reads and checks the whole file before it asks the module anything.
rules=$(mktemp)
trap 'rm -f "$rules"' EXIT
printf 'proto tcp dst 192.0.2.0/24 port 80 label web  # nginx\n\n# comment\nproto udp dst 192.0.2.1/24 drop\n' >"$rules"
row 2 "sklookupctl: apply: $rules:4: dst '192.0.2.1/24': address has bits set beyond the prefix length" \
	apply "$rules"
row 2 "sklookupctl: apply: $rules:4: dst '192.0.2.1/24': address has bits set beyond the prefix length" \
	apply --check "$rules"
# The same rule twice (the same words, however spelt) is refused with both lines named;
# the module is never asked.
printf 'proto tcp dst 192.0.2.0/24 port 80 label web\nproto udp dst 192.0.2.0/24 drop\nproto tcp port 80 dst 192.0.2.0/24 label web # again\nproto udp dst 192.0.2.0/24 drop\n' >"$rules"
whole 2 "sklookupctl: apply: $rules:3: the same rule as line 1
sklookupctl: apply: $rules:4: the same rule as line 2" "sklookupctl apply FILE with a rule twice" \
	"$ctl" apply "$rules"
whole 2 "sklookupctl: apply: $rules:3: the same rule as line 1
sklookupctl: apply: $rules:4: the same rule as line 2" "sklookupctl apply --check FILE with a rule twice" \
	"$ctl" apply --check "$rules"
# src of length 0 is any source: no src word, as the module keeps the rule.
printf 'proto udp dst 192.0.2.0/24 src 0.0.0.0/0 drop\nproto udp dst 192.0.2.0/24 drop\n' >"$rules"
whole 2 "sklookupctl: apply: $rules:2: the same rule as line 1" \
	"sklookupctl apply FILE with src 0.0.0.0/0 and without" "$ctl" apply "$rules"
whole 2 "sklookupctl: fmt: $rules:2: the same rule as line 1" \
	"sklookupctl fmt FILE with a rule twice" "$ctl" fmt "$rules"
whole 0 "proto udp dst 192.0.2.0/24 drop" "sklookupctl fmt of src 0.0.0.0/0" \
	sh -c 'echo "proto udp dst 192.0.2.0/24 src 0.0.0.0/0 drop" | "$0" fmt -' "$ctl"
printf 'proto tcp dst 192.0.2.0/24 port 80 label web\n' >"$rules"
row 1 "$not_loaded" apply "$rules"
row 1 "sklookupctl: apply: /nonexistent/rules.conf: No such file or directory" apply /nonexistent/rules.conf
row 2 "sklookupctl: apply: usage: apply [--check] [--generation N] FILE|-" apply
row 2 "sklookupctl: apply: usage: apply [--check] [--generation N] FILE|-" apply --generation 3
row 2 "sklookupctl: apply: generation '-1': must be a number (dump --generation prints it)" apply --generation -1 -
row 2 "sklookupctl: apply: usage: apply [--check] [--generation N] FILE|-" apply --check
row 2 "sklookupctl: apply: generation 'x': must be a number (dump --generation prints it)" \
	apply --check --generation x -
# apply --check exits 0 (nothing would change), 1 (something would) or 2 (an error, any).
row 2 "$not_loaded" apply --check "$rules"
row 2 "$not_loaded" apply --generation 3 -c "$rules"
row 2 "sklookupctl: apply: /nonexistent/rules.conf: No such file or directory" \
	apply --check /nonexistent/rules.conf

export ctl

# fmt: every keyword through the parser and the printer dump, show, monitor and explain
# use, left to right: a line the printer writes reads back as the same rule, printed the
# same (so "dump | apply -" changes nothing), and each keyword's value in one form.
# fmt_row WANT LINE: fmt prints WANT for LINE, and WANT again for WANT.
fmt_row() {
	whole 0 "$1" "sklookupctl fmt: $2" sh -c 'printf "%s\n" "$1" | "$ctl" fmt -' - "$2"
	whole 0 "$1" "sklookupctl fmt: $1 (again)" sh -c 'printf "%s\n" "$1" | "$ctl" fmt -' - "$1"
}
fmt_row "proto tcp dst 192.0.2.0/24 label web" "proto tcp dst 192.0.2.0/24 label web"
fmt_row "proto udp dst 192.0.2.0/24 drop" "dst 192.0.2.0/24 drop proto udp"
fmt_row "proto tcp dst 192.0.2.0/24 label web" "proto tcp dst 192.0.2.0/24 port any phase first label web"
fmt_row "proto tcp dst 192.0.2.0/24 port 80 label web" "proto tcp dst 192.0.2.0/24 port 80-80 label web"
fmt_row "proto tcp dst 192.0.2.0/24 port 1000-2000 label web" \
	"proto tcp port 1000-2000 dst 192.0.2.0/24 label web"
# 1-65535 is not "any" (0-65535): the module ranks it as the narrower range.
fmt_row "proto tcp dst 192.0.2.0/24 port 1-65535 label web" \
	"proto tcp dst 192.0.2.0/24 port 1-65535 label web"
fmt_row "proto tcp dst 192.0.2.7 src 10.0.0.0/8 label web" \
	"proto tcp dst 192.0.2.7/32 src 10.0.0.0/8 label web"
fmt_row "proto udp dst 2001:db8::/64 src 2001:db8:1::/48 phase fallback drop" \
	"phase fallback src 2001:db8:1::/48 proto udp dst 2001:db8::/64 drop"
fmt_row "proto tcp dst 0.0.0.0/0 dev lo phase specific label web noreuseport" \
	"noreuseport proto tcp dst 0.0.0.0/0 dev lo phase specific label web"
# A device that does not exist (yet) prints as the name it was given: dump | apply - keeps it.
fmt_row "proto tcp dst 192.0.2.0/24 dev nosuchdev0 label web" \
	"dev nosuchdev0 proto tcp dst 192.0.2.0/24 label web"
fmt_row "proto tcp dst 192.0.2.0/24 dev abcdefghijklmno label web" \
	"proto tcp dst 192.0.2.0/24 dev abcdefghijklmno label web"
fmt_row "proto udp dst 2001:db8::/64 port 53 redirect [::1]:5353" \
	"proto udp dst 2001:db8::/64 port 53 redirect [::1]:5353"
fmt_row "proto tcp dst 198.51.100.1 redirect 127.0.0.1:9000" \
	"proto tcp dst 198.51.100.1 port any redirect 127.0.0.1:9000"
fmt_row "proto udp dst ::/0 redirect ::1" "proto udp dst ::/0 redirect ::1"
fmt_row "proto tcp dst 192.0.2.0/24 label web noreuseport else drop" \
	"else drop proto tcp label web dst 192.0.2.0/24 noreuseport"
# comment TEXT comes last, always in double quotes; inside them \" is a quote and \\ a
# backslash, and '#' is text: what dump prints, apply reads back as the same words.
fmt_row 'proto tcp dst 192.0.2.0/24 port 80 label nginx comment "web tier"' \
	'comment "web tier" proto tcp dst 192.0.2.0/24 port 80 label nginx'
fmt_row 'proto tcp dst 192.0.2.0/24 label web comment "web"' \
	'proto tcp dst 192.0.2.0/24 label web comment web'
fmt_row 'proto udp dst 2001:db8::/64 drop comment "say \"hi\" \\ # not cut"' \
	'proto udp dst 2001:db8::/64 drop comment "say \"hi\" \\ # not cut" # cut'
fmt_row 'proto tcp dst 192.0.2.0/24 label web noreuseport else drop comment "café → ウェブ"' \
	'proto tcp dst 192.0.2.0/24 label web else drop noreuseport comment "café → ウェブ"'
fmt_row 'proto tcp dst 192.0.2.0/24 label web comment "\\"' \
	'proto tcp dst 192.0.2.0/24 label web comment "\\"'
fmt_row "proto tcp dst 192.0.2.0/24 label web comment \"${long128%x}\"" \
	"proto tcp dst 192.0.2.0/24 label web comment ${long128%x}"
# A label that starts with a quote is printed quoted, so that it reads back.
fmt_row 'proto tcp dst 192.0.2.0/24 label "\"web"' 'proto tcp dst 192.0.2.0/24 label "\"web"'
fmt_row 'proto tcp dst 192.0.2.0/24 label we"b' 'proto tcp dst 192.0.2.0/24 label we"b'
whole 2 "sklookupctl: fmt: -:1: a quoted word needs its closing '\"'" \
	"sklookupctl fmt: a quote left open" \
	sh -c 'printf "%s\n" "proto tcp dst 192.0.2.0/24 label web comment \"web tier" | "$ctl" fmt -'
whole 2 "sklookupctl: fmt: -:1: a closing '\"' must end the word" \
	"sklookupctl fmt: text after a closing quote" \
	sh -c 'printf "%s\n" "proto tcp dst 192.0.2.0/24 label web comment \"web\"tier" | "$ctl" fmt -'
whole 2 "sklookupctl: fmt: -:1: comment 'two\\x09tabs': must not contain control characters" \
	"sklookupctl fmt: a tab in a quoted comment" \
	sh -c 'printf "proto tcp dst 192.0.2.0/24 label web comment \"two\ttabs\"\n" | "$ctl" fmt -'
whole 0 '{"rules":[{"proto":"tcp","dst":"192.0.2.0/24","port":"80","port_min":80,"port_max":80,"phase":"first","action":"steer","label":"nginx","noreuseport":false,"comment":"say \"hi\" \\ there"}]}' \
	"sklookupctl -j fmt: a comment" \
	sh -c 'printf "%s\n" "proto tcp dst 192.0.2.0/24 port 80 label nginx comment \"say \\\"hi\\\" \\\\ there\"" | "$ctl" -j fmt -'
# JSON names the same values, and both port forms.
whole 0 '{"rules":[{"proto":"tcp","dst":"192.0.2.0/24","port":"any","port_min":0,"port_max":65535,"phase":"first","action":"steer","label":"web","noreuseport":false},{"proto":"udp","dst":"2001:db8::/64","port":"1-65535","port_min":1,"port_max":65535,"src":"2001:db8:1::/48","dev":"lo","phase":"fallback","action":"redirect","redirect":"[::1]:53","noreuseport":false},{"proto":"tcp","dst":"10.0.0.1","port":"80","port_min":80,"port_max":80,"phase":"specific","action":"steer","label":"x","noreuseport":true},{"proto":"udp","dst":"10.0.0.1","port":"any","port_min":0,"port_max":65535,"phase":"first","noreuseport":false,"action":"drop"}]}' \
	"sklookupctl -j fmt" sh -c 'printf "%s\n" "proto tcp dst 192.0.2.0/24 label web" \
		"proto udp dst 2001:db8::/64 port 1-65535 src 2001:db8:1::/48 dev lo phase fallback redirect [::1]:53" \
		"proto tcp dst 10.0.0.1 port 80 phase specific label x noreuseport" \
		"proto udp dst 10.0.0.1 drop" | "$ctl" -j fmt -'
whole 2 "sklookupctl: fmt: -:2: keyword 'port': given more than once in one rule" \
	"sklookupctl fmt: a keyword twice in a file" \
	sh -c 'printf "%s\n" "proto tcp dst 192.0.2.0/24 drop" "proto tcp dst 192.0.2.0/24 port 1 port 2 drop" | "$ctl" fmt -'
whole 2 "sklookupctl: fmt: usage: fmt FILE|-" "sklookupctl fmt" "$ctl" fmt
whole 1 "sklookupctl: fmt: /nonexistent: No such file or directory" "sklookupctl fmt /nonexistent" \
	"$ctl" fmt /nonexistent
# Input that cannot be read whole is refused, naming the file and why; before, a
# directory read as an empty file and apply flushed every rule.
whole 1 "sklookupctl: apply: /tmp: Is a directory" "sklookupctl apply /tmp" "$ctl" apply /tmp
whole 1 "sklookupctl: apply: -: Is a directory" "sklookupctl apply - </tmp" \
	sh -c '"$ctl" apply - </tmp'
whole 1 "sklookupctl: apply: -: Bad file descriptor" "sklookupctl apply - <&-" \
	sh -c '"$ctl" apply - <&-'
whole 1 "sklookupctl: apply: /proc/self/mem: Input/output error" \
	"sklookupctl apply /proc/self/mem" "$ctl" apply /proc/self/mem
# Write-only for root too (procfs checks the owner's bits): a file that cannot be read.
whole 1 "sklookupctl: apply: /proc/sys/vm/drop_caches: Permission denied" \
	"sklookupctl apply /proc/sys/vm/drop_caches" "$ctl" apply /proc/sys/vm/drop_caches
whole 1 "sklookupctl: apply: /nonexistent: No such file or directory" \
	"sklookupctl apply /nonexistent" "$ctl" apply /nonexistent
# A read error half way: two good lines from a pty whose other side is closed, after
# which the master's read fails with EIO. Before, the two lines were applied.
pty_input='
import os, pty, subprocess, sys, tty
master, slave = pty.openpty()
tty.setraw(slave)
os.write(slave, b"proto tcp dst 192.0.2.0/24 label web\nproto udp dst 192.0.2.0/24 drop\n")
os.close(slave)
sys.exit(subprocess.run(sys.argv[1:], stdin=master).returncode)'
whole 1 "sklookupctl: apply: -: Input/output error" \
	"sklookupctl apply - from a pty that fails with EIO after two rules" \
	python3 -c "$pty_input" "$ctl" apply -
# Pipes and FIFOs are read to their end like files (then the module is asked).
whole 1 "$not_loaded" \
	"echo RULE | sklookupctl apply -" \
	sh -c 'echo "proto tcp dst 192.0.2.0/24 label web" | "$ctl" apply -'
fifo=$(mktemp -u)
mkfifo "$fifo"
(echo "proto tcp dst 192.0.2.0/24 label web" >"$fifo" &)
whole 1 "$not_loaded" \
	"sklookupctl apply FIFO" "$ctl" apply "$fifo"
rm -f "$fifo"
# Output that cannot be written whole is an error: a file cut short must not look whole.
whole 1 "sklookupctl: write error: No space left on device" \
	"sklookupctl --version >/dev/full" sh -c '"$ctl" --version >/dev/full'
whole 1 "sklookupctl: write error: No space left on device" \
	"sklookupctl --help >/dev/full" sh -c '"$ctl" --help >/dev/full'
whole 1 "sklookupctl: write error: Bad file descriptor" \
	"sklookupctl --version >&-" sh -c '"$ctl" --version >&-'
# Nothing written, nothing lost: only the reason it failed.
whole 1 "$not_loaded" \
	"sklookupctl dump >/dev/full" sh -c '"$ctl" dump >/dev/full'
row 2 "sklookupctl: dump: unexpected argument 'all'" dump all

# restore: the record of registrations by pid (sklookup.service runs it after loading the
# module). Its file is read, and every line checked, before the module is asked anything.
rec=$(mktemp -d)
row 2 "sklookupctl: restore: usage: restore [FILE]" restore "$rec/a" "$rec/b"
row 2 "sklookupctl: restore: unknown option '--all'" restore --all
# No record (nothing was ever registered by pid): nothing to do, and no module needed.
whole 0 "" "sklookupctl restore (no record)" "$ctl" restore "$rec/none"
whole 0 "[]" "sklookupctl -j restore (no record)" "$ctl" -j restore "$rec/none"
printf '# only a comment\n\n' >"$rec/empty"
whole 0 "" "sklookupctl restore (a record with no lines)" "$ctl" restore "$rec/empty"
# restore_bad WANT LINE: a record whose only line is LINE is refused with WANT, whole.
restore_bad() {
	printf '%s\n' "$2" >"$rec/bad"
	whole 1 "sklookupctl: restore: $rec/bad line 1: $1" "sklookupctl restore: $2" \
		"$ctl" restore "$rec/bad"
}
restore_bad "expected 'label' as word 1" "lbl web pid 1 start 5 netns 7 inode 9"
restore_bad "expected 'inode' as word 9" "label web pid 1 start 5 netns 7"
restore_bad "missing value after 'inode'" "label web pid 1 start 5 netns 7 inode"
restore_bad "label 'w#b': must not contain white space or '#'" \
	"label w#b pid 1 start 5 netns 7 inode 9"
restore_bad "pid '0': must be a process id" "label web pid 0 start 5 netns 7 inode 9"
restore_bad "pid '2147483648': must be a process id" \
	"label web pid 2147483648 start 5 netns 7 inode 9"
restore_bad "start 'x': must be a decimal number" "label web pid 1 start x netns 7 inode 9"
restore_bad "netns '-7': must be a decimal number" "label web pid 1 start 5 netns -7 inode 9"
restore_bad "unexpected word 'fd' after the inode" \
	"label web pid 1 start 5 netns 7 inode 9 fd 3"
# A bad line anywhere refuses the whole record, before the module is asked.
printf 'label web pid 1 start 5 netns 7 inode 9\nlabel web pid 1 start 5 netns 7 inode 9z\n' >"$rec/bad"
whole 1 "sklookupctl: restore: $rec/bad line 2: inode '9z': must be a decimal number" \
	"sklookupctl restore: a bad second line" "$ctl" restore "$rec/bad"
whole 1 "sklookupctl: restore: $rec: Is a directory" "sklookupctl restore DIR" "$ctl" restore "$rec"
# A well-formed record needs the module.
printf 'label web pid 1 start 5 netns 7 inode 9\n' >"$rec/good"
whole 1 "$not_loaded" "sklookupctl restore: a well-formed record" "$ctl" restore "$rec/good"
rm -rf "$rec" "$rec.lock"
