# The netlink API under a fuzzer built from the family's spec: from root with several
# senders at once, and from an unprivileged user in its own user and network namespace.
# After each batch the module must read back, steer, and return to zero once flushed; the
# kernel log is checked at the end of the run (and panic_on_warn stops any splat).
. /opt/sklookup/tests/lib.sh

messages=${SKL_FUZZ_MESSAGES:-100000}
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

modprobe sklookup
root_part=$((messages * 3 / 4))
out=$(cd $T && python3 nlfuzz.py --messages $root_part --senders 3 2>&1); rc=$?
printf '%s\n' "$out" | grep '^# fuzz:'
expect "fuzz as root: $root_part messages from 3 senders, every one answered, 25 or more of the module's rejections reached" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
(cd $T && python3 fuzzcheck.py "after the root batch")

echo 1 >/sys/module/sklookup/parameters/allow_userns
user_part=$((messages - root_part))
out=$(cd $T && as_nobody unshare -Urn sh -c "ip link set lo up; python3 nlfuzz.py --messages $user_part" 2>&1); rc=$?
printf '%s\n' "$out" | grep '^# fuzz:'
expect "fuzz as an unprivileged user in its own namespaces: $user_part messages" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
echo 0 >/sys/module/sklookup/parameters/allow_userns
(cd $T && python3 fuzzcheck.py "after the unprivileged batch")
unload
