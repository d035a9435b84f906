# The netlink API under sequences: staged sets committed with and without a generation,
# stale ones, aborted ones, rules in force added and deleted, real sockets registered
# and closed, from two senders in each of two namespaces while traffic dials the rules.
# Checks what each checked sequence must see, then that the kernel log is clean and the
# module's counters return to zero. SKL_STATEFUZZ_SEED repeats a run (the seed is printed).
. /opt/sklookup/tests/lib.sh

modprobe sklookup
(cd $T && python3 statefuzz.py --seconds "${SKL_STATEFUZZ_SECONDS:-40}" \
	${SKL_STATEFUZZ_SEED:+--seed "$SKL_STATEFUZZ_SEED"})
unload
