#!/usr/bin/env bash
# libFuzzer on sklookupctl's rule and address parsers for SECONDS (default 10), starting
# from tests/host/fuzz-corpus. The fuzzer grows a copy of the corpus in a temporary
# directory, never the source tree. Prints one "ok"/"not ok" line; a crashing input is
# kept (its path is printed) so it can be replayed and added to the corpus.
set -u
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-10}
name="CLI parser fuzz"

if ! out=$(make -s -C "$here" fuzz-cli 2>&1); then
	echo "not ok - $name: the harness does not build (clang with libFuzzer and the sanitizer runtimes, Debian's libclang-rt-14-dev)"
	printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
	exit 1
fi

work=$(mktemp -d)
crashes=$(mktemp -d "${TMPDIR:-/tmp}/sklookup-fuzz-cli.XXXXXX")
trap 'rm -rf "$work"; rmdir "$crashes" 2>/dev/null' EXIT
cp -R "$here/fuzz-corpus" "$work/corpus"

"$here/bin/fuzz-cli" -max_total_time="$seconds" -timeout=10 -artifact_prefix="$crashes/" \
	"$work/corpus" >"$work/log" 2>&1
rc=$?

# libFuzzer ends a clean run with "Done N runs in S second(s)".
done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$work/log" | tail -n 1)
artifact=$(find "$crashes" -type f | head -n 1)
if [ "$rc" = 0 ] && [ -n "$done_line" ] && [ -z "$artifact" ]; then
	read -r _ runs _ _ secs _ <<<"$done_line"
	# libFuzzer's last status line has the edges covered (cov), the features (ft) and the
	# corpus size; its first lines, the edges instrumented ("N inline 8-bit counters").
	read -r _ cov _ ft _ corp < <(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$work/log" | tail -n 1)
	edges=$(grep -oE '[0-9]+ inline 8-bit counters' "$work/log" | head -n 1 | cut -d' ' -f1)
	echo "ok - $name: $runs runs in $secs s, no crash; edges covered ${cov:-?} of ${edges:-?}, features ${ft:-?}, corpus ${corp:-?}"
	# With LLVM's tools (Debian's llvm), the parsers' line coverage over that corpus.
	if command -v llvm-profdata >/dev/null && command -v llvm-cov >/dev/null &&
		make -s -C "$here" bin/fuzz-cli-cov >/dev/null 2>&1; then
		LLVM_PROFILE_FILE="$work/cov.profraw" "$here/bin/fuzz-cli-cov" -runs=0 \
			"$work/corpus" >/dev/null 2>&1
		llvm-profdata merge -o "$work/cov.profdata" "$work/cov.profraw" 2>/dev/null &&
			llvm-cov report "$here/bin/fuzz-cli-cov" -instr-profile="$work/cov.profdata" \
				2>/dev/null | awk '$1 ~ /userspace\// && $10 != "-" {
					n = split($1, p, "/"); printf "%s%s %s of lines", sep, p[n], $10; sep = ", "
				} END { if (sep) print "" }' | sed 's/^/# line coverage of the parsers: /'
	fi
	exit 0
fi

echo "not ok - $name: exit status $rc"
# The sanitizer's or the harness's report, not libFuzzer's progress lines.
grep -v -E '^(#[0-9]+|INFO:|MS:|base unit:|0x)|in fuzzer::|__libc_start|in _start |print_stack_trace|NOTE: libFuzzer|Combine libFuzzer' \
	"$work/log" | head -n 30 | sed 's/^/# /'
if [ -n "$artifact" ]; then
	echo "# crashing input: $artifact"
	echo "# replay: $here/bin/fuzz-cli $artifact"
fi
exit 1
