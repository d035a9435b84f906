#!/usr/bin/env bash
# The package guest's test runner, started by guest-tests.service once systemd has
# brought the guest up (the package tests boot with systemd as PID 1, not with
# tests/guest/init, because what they test is what systemd does at boot). Runs the guest
# tests named by skl_tests= on the kernel command line with their report on the second
# serial port (on arm64 the virtio console that skl_report= names), as the test init
# does, then powers off through systemd, so that the units' stop actions run as on any
# shutdown.
set -euo pipefail
report=$(sed -n 's/.*skl_report=\([^ ]*\).*/\1/p' /proc/cmdline)
report=${report:-/dev/ttyS1}
# Where that device's driver is a module (the virtio console of arm64 6.1) that udev has
# not loaded yet, load it and wait for the device.
if [ ! -c "$report" ]; then
	modprobe -q virtio_console 2>/dev/null || true
	i=0
	while [ ! -c "$report" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
fi
# Else the host sees only a guest that did not report: say why on the console.
[ -c "$report" ] || echo "guest-tests: no report device $report" >/dev/console
stty -F "$report" raw -echo 2>/dev/null || true
tests=$(sed -n 's/.*skl_tests=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
# shellcheck disable=SC2086 # one word per test name
/opt/sklookup/tests/run $tests >"$report" 2>&1 || true
echo "guest: done" >"$report"
sync
systemctl --no-block poweroff
