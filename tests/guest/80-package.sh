# The installed Debian packages under systemd: what the package and the units do at boot
# and what "systemctl" does to the rules and registrations. Runs only in the package guest
# (tests/vm/run-package.sh boots it twice with skl_boot=1 and 2 on the kernel command
# line); the other guests, booted by tests/guest/init with the DKMS copy, skip it.
. /opt/sklookup/tests/lib.sh

boot=$(sed -n 's/.*skl_boot=\([0-9]*\).*/\1/p' /proc/cmdline)
if [ -z "$boot" ]; then
	echo "# 80-package: not the package guest (tests/vm/run-package.sh), skipped"
	exit 0
fi
b="boot $boot:"
kver=$(uname -r)
version=$(dpkg-query -W -f '${Version}' sklookup-dkms 2>/dev/null)

# The units' own account of themselves, after a failed check about them.
units_status() {
	systemctl --no-pager --full status sklookup.service 'sklookup-register@*' 'web-*' 2>&1 |
		tail -n 40 | sed 's/^/# /'
}

# The rules of rules.conf as dump prints them: the file is written that way, minus comments.
file_rules() { grep -v '^[[:space:]]*#' /etc/sklookup/rules.conf | grep . || true; }

# "LABEL:PORT ..." for each label with its registered sockets, from show -j.
registered() {
	sklookupctl -j show | python3 -c '
import json, sys
doc = json.load(sys.stdin)
print(" ".join(sorted("%s:%d" % (l["name"], s["port"]) for l in doc["labels"] for s in l["sockets"])))'
}

# Wait up to 10 s for the registered sockets to be WANT: the module releases a closed
# socket within a second, and a started socket unit's registration is a job of its own.
wait_registered() {
	_n=0
	while [ "$(registered 2>&1)" != "$1" ] && [ $_n -lt 10 ]; do sleep 1; _n=$((_n + 1)); done
}

# What the web server reached at ADDRESS port 80 answers (its index.html names it).
fetch() {
	python3 -c '
import sys, urllib.request
print(urllib.request.urlopen("http://%s/" % sys.argv[1], timeout=30).read().decode().strip())' "$1" 2>&1 |
		tail -n 1
}

steering() {
	_a=$(fetch 192.0.2.1)
	_b=$(fetch 198.51.100.9)
	expect "$b $1: 192.0.2.1 port 80 reaches web-a" web-a "$_a"
	expect "$b $1: 198.51.100.9 port 80 reaches web-b" web-b "$_b"
	[ "$_a/$_b" = web-a/web-b ] || units_status
}

expect "$b sklookup-dkms and sklookupctl are installed" "install ok installed
install ok installed" "$(dpkg-query -W -f '${Status}\n' sklookup-dkms sklookupctl 2>&1)"
expect "$b sklookupctl is the package's" /usr/sbin/sklookupctl "$(command -v sklookupctl)"
check "$b dkms: sklookup/$version installed for $kver" \
	sh -c "dkms status -m sklookup -v $version -k $kver | grep -q ': installed'"
expect "$b the package enabled sklookup.service" enabled "$(systemctl is-enabled sklookup.service 2>&1)"

# Nothing in this guest loads the module but the unit: the tests have not touched it yet.
state=$(systemctl is-active sklookup.service 2>&1)
expect "$b sklookup.service is active after the boot" active "$state"
[ "$state" = active ] || units_status
check "$b the module was loaded at boot" test -d /sys/module/sklookup
expect "$b the unit's modprobe took the parameter of /etc/modprobe.d" 1000 \
	"$(cat /sys/module/sklookup/parameters/max_rules 2>&1)"
# The rules must be in force before any network configuration brings an interface up.
order=$(systemctl show -p ActiveEnterTimestampMonotonic --value sklookup.service network-pre.target | xargs)
check "$b sklookup.service was active before network-pre.target" \
	sh -c "set -- $order; [ \"\$1\" -gt 0 ] && [ \"\$1\" -le \"\$2\" ]"
expect "$b the rules in force are those of /etc/sklookup/rules.conf" "$(file_rules)" \
	"$(sklookupctl dump 2>&1)"
regs=$(registered 2>&1)
expect "$b sklookup-register@ registered the sockets of web-a.socket and web-b.socket" \
	"web-a:8081 web-b:8082" "$regs"
[ "$regs" = "web-a:8081 web-b:8082" ] || units_status

# The prefixes are the example's; making them local is the network configuration's job.
ip route replace local 192.0.2.0/24 dev lo
ip route replace local 198.51.100.0/24 dev lo
steering "steered by the boot's rules"
expect "$b web-a.service was started by its socket" active "$(systemctl is-active web-a.service 2>&1)"

if [ "$boot" = 1 ]; then
	# A restart re-applies the file; the module stays loaded, so do the registrations.
	check "$b systemctl restart sklookup" systemctl restart sklookup.service
	expect "$b after restart: rules as in the file" "$(file_rules)" "$(sklookupctl dump 2>&1)"
	expect "$b after restart: sockets still registered" "web-a:8081 web-b:8082" "$(registered 2>&1)"
	steering "after restart"

	cp /etc/sklookup/rules.conf /tmp/rules.conf.orig
	echo "proto tcp dst 203.0.113.0/24 port 80 label web-a" >>/etc/sklookup/rules.conf
	check "$b systemctl reload sklookup" systemctl reload sklookup.service
	expect "$b reload applies the changed file" "$(file_rules)" "$(sklookupctl dump 2>&1)"
	cp /tmp/rules.conf.orig /etc/sklookup/rules.conf
	check "$b systemctl reload sklookup (file restored)" systemctl reload sklookup.service

	check "$b systemctl stop sklookup" systemctl stop sklookup.service
	expect "$b stop flushes the rules" "" "$(sklookupctl dump 2>&1)"
	check "$b the module stays loaded after stop" test -d /sys/module/sklookup
	check "$b systemctl start sklookup" systemctl start sklookup.service
	expect "$b after start: rules as in the file" "$(file_rules)" "$(sklookupctl dump 2>&1)"
	steering "after stop and start"

	# A stopped socket unit closes its socket (the module lets it go by itself); started
	# again, it pulls in its sklookup-register@ unit, which registers the new socket.
	check "$b systemctl stop web-a.socket" systemctl stop web-a.socket web-a.service
	wait_registered "web-b:8082"
	expect "$b web-a's socket released once web-a.socket stopped" "web-b:8082" "$(registered 2>&1)"
	check "$b systemctl start web-a.socket" systemctl start web-a.socket
	wait_registered "web-a:8081 web-b:8082"
	expect "$b the new socket of web-a.socket registered" "web-a:8081 web-b:8082" "$(registered 2>&1)"
	steering "after web-a.socket was restarted"
fi

# The metrics units: installed, not enabled. Enabled (boot 1), the timer writes the
# counters where node_exporter's textfile collector reads them, and keeps doing so after
# the reboot (boot 2): the file is removed and must come back.
prom=/var/lib/prometheus/node-exporter/sklookup.prom
wait_prom() {
	_n=0
	while [ ! -s $prom ] && [ $_n -lt 30 ]; do sleep 1; _n=$((_n + 1)); done
}
if [ "$boot" = 1 ]; then
	expect "$b sklookup-metrics.timer is installed, not enabled" disabled \
		"$(systemctl is-enabled sklookup-metrics.timer 2>&1)"
	mkdir -p /var/lib/prometheus/node-exporter
	check "$b systemctl enable --now sklookup-metrics.timer" \
		systemctl enable --now sklookup-metrics.timer
else
	expect "$b sklookup-metrics.timer is active after the reboot" active \
		"$(systemctl is-active sklookup-metrics.timer 2>&1)"
	rm -f $prom
fi
wait_prom
metrics=$(python3 -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
           for f in text_string_to_metric_families(open(sys.argv[1]).read()) for s in f.samples}
print(int(samples[("sklookup_rules", ())]),
      samples[("sklookup_label_delivered_total", (("label", "web-a"),))] > 0)' $prom 2>&1)
expect "$b sklookup-metrics wrote the counters for node_exporter (rules, web-a delivered)" \
	"$(file_rules | wc -l) True" "$metrics"
[ "$metrics" = "$(file_rules | wc -l) True" ] ||
	systemctl --no-pager --full status sklookup-metrics.service 2>&1 | tail -n 20 | sed 's/^/# /'
