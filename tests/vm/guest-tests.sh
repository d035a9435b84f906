#!/usr/bin/env bash
# The package guest's test runner, started by guest-tests.service once systemd has
# brought the guest up (the package tests boot with systemd as PID 1, not with
# tests/guest/init, because what they test is what systemd does at boot). Runs the guest
# tests named by skl_tests= on the kernel command line with their report on the second
# serial port, as the test init does, then powers off through systemd, so that the
# units' stop actions run as on any shutdown.
set -euo pipefail
report=/dev/ttyS1
stty -F "$report" raw -echo 2>/dev/null || true
tests=$(sed -n 's/.*skl_tests=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
# shellcheck disable=SC2086 # one word per test name
/opt/sklookup/tests/run $tests >"$report" 2>&1 || true
echo "guest: done" >"$report"
sync
systemctl --no-block poweroff
