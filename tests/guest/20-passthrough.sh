# With the module loaded and no rules, every lookup is counted and traffic is unchanged.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
for proto in tcp udp; do
	for family in 4 6; do
		hook=$proto$family
		before=$(hook_calls "$hook")
		check "$hook echo over loopback with the module loaded" $NET echo "$proto" "$family"
		after=$(hook_calls "$hook")
		if [ "$after" -gt "$before" ]; then
			pass "$hook hook counter moved ($before -> $after)"
		else
			fail "$hook hook counter moved" "before: $before" "after: $after"
		fi
	done
done
echo "# counters: $(sklookupctl status | tail -n 4 | tr -s ' ' | tr '\n' ';')"
unload
