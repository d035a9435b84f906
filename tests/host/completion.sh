#!/usr/bin/env bash
# The bash completion of sklookupctl, without a module: a stub sklookupctl on PATH prints a
# fixed "-j show", a stub ip a fixed "netns list". Each row completes one command line
# (the cursor at its end) and compares the candidates, sorted, with the expected words.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/cwd/rules.d"
: >"$tmp/cwd/rules.conf"
: >"$tmp/cwd/other.txt"

# The stub answers for namespace "red" with a label of its own, so the rows show that the
# completion asks the namespace named by -n. With SKL_STUB_FAIL it acts like a host
# without the module.
cat >"$tmp/bin/sklookupctl" <<'EOF'
#!/bin/sh
if [ -n "${SKL_STUB_FAIL-}" ]; then
	echo "sklookupctl: the sklookup module is not loaded: try 'modprobe sklookup'" >&2
	exit 1
fi
case "$*" in
"-n red -j show")
	echo '{"rules":[],"labels":[{"name":"redonly","lookups":0,"delivered":0,"misses":0,"sockets":[]}]}'
	;;
"-j show")
	echo '{"rules":[{"id":7,"proto":"tcp","dst":"192.0.2.0/24","port":"80","port_min":80,"port_max":80,"phase":"first","action":"steer","label":"web","noreuseport":false,"hits":3},{"id":12,"proto":"udp","dst":"2001:db8::/64","port":"53","port_min":53,"port_max":53,"phase":"fallback","action":"drop","noreuseport":false,"hits":0}],"labels":[{"name":"web","lookups":5,"delivered":3,"misses":2,"sockets":[{"proto":"tcp","family":"inet","addr":"127.0.0.1","port":8080,"inode":4242}]},{"name":"dns","lookups":0,"delivered":0,"misses":0,"sockets":[]}]}'
	;;
*)
	echo "stub: unexpected arguments: $*" >&2
	exit 2
	;;
esac
EOF
cat >"$tmp/bin/ip" <<'EOF'
#!/bin/sh
case "$*" in
"netns list")
	printf 'blue (id: 0)\nred\n'
	;;
"-n red -o link show")
	printf '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n'
	printf '7: veth-red@if8: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff link-netnsid 0\n'
	;;
*)
	exit 1
	;;
esac
EOF
# nsenter --net=PATH CMD: the stub runs CMD as if in the namespace "red".
cat >"$tmp/bin/nsenter" <<'EOF'
#!/bin/sh
[ "$1" = --net=/run/netns/red ] || exit 1
shift
[ "$1" = ip ] || exit 1
shift
exec ip -n red "$@"
EOF
chmod +x "$tmp/bin/sklookupctl" "$tmp/bin/ip" "$tmp/bin/nsenter"
PATH="$tmp/bin:$PATH"
cd "$tmp/cwd" || exit 1

# shellcheck source=SCRIPTDIR/../../userspace/sklookupctl.bash-completion
. "$top/userspace/sklookupctl.bash-completion"

failed=0

# row LINE EXPECTED...: complete LINE (with $note after it in the output) (split on blanks; a trailing blank starts a new,
# empty word) and expect exactly the words EXPECTED, in any order.
row() {
	local line=$1 want got
	shift
	read -r -a COMP_WORDS <<<"$line"
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	_sklookupctl sklookupctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	want=$(printf '%s\n' "$@" | sed '/^$/d' | LC_ALL=C sort | tr '\n' ' ')
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | LC_ALL=C sort | tr '\n' ' ')
	if [ "$want" = "$got" ]; then
		echo "ok - completion: '$line'${note-}"
	else
		echo "not ok - completion: '$line'${note-}"
		echo "# expected: $want"
		echo "# got:      $got"
		failed=1
	fi
}

commands="add-rule apply del-rule dump explain flush fmt help monitor register restore show stats status unregister version"
# shellcheck disable=SC2086,SC2046 # word lists
{
row "sklookupctl " $commands
row "sklookupctl -" -j --json -s --stats -n --netns -h --help -V --version
row "sklookupctl --" --json --stats --netns --help --version
row "sklookupctl -n " blue red
row "sklookupctl --netns r" red
row "sklookupctl -j -n blue " $commands
row "sklookupctl -j s" show stats status
row "sklookupctl add-rule " proto dst port src dev phase label redirect noreuseport drop comment
row "sklookupctl explain " proto dst port src dev
row "sklookupctl explain proto " tcp udp
row "sklookupctl explain proto tcp dst 192.0.2.7 port 80 " src dev
row "sklookupctl explain proto tcp dst "
row "sklookupctl add-rule proto " tcp udp
row "sklookupctl add-rule proto u" udp
row "sklookupctl add-rule proto tcp dst 192.0.2.0/24 " port src dev phase label redirect noreuseport drop comment
row "sklookupctl add-rule proto tcp dst 192.0.2.0/24 comment "
row "sklookupctl add-rule proto tcp dst 192.0.2.0/24 comment 'web tier' " port src dev phase label redirect noreuseport drop
row "sklookupctl add-rule proto tcp dst 192.0.2.0/24 redirect 127.0.0.1:8081 " port src dev phase comment
row "sklookupctl add-rule proto tcp dst 192.0.2.0/24 redirect "
row "sklookupctl add-rule proto tcp dst "
row "sklookupctl add-rule proto tcp dst 192.0.2.0/24 port " any
row "sklookupctl add-rule proto tcp dst 192.0.2.0/24 phase " first specific fallback
row "sklookupctl add-rule proto tcp dst 192.0.2.0/24 phase f" first fallback
row "sklookupctl add-rule proto tcp dst 192.0.2.0/24 label " dns web
row "sklookupctl add-rule proto tcp dst 192.0.2.0/24 label w" web
row "sklookupctl add-rule proto tcp dst 192.0.2.0/24 label web " port src dev phase noreuseport comment
row "sklookupctl add-rule proto udp dst 192.0.2.0/24 port 53 drop " src dev phase comment
row "sklookupctl add-rule noreuseport proto tcp " dst port src dev phase label comment
row "sklookupctl add-rule proto tcp dev lo" $(cd /sys/class/net && compgen -G 'lo*')
row "sklookupctl -n red add-rule proto tcp label " redonly
# dev after -n lists that namespace's devices (ip -n NAME -o link), not the host's.
row "sklookupctl -n red add-rule proto tcp dev " lo veth-red
row "sklookupctl -n red explain proto tcp dev v" veth-red
row "sklookupctl --netns /run/netns/red add-rule proto tcp dev " lo veth-red
row "sklookupctl -n nosuchns add-rule proto tcp dev "
row "sklookupctl -n ./rules" ./rules.conf ./rules.d
row "sklookupctl del-rule " 7 12 proto
row "sklookupctl del-rule proto udp " dst port src dev phase label redirect noreuseport drop
row "sklookupctl del-rule proto " tcp udp
row "sklookupctl del-rule 1" 12
row "sklookupctl del-rule 7 "
row "sklookupctl show " -s label
row "sklookupctl show -s " label
row "sklookupctl show -s label " dns web
row "sklookupctl show label " dns web
row "sklookupctl --netns red show label " redonly
row "sklookupctl register " label
row "sklookupctl register label " dns web
row "sklookupctl register label web " fd pid systemd
row "sklookupctl register label web fd 3 " pid
row "sklookupctl register label web pid 42 " fd proto local
row "sklookupctl register label web pid 42 proto " tcp udp
row "sklookupctl register label web pid 42 proto u" udp
row "sklookupctl register label web pid 42 proto tcp " local
row "sklookupctl register label web pid 42 local "
row "sklookupctl register label web pid 42 local 127.0.0.1:80 " proto
row "sklookupctl register label web proto udp " pid local
row "sklookupctl register label web pid 42 fd 3 "
row "sklookupctl register label web systemd "
row "sklookupctl unregister " label
row "sklookupctl unregister label d" dns
row "sklookupctl apply " - --check --generation other.txt rules.conf rules.d
row "sklookupctl apply --check " - --generation other.txt rules.conf rules.d
row "sklookupctl apply --generation 7 --c" --check
row "sklookupctl apply r" rules.conf rules.d
row "sklookupctl apply --g" --generation
row "sklookupctl apply --generation "
row "sklookupctl apply --generation 7 r" rules.conf rules.d
row "sklookupctl apply --generation 7 rules.conf "
row "sklookupctl apply rules.conf "
row "sklookupctl fmt r" rules.conf rules.d
row "sklookupctl fmt rules.conf "
row "sklookupctl restore r" rules.conf rules.d
row "sklookupctl restore rules.conf "
row "sklookupctl dump " --generation
row "sklookupctl dump --generation "
row "sklookupctl status "
row "sklookupctl monitor " -t --timestamp
row "sklookupctl monitor -t "
row "sklookupctl help " $commands
row "sklookupctl help s" show stats status
row "sklookupctl help show "
row "sklookupctl version "
row "sklookupctl stats " --prometheus
row "sklookupctl stats --prometheus "
SKL_STUB_FAIL=1 note=" (no module)" row "sklookupctl show label "
SKL_STUB_FAIL=1 note=" (no module)" row "sklookupctl del-rule " proto
}
exit $failed
