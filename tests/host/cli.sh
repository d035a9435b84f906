#!/usr/bin/env bash
# sklookupctl's command line without a kernel module: each row runs one command line and
# checks its exit status and the first line it prints (stdout and stderr together).
# On the host the sklookup family never exists, which is what the "not loaded" rows test.
set -u
ctl=${SKLOOKUPCTL:-$(dirname "$0")/../../userspace/sklookupctl}
version=$(cat "$(dirname "$0")/../../VERSION")

row() {
	local want_rc=$1 want_line=$2 rc out
	shift 2
	out=$("$ctl" "$@" 2>&1 </dev/null)
	rc=$?
	local got_line=${out%%$'\n'*}
	if [ "$rc" = "$want_rc" ] && [ "$got_line" = "$want_line" ]; then
		echo "ok - sklookupctl $*"
	else
		echo "not ok - sklookupctl $*"
		echo "# expected exit $want_rc, first line: $want_line"
		echo "# got exit $rc, first line: $got_line"
	fi
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
row 1 "sklookupctl: the sklookup module is not loaded: try 'modprobe sklookup'" status
row 1 "sklookupctl: the sklookup module is not loaded: try 'modprobe sklookup'" -j status
row 1 "sklookupctl: netns: cannot open /run/netns/sklookup-no-such-ns: No such file or directory" \
	-n sklookup-no-such-ns status
row 1 "sklookupctl: netns: invalid namespace name '../x'" -n ../x status

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
row 2 "sklookupctl: add-rule: give either label NAME or drop, once" \
	add-rule proto tcp dst 192.0.2.0/24 label web drop
row 2 "sklookupctl: add-rule: missing label NAME or drop" add-rule proto tcp dst 192.0.2.0/24
row 2 "sklookupctl: add-rule: unknown keyword 'to': expected proto, dst, port, src, dev, phase, label, noreuseport or drop" \
	add-rule proto tcp to 192.0.2.0/24
row 2 "sklookupctl: add-rule: dev 'nosuchdev0': no such device" \
	add-rule proto tcp dst 192.0.2.0/24 dev nosuchdev0 label web
row 1 "sklookupctl: the sklookup module is not loaded: try 'modprobe sklookup'" \
	add-rule proto udp dst 2001:db8::/64 port 53 label dns
row 2 "sklookupctl: del-rule: rule id 'x': must be a positive number" del-rule x
row 2 "sklookupctl: register: usage: register label NAME fd N [pid PID] | register label NAME systemd" \
	register label web
row 2 "sklookupctl: register: fd 'x': must be a file descriptor number" register label web fd x
row 2 "sklookupctl: register: label 'a b': must not contain white space or '#'" \
	register label "a b" fd 3
row 2 "sklookupctl: add-rule: label 'a#b': must not contain white space or '#'" \
	add-rule proto tcp dst 192.0.2.0/24 label "a#b"
row 2 "sklookupctl: add-rule: port ' 80': port must be 1 to 65535, LO-HI or any" \
	add-rule proto tcp dst 192.0.2.0/24 port " 80" label web
row 1 "sklookupctl: register: no sockets passed by systemd (LISTEN_FDS/LISTEN_PID unset or not for this process)" \
	register label web systemd
row 2 "sklookupctl: unregister: usage: unregister label NAME" unregister web
row 2 "sklookupctl: show: usage: show [-s] [label NAME]" show everything
row 2 "sklookupctl: show: usage: show [-s] [label NAME]" show -s label
row 1 "sklookupctl: the sklookup module is not loaded: try 'modprobe sklookup'" show -s
row 1 "sklookupctl: the sklookup module is not loaded: try 'modprobe sklookup'" -s show
row 2 "sklookupctl: monitor: unexpected argument 'all'" monitor all
row 1 "sklookupctl: the sklookup module is not loaded: try 'modprobe sklookup'" monitor
row 2 "sklookupctl: stats: usage: stats [--prometheus]" stats --openmetrics
row 2 "sklookupctl: stats: --prometheus and -j are two different formats: choose one" \
	-j stats --prometheus
row 1 "sklookupctl: the sklookup module is not loaded: try 'modprobe sklookup'" stats --prometheus

# apply reads and checks the whole file before it asks the module anything.
rules=$(mktemp)
trap 'rm -f "$rules"' EXIT
printf 'proto tcp dst 192.0.2.0/24 port 80 label web  # nginx\n\n# comment\nproto udp dst 192.0.2.1/24 drop\n' >"$rules"
row 2 "sklookupctl: apply: $rules:4: dst '192.0.2.1/24': address has bits set beyond the prefix length" \
	apply "$rules"
printf 'proto tcp dst 192.0.2.0/24 port 80 label web\n' >"$rules"
row 1 "sklookupctl: the sklookup module is not loaded: try 'modprobe sklookup'" apply "$rules"
row 1 "sklookupctl: apply: /nonexistent/rules.conf: No such file or directory" apply /nonexistent/rules.conf
row 2 "sklookupctl: apply: usage: apply FILE|-" apply
row 2 "sklookupctl: dump: unexpected argument 'all'" dump all
