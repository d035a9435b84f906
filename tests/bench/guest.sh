#!/bin/bash
# The guest half of "make bench": every configuration in a network namespace of its own,
# so that they all stay set up for the whole boot and the rounds can interleave them:
# each round measures every configuration on every workload once, and the host takes
# the median over the rounds. sklookup's hooks are global, so the configurations without
# the module run while it is unloaded, and each round loads it and applies the rules again.
#
#   guest.sh [ROUNDS [SECONDS [CONFIGS]]]    CONFIGS: "all" or names joined by "+"
#
# Prints "result CONFIG WORKLOAD ROUND FIGURE SENT" lines, "info KEY VALUE" lines and
# "# " comments.
set -u
B=/opt/sklookup/src/tests/bench
rounds=${1:-5}
secs=${2:-2}
want=${3:-all}
dst=192.0.2.7:5000
workloads="udp tcp syn"
# "steered" servers listen where no packet is addressed; only a rule brings traffic there
steered=127.0.0.1:15000

# name, namespace, module loaded?, how skbench makes the server (%k: the sockmap key,
# 0 for TCP and 1 for UDP)
configs="
base	base	no	bind $dst
bind256	bind	no	bind-range 192.0.2.0:5000 256
bpf1	bpf1	no	bind $steered sockmap /run/bpf/bpf1/socks %k
bpf10k	bpf10k	no	bind $steered sockmap /run/bpf/bpf10k/socks %k
bpf1m	bpf1m	no	bind $steered sockmap /run/bpf/bpf1m/socks %k
tproxy	tproxy	no	bind $steered transparent
mod0	base	yes	bind $dst
skl1	skl1	yes	bind $steered register bench
skl10k	skl10k	yes	bind $steered register bench
skl1m	skl1m	yes	bind $steered register bench
sklr1	sklr1	yes	bind $steered
dmod0	base	direct	bind $dst
dskl1	dskl1	direct	bind $steered register bench
dsklr1	dsklr1	direct	bind $steered
skl128	skl128	yes	bind-range $steered 128 register-all bench
omod0	base	old	bind $dst
oskl1	oskl1	old	bind $steered register bench
oskl10k	oskl10k	old	bind $steered register bench
osklr1	osklr1	old	bind $steered
"

# The module and sklookupctl of an older commit (BENCH_BEFORE, tests/bench/run), for a
# before-and-after in one boot: the same workloads measured right after today's module.
old=/opt/sklookup/old

# The hook=direct configurations (d*) and the older module's (o*) only when named: "all"
# stays what it was.
wanted() {
	case "$1" in d* | o*) ;; *) case "+$want+" in *"+all+"*) return 0 ;; esac ;; esac
	case "+$want+" in *"+$1+"*) return 0 ;; *) return 1 ;; esac
}
info() { echo "info $*"; }
elapsed() { python3 -c 'import sys; print("%.2f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$(date +%s.%N)"; }

mkns() {
	ip netns list | grep -qw "^$1" && return
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip -n "$1" route add local 192.0.2.0/24 dev lo
	# the flood's SYN-ACKs leave by a dummy device, which drops them at once
	ip -n "$1" link add d0 type dummy
	ip -n "$1" link set d0 up
	ip -n "$1" route add 198.18.0.0/15 dev d0
}

# N rules, or rN: the same with the two that match redirecting to the unregistered server.
rules_file() {
	local n=$1 f=/tmp/rules-$1 action="label bench"
	[ -f "$f" ] && { echo "$f"; return; }
	case "$n" in r*) n=${n#r} action="redirect $steered" ;; esac
	{
		echo "proto udp dst 192.0.2.0/24 port 5000 $action"
		echo "proto tcp dst 192.0.2.0/24 port 5000 $action"
		[ "$n" -gt 2 ] && "$B/skbench" rules $((n - 2))
	} >"$f"
	echo "$f"
}

rules_of() {
	case "$1" in
	skl1 | dskl1 | oskl1 | skl128) echo 2 ;;
	skl10k | oskl10k) echo 10000 ;;
	skl1m) echo 1000000 ;;
	sklr1 | dsklr1 | osklr1) echo r2 ;;
	esac
}

echo "# kernel $(uname -r), $(nproc) CPUs, $rounds rounds of ${secs}s"
info kernel "$(uname -r)"
info rounds "$rounds"
info seconds "$secs"
modprobe -q dummy

# Set up every namespace once.
while IFS=$'\t' read -r name ns mod server; do
	[ -n "$name" ] && wanted "$name" || continue
	mkns "$ns"
	case "$name" in
	bpf*)
		n=1
		case "$name" in bpf10k) n=10000 ;; bpf1m) n=1000000 ;; esac
		t=$(date +%s.%N)
		ip netns exec "$ns" "$B/skbpf" "$B/steer.bpf.o" "/run/bpf/$name" "$n" ||
			echo "error $name: skbpf failed"
		info "bpf_fill_$name" "$(elapsed "$t")"
		;;
	tproxy)
		ip netns exec "$ns" nft -f - <<-EOF || echo "error tproxy: nft failed"
		table ip bench {
			chain pre {
				type filter hook prerouting priority mangle; policy accept;
				ip daddr 192.0.2.0/24 udp dport 5000 tproxy to $steered
				ip daddr 192.0.2.0/24 tcp dport 5000 tproxy to $steered
			}
		}
		EOF
		;;
	skl* | dskl* | oskl*) rules_file "$(rules_of "$name")" >/dev/null ;;
	esac
done <<<"$configs"

# The sklookupctl that the servers register with: the older one beside its module.
ctl_path=$PATH
run() {
	local name=$1 ns=$2 server=$3 wl=$4 round=$5 key=0 out
	[ "$wl" = udp ] && key=1
	# shellcheck disable=SC2086
	if out=$(PATH=$ctl_path ip netns exec "$ns" "$B/skbench" "$wl" "$dst" "$secs" ${server//%k/$key} 2>&1); then
		echo "result $name $wl $round $out"
	else
		echo "error $name $wl $round: $out"
	fi
}

measure() {	# $1: "yes" for the configurations with the module loaded, "direct" with
		# hook=direct, "old" with the older commit's module
	local wl name ns mod server
	for wl in $workloads; do
		while IFS=$'\t' read -r name ns mod server; do
			[ -n "$name" ] && [ "$mod" = "$1" ] && wanted "$name" || continue
			# 128 sockets share the flows: only the SYN flood, which counts the
			# cookies the namespace sent, not one socket's traffic, measures it
			[ "$name" = skl128 ] && [ "$wl" != syn ] && continue
			run "$name" "$ns" "$server" "$wl" "$round"
		done <<<"$configs"
	done
}

loaded() { grep -q '^sklookup ' /proc/modules; }

# The first runs of a boot are slower (caches, lazy setup in the kernel and the page
# cache): one run of each workload, not counted, before the rounds.
for wl in $workloads; do
	run base base "bind $dst" "$wl" 0 | sed 's/^/# warm-up: /'
done

for round in $(seq 1 "$rounds"); do
	echo "# round $round"
	loaded && rmmod sklookup
	measure no
	modprobe sklookup || { echo "error modprobe failed"; continue; }
	for name in skl1 skl10k skl1m sklr1 skl128; do
		wanted "$name" || continue
		before=$(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo)
		t=$(date +%s.%N)
		out=$(sklookupctl -n "$name" apply "$(rules_file "$(rules_of "$name")")" 2>&1) ||
			echo "error $name: apply failed: $(echo "$out" | head -n 3)"
		took=$(elapsed "$t")
		after=$(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo)
		if [ "$round" = 1 ]; then
			info "apply_s_$name" "$took"
			info "mem_kib_$name" $((before - after))
		fi
	done
	measure yes
	t=$(date +%s.%N)
	rmmod sklookup
	[ "$round" = 1 ] && info rmmod_s "$(elapsed "$t")"
	# The same with the hooks as ftrace direct calls, right after: hook=direct against
	# hook=ops in one round.
	if wanted dmod0 || wanted dskl1 || wanted dsklr1; then
		if ! out=$(modprobe sklookup hook=direct 2>&1); then
			echo "# hook=direct not available: $out $(dmesg | grep 'sklookup: hook=' | tail -n 1)"
			continue
		fi
		for name in dskl1 dsklr1; do
			wanted "$name" || continue
			out=$(sklookupctl -n "$name" apply "$(rules_file "$(rules_of "$name")")" 2>&1) ||
				echo "error $name: apply failed: $(echo "$out" | head -n 3)"
		done
		measure direct
		t=$(date +%s.%N)
		rmmod sklookup
		[ "$round" = 1 ] && info rmmod_s_direct "$(elapsed "$t")"
	fi
	if wanted omod0 || wanted oskl1 || wanted oskl10k || wanted osklr1; then
		if ! out=$(insmod "$old/sklookup.ko" 2>&1); then
			echo "error old: insmod $old/sklookup.ko failed: $out"
			continue
		fi
		ctl_path=$old/bin:$PATH
		for name in oskl1 oskl10k osklr1; do
			wanted "$name" || continue
			out=$(PATH=$ctl_path sklookupctl -n "$name" apply "$(rules_file "$(rules_of "$name")")" 2>&1) ||
				echo "error $name: apply failed: $(echo "$out" | head -n 3)"
		done
		measure old
		ctl_path=$PATH
		rmmod sklookup
	fi
done

# The cost configuration: instructions per call of each hooked lookup, by part, from inside
# the kernel (tests/bench/lookupcost: lookupcost.ko times the calls, cost.py binds the
# sockets and checks that every call found the expected one). Each case in a namespace
# above; the flow is the workloads' (to $dst, steered to $steered).
if wanted cost; then
	lc=$B/lookupcost
	cost() {	# CASE NAMESPACE cost.py's options
		local case=$1 ns=$2
		shift 2
		ip netns exec "$ns" python3 "$lc/cost.py" "$case" "$@" || echo "error cost $case: cost.py failed"
	}
	# ftrace's ops on both lookups, as enabled_functions lists them (not under "ip netns
	# exec", which mounts a /sys of its own)
	hooks_on() {
		[ "$(grep -cE '^(__udp4_lib_lookup|__inet_lookup_listener) ' /sys/kernel/tracing/enabled_functions)" = 2 ] ||
			echo "error cost $1: ftrace does not list an ops on both lookups"
	}
	steer_rules() {	# apply skl1's and sklr1's rules (after each load of sklookup)
		local name
		for name in skl1 sklr1; do
			out=$(sklookupctl -n "$name" apply "$(rules_file "$(rules_of "$name")")" 2>&1) ||
				echo "error cost $name: apply failed: $(echo "$out" | head -n 3)"
		done
	}
	loaded && rmmod sklookup
	mkns base
	mkns skl1
	mkns sklr1
	if insmod "$lc/lookupcost.ko"; then
		cost kernel base --bind "$dst" --expect 5000
		cost miss base --expect 0
		rmmod lookupcost
	else
		echo "error cost: insmod lookupcost.ko failed"
	fi
	if insmod "$lc/lookupcost.ko" hook=1; then
		hooks_on ftrace
		cost ftrace base --bind "$dst" --expect 5000
		rmmod lookupcost
	else
		echo "error cost: insmod lookupcost.ko hook=1 failed"
	fi
	insmod "$lc/lookupcost.ko" || echo "error cost: insmod lookupcost.ko failed"
	for hook in ops direct; do
		p=
		[ "$hook" = direct ] && p=d
		if ! out=$(modprobe sklookup hook=$hook 2>&1); then
			echo "# cost: hook=$hook not available: $out $(dmesg | grep 'sklookup: hook=' | tail -n 1)"
			continue
		fi
		hooks_on "${p}mod0"
		cost "${p}mod0" base --bind "$dst" --expect 5000
		steer_rules
		cost "${p}mod0r" base --bind "$dst" --expect 5000
		cost "${p}skl1" skl1 --bind "$steered" --register bench --expect 15000
		cost "${p}sklr1" sklr1 --bind "$steered" --expect 15000
		cost "${p}mod0miss" base --expect 0
		rmmod sklookup
	done
	rmmod lookupcost
fi

# The control plane: apply of 100,000 rules into a namespace of its own, three times.
if wanted ctl; then
	mkns ctl
	modprobe sklookup
	f=$(rules_file 100000)
	for i in 1 2 3; do
		t=$(date +%s.%N)
		out=$(sklookupctl -n ctl apply "$f" 2>&1) || echo "error ctl: apply failed: $(echo "$out" | head -n 3)"
		info apply_s_100k "$(elapsed "$t")"
	done
	# apply's own share: the file parses whole before the module is asked anything, so
	# with a bad last line apply stops there. tests/bench/run times the same on the host.
	{ cat "$f"; echo "proto bogus"; } >"$f-bad"
	for i in 1 2 3; do
		t=$(date +%s.%N)
		sklookupctl -n ctl apply "$f-bad" >/dev/null 2>&1 && echo "error ctl: apply took a bad file"
		info apply_parse_s_100k "$(elapsed "$t")"
	done
	rmmod sklookup
fi

# The kernel must not have complained while being measured.
if dmesg | grep -qE 'WARNING:|BUG:|Oops|Call Trace'; then
	echo "error kernel log:"
	dmesg | grep -E -A5 'WARNING:|BUG:|Oops|Call Trace' | head -n 30 | sed 's/^/# /'
fi
