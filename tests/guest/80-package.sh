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

# A service that binds its own socket: a TCP server on 127.0.0.1:PORT that answers NAME,
# started in the background; prints its pid once it listens.
own_server() {
	rm -f "/tmp/own-$1.ready"
	python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[2])))
s.listen(128)
open("/tmp/own-%s.ready" % sys.argv[1], "w").close()
while True:
    c, _ = s.accept()
    try:
        c.sendall(sys.argv[1].encode() + b"\n")
    except OSError:
        pass
    c.close()' "$1" "$2" </dev/null >/dev/null 2>&1 &
	_pid=$!
	_n=0
	while [ ! -e "/tmp/own-$1.ready" ] && [ $_n -lt 100 ]; do sleep 0.1; _n=$((_n + 1)); done
	echo $_pid
}

# The lines of restore's record for LABEL, as "label LABEL pid PID".
recorded() { sed -n "s/^\(label $1 pid [0-9]*\) .*/\1/p" /run/sklookup/registered 2>/dev/null; }

# "systemctl restart sklookup" reloads the module (the package's upgrade does the same):
# the rules of rules.conf come back, the sockets of the socket units are registered again
# by their sklookup-register@ units, and those registered by pid are taken again from
# their processes (sklookupctl restore) when these still run. Measured under traffic: the
# longest window in which connections to a steered address failed.
restart_keeps() {
	ip route replace local 198.18.0.0/24 dev lo
	cp /etc/sklookup/rules.conf /tmp/rules.conf.before-c
	echo "proto tcp dst 198.18.0.0/24 port 80 label web-c" >>/etc/sklookup/rules.conf
	check "$b reload with the rule of web-c" systemctl reload sklookup.service
	pid_c=$(own_server web-c 8083)
	pid_d=$(own_server web-d 8084)
	check "$b register label web-c pid (a service that binds its own socket)" \
		sklookupctl register label web-c pid "$pid_c"
	check "$b register label web-d pid (a service that will exit)" \
		sklookupctl register label web-d pid "$pid_d"
	expect "$b register ... pid recorded both for restore" \
		"label web-c pid $pid_c
label web-d pid $pid_d" "$(recorded 'web-[cd]')"
	kill "$pid_d"
	_n=0
	while [ -e /proc/"$pid_d" ] && [ $_n -lt 100 ]; do sleep 0.1; _n=$((_n + 1)); done
	wait_registered "web-a:8081 web-b:8082 web-c:8083"
	expect "$b steered to web-c by pid registration" web-c \
		"$(python3 -c '
import socket
s = socket.create_connection(("198.18.0.1", 80), timeout=10)
print(s.recv(64).decode().strip())' 2>&1)"

	rm -f /tmp/steergap.stop
	python3 "$T/steergap.py" /tmp/steergap.stop 192.0.2.1:80 198.18.0.1:80 >/tmp/steergap.out 2>&1 &
	gap_pid=$!
	sleep 2
	sys_ino=$(stat -c %i /sys/module/sklookup)
	t0=$(date +%s%N)
	check "$b systemctl restart sklookup (under traffic)" systemctl restart sklookup.service
	t1=$(date +%s%N)
	wait_registered "web-a:8081 web-b:8082 web-c:8083"
	t2=$(date +%s%N)
	sleep 2
	touch /tmp/steergap.stop
	wait "$gap_pid"
	check "$b restart loaded the module again (a new /sys/module/sklookup)" \
		test "$(stat -c %i /sys/module/sklookup 2>&1)" != "$sys_ino"
	expect "$b after restart: rules as in the file" "$(file_rules)" "$(sklookupctl dump 2>&1)"
	regs=$(registered 2>&1)
	expect "$b after restart: socket units' and pid's sockets registered again" \
		"web-a:8081 web-b:8082 web-c:8083" "$regs"
	[ "$regs" = "web-a:8081 web-b:8082 web-c:8083" ] || units_status
	expect "$b after restart: the record keeps web-c, drops web-d (its process exited)" \
		"label web-c pid $pid_c" "$(recorded 'web-[cd]')"
	journal=$(journalctl -b -u sklookup.service -o cat --no-pager 2>&1)
	check "$b restore said it took web-c back" \
		sh -c 'printf "%s\n" "$1" | grep -q "^restored label web-c pid $2 fd "' - "$journal" "$pid_c"
	check "$b restore said it dropped web-d, and why" \
		sh -c 'printf "%s\n" "$1" | grep -q "^dropped label web-d pid $2 inode [0-9]*: process $2 has exited$"' \
			- "$journal" "$pid_d"
	steering "after restart"
	gaps=$(cat /tmp/steergap.out)
	gap_a=$(printf '%s\n' "$gaps" | sed -n 's/^192\.0\.2\.1:80 .* gap_ms //p')
	gap_c=$(printf '%s\n' "$gaps" | sed -n 's/^198\.18\.0\.1:80 .* gap_ms //p')
	echo "# $b restart under traffic: systemctl restart took $(( (t1 - t0) / 1000000 )) ms, all sockets registered $(( (t2 - t0) / 1000000 )) ms after it began"
	printf '%s\n' "$gaps" | sed "s/^/# $b steering gap: /"
	# Each target failed for a while (the module was gone) and came back.
	check "$b steering gap measured for web-a (socket unit): $gap_a ms" \
		sh -c 'case $1 in ""|*[!0-9]*) exit 1;; esac; [ "$1" -gt 0 ] && [ "$1" -lt 30000 ]' - "$gap_a"
	check "$b steering gap measured for web-c (by pid): $gap_c ms" \
		sh -c 'case $1 in ""|*[!0-9]*) exit 1;; esac; [ "$1" -gt 0 ] && [ "$1" -lt 30000 ]' - "$gap_c"

	# Stop unloads the module; start brings the same back as restart.
	check "$b systemctl stop sklookup" systemctl stop sklookup.service
	check "$b stop unloads the module" test ! -e /sys/module/sklookup
	check "$b systemctl start sklookup" systemctl start sklookup.service
	expect "$b after start: rules as in the file" "$(file_rules)" "$(sklookupctl dump 2>&1)"
	wait_registered "web-a:8081 web-b:8082 web-c:8083"
	expect "$b after start: sockets registered again" "web-a:8081 web-b:8082 web-c:8083" \
		"$(registered 2>&1)"
	steering "after stop and start"

	# Released by hand, a label is forgotten: a restart must not take it back.
	check "$b unregister label web-c" sklookupctl unregister label web-c
	expect "$b unregister forgot web-c's record" "" "$(recorded web-c)"
	kill "$pid_c"
	cp /tmp/rules.conf.before-c /etc/sklookup/rules.conf
	check "$b reload without the rule of web-c" systemctl reload sklookup.service
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
	# The upgrade path: the package's postinst restarts the unit (below: what that does),
	# after the debhelper snippets, DKMS's among them, have installed the new module.
	check "$b postinst try-restarts sklookup.service after DKMS installed the module" sh -c '
f=/var/lib/dpkg/info/sklookup-dkms.postinst
last_dkms=$(grep -n dkms "$f" | tail -n 1 | cut -d: -f1)
restart=$(grep -n "deb-systemd-invoke try-restart sklookup.service" "$f" | cut -d: -f1)
[ -n "$last_dkms" ] && [ -n "$restart" ] && [ "$last_dkms" -lt "$restart" ]'
	restart_keeps

	cp /etc/sklookup/rules.conf /tmp/rules.conf.orig
	echo "proto tcp dst 203.0.113.0/24 port 80 label web-a" >>/etc/sklookup/rules.conf
	check "$b systemctl reload sklookup" systemctl reload sklookup.service
	expect "$b reload applies the changed file" "$(file_rules)" "$(sklookupctl dump 2>&1)"
	cp /tmp/rules.conf.orig /etc/sklookup/rules.conf
	check "$b systemctl reload sklookup (file restored)" systemctl reload sklookup.service

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
