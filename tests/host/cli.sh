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
