#!/usr/bin/env bash
# The man page: it renders without a warning, and every rule of its EXAMPLES is one that
# sklookupctl reads (checked with "fmt", which needs no module).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
page=$top/doc/sklookupctl.8
ctl=$top/userspace/sklookupctl

if command -v groff >/dev/null; then
	out=$(groff -man -ww -z "$page" 2>&1)
	if [ -z "$out" ]; then
		echo "ok - man page renders without warnings (groff -man -ww)"
	else
		echo "not ok - man page renders without warnings (groff -man -ww)"
		printf '%s\n' "$out" | head -n 20 | sed 's/^/# /'
	fi
else
	echo "# groff is not installed: the man page's rendering is not checked"
fi

# The add-rule lines of EXAMPLES, their roff escapes undone, as lines of a rule file.
rules=$(sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$page" | sed -n 's/^sklookupctl add\\-rule //p' |
	sed 's/\\-/-/g')
n=$(printf '%s\n' "$rules" | grep -c .)
if out=$(printf '%s\n' "$rules" | "$ctl" fmt - 2>&1) && [ "$n" -ge 5 ] && [ "$out" = "$rules" ]; then
	echo "ok - man page: the $n rules of EXAMPLES parse and print as written"
else
	echo "not ok - man page: the $n rules of EXAMPLES parse and print as written"
	diff <(printf '%s\n' "$rules") <(printf '%s\n' "$out") | sed 's/^/# /'
fi
