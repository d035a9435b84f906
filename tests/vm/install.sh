#!/usr/bin/env bash
# Install the working tree's sklookup into the cached root of kernel $1 the way a user
# does: the source under /usr/src, then dkms add, build and install against that root's
# kernel; sklookupctl built there against that release's libmnl. Also puts the guest tests
# and the guest's init into the root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

kernel=${1:?usage: install.sh KERNEL}
root="$SKL_CACHE/roots/$kernel"
[ -f "$root/.sklookup-recipe" ] || skl_die "$kernel: no root; run tests/vm/mkroot.sh $kernel first"
version=$(cat "$top/VERSION")
kver=$(basename "$(ls -d "$root"/lib/modules/*/ | head -n 1)")

# What git would commit: tracked files and new files that are not ignored, as they are now.
files() {
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$top" ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do [ -e "$top/$f" ] && printf '%s\0' "$f"; done
	else
		(cd "$top" && find . -type f ! -path './build/*' -print0)
	fi
}

rm -rf "$root/usr/src/sklookup-"* "$root/opt/sklookup"
mkdir -p "$root/usr/src/sklookup-$version" "$root/opt/sklookup/src"
files | tar -C "$top" --null -T - -cf - | tar -C "$root/usr/src/sklookup-$version" -xf -
cp -a "$root/usr/src/sklookup-$version/." "$root/opt/sklookup/src/"
cp -a "$top/tests/guest" "$root/opt/sklookup/tests"

log="$top/build/tests/$kernel/install.log"
mkdir -p "$(dirname "$log")"
skl_log "$kernel: dkms install sklookup/$version for $kver"
skl_chroot "$root" sh -ec "
	for v in \$(ls /var/lib/dkms/sklookup 2>/dev/null | grep -v '^kernel'); do
		dkms remove -m sklookup -v \"\$v\" --all || true
	done
	dkms add -m sklookup -v $version
	dkms build -m sklookup -v $version -k $kver
	dkms install -m sklookup -v $version -k $kver
	# The build's output, for 10-load: dkms 3.0 keeps it in build/, later ones per kernel.
	log=\$(find /var/lib/dkms/sklookup/$version -name make.log -path '*/$kver/*' | head -n 1)
	cp \"\${log:-/var/lib/dkms/sklookup/$version/build/make.log}\" /opt/sklookup/dkms-make.log || true
	make -C /opt/sklookup/src/userspace
	install -m 0755 /opt/sklookup/src/userspace/sklookupctl /usr/local/sbin/sklookupctl
	# A test build with fault injection, which the guest tests 58-faults and 59-refusal
	# load by hand. SKL_FAULT_BUILD=0 skips it (under emulation, arm64, a build takes over
	# 10 minutes): those two tests then fail.
	if [ ${SKL_FAULT_BUILD:-1} = 1 ]; then
		# A copy that a failed run left would take this one inside it: cp -a into a
		# directory. Each build starts from an empty one.
		rm -rf /tmp/sklookup-fault
		cp -a /opt/sklookup/src /tmp/sklookup-fault
		make -C /tmp/sklookup-fault KDIR=/lib/modules/$kver/build module SKL_FAULT_INJECTION=y
		mkdir -p /opt/sklookup/fault
		cp /tmp/sklookup-fault/sklookup.ko /opt/sklookup/fault/
		rm -rf /tmp/sklookup-fault
	fi
	# Another module that wants the hooked functions with an IP-modifying ftrace ops,
	# which the guest test 56-coexist loads beside sklookup.
	rm -rf /tmp/skl-ipmodify
	cp -a /opt/sklookup/src/tests/guest/ipmodify /tmp/skl-ipmodify
	make -C /lib/modules/$kver/build M=/tmp/skl-ipmodify modules
	mkdir -p /opt/sklookup/ipmodify
	cp /tmp/skl-ipmodify/skl_ipmodify.ko /opt/sklookup/ipmodify/
	rm -rf /tmp/skl-ipmodify
	# dkms build of a copy whose probes of the UDP lookups fail on purpose, as on a kernel
	# that lacks both known shapes: the guest test 59-refusal checks what it left. Run
	# here, natively: in the emulated guest the probes alone take minutes.
	rm -rf /usr/src/sklookup-0.0.1 /opt/sklookup/probe-refusal
	mkdir -p /opt/sklookup/probe-refusal
	cp -a /usr/src/sklookup-$version /usr/src/sklookup-0.0.1
	sed -i 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"0.0.1\"/' /usr/src/sklookup-0.0.1/dkms.conf
	dkms add -m sklookup -v 0.0.1
	rc=0
	SKL_PROBE_FAIL='UDP_LIB_LOOKUP_TABLE UDP_LIB_LOOKUP_NETNS' \
		dkms build -m sklookup -v 0.0.1 -k $kver >/opt/sklookup/probe-refusal/out 2>&1 || rc=\$?
	echo \$rc >/opt/sklookup/probe-refusal/rc
	cp /var/lib/dkms/sklookup/0.0.1/build/make.log /opt/sklookup/probe-refusal/ || true
	dkms remove -m sklookup -v 0.0.1 --all >/dev/null 2>&1 || true
	rm -rf /usr/src/sklookup-0.0.1
" >"$log" 2>&1 || {
	tail -n 40 "$log" >&2
	find "$root/var/lib/dkms/sklookup" -name make.log -exec tail -n 40 {} \; 2>/dev/null >&2 || true
	skl_die "$kernel: installing the module failed (log: $log)"
}
echo "$kver"
