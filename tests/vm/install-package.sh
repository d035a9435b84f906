#!/usr/bin/env bash
# Install the Debian packages of $2 (default: where make deb puts those of $1's
# architecture) into the package root of kernel $1 with apt, as an administrator would,
# replacing an earlier installation; then configure it the way the README tells users to:
# the example rules (two web servers sharing port 80) as /etc/sklookup/rules.conf, the
# example socket and server units with their sklookup-register@ units enabled, and a
# module parameter in /etc/modprobe.d. Also puts the guest tests and their systemd entry
# (guest-tests.service) into the root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

kernel=${1:?usage: install-package.sh KERNEL [DEB-DIR]}
debs=${2:-$top/$(skl_deb_dir_of "$kernel")}
root="$SKL_CACHE/roots/$kernel-pkg"
[ -f "$root/.sklookup-recipe" ] || skl_die "$kernel: no package root; run tests/vm/mkroot.sh $kernel pkg first"
ls "$debs"/sklookup-dkms_*.deb "$debs"/sklookupctl_*.deb >/dev/null ||
	skl_die "no packages in $debs; run tests/vm/build-deb.sh first"
kver=$(basename "$(ls -d "$root"/lib/modules/*/ | head -n 1)")

rm -rf "$root/tmp/sklookup-debs" "$root/opt/sklookup"
mkdir -p "$root/tmp/sklookup-debs" "$root/opt/sklookup/vm"
cp "$debs"/sklookup-dkms_*.deb "$debs"/sklookupctl_*.deb "$root/tmp/sklookup-debs/"
cp -a "$top/tests/guest" "$root/opt/sklookup/tests"
cp "$here/guest-tests.sh" "$root/opt/sklookup/vm/"
cp "$here/guest-tests.service" "$root/etc/systemd/system/"

log="$top/build/tests/$kernel/package-install.log"
mkdir -p "$(dirname "$log")"
skl_log "$kernel: apt install of the packages into $(basename "$root") for $kver"
skl_chroot "$root" sh -ec "
	# A purge, not a remove: the conffile and the units' enablement go too, so every run
	# starts from what a first installation does.
	dpkg --purge sklookup-dkms sklookupctl
	# What the configuration below added last time, enablement links included.
	cd /etc/systemd/system
	rm -rf web-[ab].socket web-[ab].service web-[ab].socket.wants sockets.target.wants/web-[ab].socket \
		multi-user.target.wants/sklookup-register@*.service sklookup.service.wants \
		/etc/modprobe.d/sklookup.conf
	cd /
	apt-get install -y -q --no-install-recommends /tmp/sklookup-debs/*.deb
	rm -rf /tmp/sklookup-debs
	dkms status -m sklookup -k $kver
	dkms status -m sklookup -k $kver | grep -q ': installed'

	ex=/usr/share/doc/sklookup-dkms/examples
	cp \$ex/rules.conf /etc/sklookup/rules.conf
	cp \$ex/web-a.socket \$ex/web-a.service \$ex/web-b.socket \$ex/web-b.service /etc/systemd/system/
	for s in web-a web-b; do mkdir -p /srv/\$s; echo \$s >/srv/\$s/index.html; done
	echo 'options sklookup max_rules=1000' >/etc/modprobe.d/sklookup.conf
	systemctl enable web-a.socket web-b.socket sklookup-register@web-a.service \
		sklookup-register@web-b.service guest-tests.service
	# An arm64 guest reports on its virtio console, where systemd would start a getty.
	systemctl mask serial-getty@hvc0.service
" >"$log" 2>&1 || {
	tail -n 40 "$log" >&2
	find "$root/var/lib/dkms/sklookup" -name make.log -exec tail -n 40 {} \; 2>/dev/null >&2 || true
	skl_die "$kernel: installing the packages failed (log: $log)"
}
echo "$kver"
