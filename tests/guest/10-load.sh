# Loading: what DKMS installed, module parameters, unloading, and the CLI without a module.
. /opt/sklookup/tests/lib.sh

kver=$(uname -r)
version=$(cat /opt/sklookup/src/VERSION)

if [ -f /opt/sklookup/debug-kernel ]; then
	# The debug kernel (tests/vm/run-debug.sh): its module is built against the debug
	# tree and installed under extra/, not by DKMS, which knows only the stock kernel.
	check "modinfo finds the debug kernel's build and its version" \
		sh -c "modinfo -F filename sklookup | grep -q '/lib/modules/$kver/extra/sklookup.ko' &&
		       [ \"\$(modinfo -F version sklookup)\" = '$version' ]"
else
	check "dkms lists sklookup/$version installed for $kver" \
		sh -c "dkms status -m sklookup -v $version -k $kver | grep -F '$kver' | grep -q ': installed\$'"
	check "modinfo finds the DKMS build and its version" \
		sh -c "modinfo -F filename sklookup | grep -q '/updates/dkms/sklookup.ko' &&
		       [ \"\$(modinfo -F version sklookup)\" = '$version' ]"
	# What a user's dkms build printed (install.sh keeps it): no compiler, modpost or
	# objtool warning, the last of which would mean an unwind or return thunk gone wrong.
	check "the DKMS build log is kept, and it linked sklookup.ko" \
		grep -q 'sklookup\.ko' /opt/sklookup/dkms-make.log
	expect "the DKMS build log has no warning" "" \
		"$(grep -i -e 'warning' /opt/sklookup/dkms-make.log 2>&1)"
fi
check "modinfo describes every module parameter" \
	sh -c "for p in hook_tcp hook_udp hook_ipv6 max_rules max_sockets allow_userns; do
		modinfo -F parm sklookup | grep -q \"^\$p:.\" || { echo \"no description for \$p\"; exit 1; }
	done"

out=$(sklookupctl status 2>&1); rc=$?
expect "status without the module: exit 1" 1 "$rc"
expect "status without the module: says so, and how to load it" \
	"sklookupctl: the sklookup module is not loaded: try 'systemctl start sklookup' (which also applies /etc/sklookup/rules.conf) or 'modprobe sklookup'" "$out"
out=$(sklookupctl version 2>&1); rc=$?
expect "version without the module: says it is not loaded" \
	"0 sklookupctl $version
module not loaded" "$rc $out"

check "modprobe sklookup hook_ipv6=0" modprobe sklookup hook_ipv6=0
expect "parameter hook_ipv6 visible in sysfs" N "$(cat /sys/module/sklookup/parameters/hook_ipv6)"
expect "parameter hook_tcp visible in sysfs" Y "$(cat /sys/module/sklookup/parameters/hook_tcp)"
expect "status: IPv6 hooks off with hook_ipv6=0" "off off" "$(hook_state tcp6) $(hook_state udp6)"
expect "status: IPv4 hooks active with hook_ipv6=0" "active active" \
	"$(hook_state tcp4) $(hook_state udp4)"
expect "status reports the module version" "sklookup $version" "$(sklookupctl status | head -n 1)"
out=$(sklookupctl version 2>&1); rc=$?
expect "version: sklookupctl's and the loaded module's, no warning when they agree" \
	"0 sklookupctl $version
module $version" "$rc $out"
check "ftrace lists the TCP hook" grep -q '__inet_lookup_listener' /sys/kernel/tracing/enabled_functions
check "rmmod sklookup" rmmod sklookup
check "no hook left in ftrace after rmmod" \
	sh -c "! grep -E 'inet6?_lookup_listener|__udp[46]_lib_lookup' /sys/kernel/tracing/enabled_functions"

check "modprobe sklookup (all hooks)" modprobe sklookup
expect "status: all four hooks active" "active active active active" \
	"$(hook_state tcp4) $(hook_state tcp6) $(hook_state udp4) $(hook_state udp6)"
check "status -j is one JSON document" sh -c 'sklookupctl -j status | python3 -m json.tool >/dev/null'
unload
