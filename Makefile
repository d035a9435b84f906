# SPDX-License-Identifier: GPL-2.0
# sklookup: the kernel module (built by kbuild, see Kbuild) and sklookupctl.

KDIR ?= /lib/modules/$(shell uname -r)/build
VERSION := $(shell cat VERSION)

# Where "make install" puts things; DESTDIR is prepended to all of them (staged installs,
# packages). The configuration stays in /etc whatever the prefix: sklookup.service reads
# /etc/sklookup/rules.conf.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/sklookup
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc
# systemd reads units from /usr/local/lib/systemd/system too, so the default prefix works.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# Where DKMS takes module sources from; not under PREFIX, DKMS looks only there.
DKMS_SRCDIR := /usr/src/sklookup-$(VERSION)
# The kernel "make dkms-install" builds for (DKMS also builds for later kernels itself).
DKMS_KVER ?= $(shell uname -r)

# What DKMS needs to build the module: nothing of user space or the tests, and no build
# products (a stale object or features.h from another kernel would be taken as up to date).
MODULE_SOURCES := Kbuild Makefile VERSION dkms.conf include/sklookup.h \
	$(filter-out %.mod.c module/compat/features.h, \
		$(wildcard module/*.c module/*.h module/*.S module/compat/*.h module/compat/probes/*.c)) \
	module/compat/probe.sh
UNITS := sklookup.service sklookup-register@.service sklookup-metrics.service \
	sklookup-metrics.timer
EXAMPLES := $(wildcard systemd/examples/*)

all: module userspace

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace:
	$(MAKE) -C userspace

clean: clean-module
	$(MAKE) -C userspace clean
	$(MAKE) -C tests/host clean

clean-module:
	@if [ -f $(KDIR)/Makefile ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -f module/compat/features.h

# The whole test suite: host tests, then the guest tests on the kernels CI runs (every
# generic amd64 kernel and 6.12's rt flavour; KERNELS="6.1" for one, KERNELS=all for every
# kernel and flavour, KERNELS=next for the canary), and a cross-compiled build for each
# arm64 kernel (tests/vm/cross-build.sh). Ends with "N passed, N failed".
check:
	tests/run

# The guest tests on every supported kernel and flavour (tests/vm/lib.sh's table).
check-all:
	KERNELS=all tests/run

# The canary: Debian experimental's newest kernel. Its failures are reported, never counted.
check-next:
	KERNELS=next tests/run

# The guest tests on Debian's arm64 kernels (arm64-6.1, arm64-6.12, arm64-7.2), each in an
# arm64 root built and entered through qemu-user and booted in qemu-system-aarch64: hours
# on a 2-core host, so not in "check", which only cross-compiles for them.
check-arm64:
	KERNELS=arm64 tests/run
.PHONY: check-all check-next check-arm64

# The guest tests on a debug kernel (KASAN, KFENCE, lockdep, kmemleak) built once from
# Debian's linux-source-6.1 into the cache (tests/vm/run-debug.sh); GUEST_TESTS="10-load"
# runs part of them in one guest; the whole suite is split over two guests (SKL_DEBUG_GUESTS).
# Ends with "N passed, N failed".
check-debug:
	tests/vm/run-debug.sh $(GUEST_TESTS)
.PHONY: check-debug

# Benchmarks (tests/bench/run): one guest boot (KERNEL=, default 6.1) measuring the
# receive path with sklookup, BPF sk_lookup, TPROXY and a socket per address against the
# same boot's baseline; then the rule matcher on the host (make -C tests/host bench) and
# its plot. Tables and plot in build/bench/.
bench:
	tests/bench/run

# The long runs: the CLI parsers under libFuzzer (FUZZ_SECONDS, default 600), then in a
# guest of each of KERNELS (default 6.1; ci, all or names, as make check takes them) a
# million netlink messages at the module, five minutes of
# netlink sequences, four writers for three minutes, 100 load/unload cycles, 1,000
# namespaces and 100,000 random flows against the model of the decision.
fuzz:
	tests/fuzz

# Boot a guest of one kernel (KERNEL=, default 6.1) and show the module loaded and hooked.
demo:
	tests/demo

# sklookupctl, its man page and bash completion, the units and the examples;
# /etc/sklookup/rules.conf only if there is none, since it is the administrator's file.
install: userspace
	install -D -m 0755 userspace/sklookupctl $(DESTDIR)$(SBINDIR)/sklookupctl
	install -D -m 0644 doc/sklookupctl.8 $(DESTDIR)$(MANDIR)/man8/sklookupctl.8
	install -D -m 0644 userspace/sklookupctl.bash-completion $(DESTDIR)$(BASHCOMPDIR)/sklookupctl
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 $(addprefix systemd/,$(UNITS)) $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/sklookup/rules.conf ]; then \
		echo "keeping $(DESTDIR)$(SYSCONFDIR)/sklookup/rules.conf"; \
	else \
		echo "install -D -m 0644 systemd/rules.conf $(DESTDIR)$(SYSCONFDIR)/sklookup/rules.conf"; \
		install -D -m 0644 systemd/rules.conf $(DESTDIR)$(SYSCONFDIR)/sklookup/rules.conf; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		echo "systemctl daemon-reload"; systemctl daemon-reload; \
	fi

# The module's source under /usr/src, then dkms add, build and install for DKMS_KVER. An
# earlier registration of the same version is removed first, so that a changed checkout
# is really rebuilt. With DESTDIR (a package build) only the source is staged: DKMS runs
# where the package is installed.
dkms-install:
	@if [ -z "$(DESTDIR)" ] && dkms status -m sklookup -v $(VERSION) 2>/dev/null | grep -q .; then \
		echo "dkms remove -m sklookup -v $(VERSION) --all"; \
		dkms remove -m sklookup -v $(VERSION) --all; \
	fi
	rm -rf $(DESTDIR)$(DKMS_SRCDIR)
	@for f in $(MODULE_SOURCES); do \
		install -D -m 0644 $$f $(DESTDIR)$(DKMS_SRCDIR)/$$f || exit 1; \
	done
	chmod 0755 $(DESTDIR)$(DKMS_SRCDIR)/module/compat/probe.sh
	@if [ -z "$(DESTDIR)" ]; then \
		set -e; \
		echo "dkms add/build/install -m sklookup -v $(VERSION) -k $(DKMS_KVER)"; \
		dkms add -m sklookup -v $(VERSION); \
		dkms build -m sklookup -v $(VERSION) -k $(DKMS_KVER); \
		dkms install -m sklookup -v $(VERSION) -k $(DKMS_KVER); \
	fi

# Undoes both installs; a part that is not installed is skipped. The rules file goes only
# if it is still the one install put there. A loaded module stays loaded (its sockets may
# be in use): "modprobe -r sklookup" after this unloads it.
uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ] && \
	    systemctl is-enabled --quiet sklookup.service 2>/dev/null; then \
		echo "systemctl disable sklookup.service"; systemctl disable sklookup.service; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ] && \
	    systemctl is-enabled --quiet sklookup-metrics.timer 2>/dev/null; then \
		echo "systemctl disable --now sklookup-metrics.timer"; \
		systemctl disable --now sklookup-metrics.timer; \
	fi
	@if [ -z "$(DESTDIR)" ] && command -v dkms >/dev/null && \
	    dkms status -m sklookup -v $(VERSION) 2>/dev/null | grep -q .; then \
		echo "dkms remove -m sklookup -v $(VERSION) --all"; \
		dkms remove -m sklookup -v $(VERSION) --all; \
	fi
	rm -rf $(DESTDIR)$(DKMS_SRCDIR)
	rm -f $(DESTDIR)$(SBINDIR)/sklookupctl $(DESTDIR)$(MANDIR)/man8/sklookupctl.8
	rm -f $(DESTDIR)$(BASHCOMPDIR)/sklookupctl
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(UNITS))
	rm -rf $(DESTDIR)$(DOCDIR)/examples
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	@if cmp -s systemd/rules.conf $(DESTDIR)$(SYSCONFDIR)/sklookup/rules.conf; then \
		echo "rm $(DESTDIR)$(SYSCONFDIR)/sklookup/rules.conf"; \
		rm -f $(DESTDIR)$(SYSCONFDIR)/sklookup/rules.conf; \
		rmdir $(DESTDIR)$(SYSCONFDIR)/sklookup 2>/dev/null || true; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/sklookup/rules.conf ]; then \
		echo "keeping $(DESTDIR)$(SYSCONFDIR)/sklookup/rules.conf (changed)"; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		echo "systemctl daemon-reload"; systemctl daemon-reload; \
	fi

# The Debian packages sklookup-dkms and sklookupctl, into build/deb. They are built in a
# Debian 11 root (the oldest release of the matrix, prepared in the cache like the test
# roots), so that the same packages install on Debian 11 to 14; DEB_KERNEL=arm64-6.1
# builds the arm64 ones (into build/deb-arm64) in a Debian 12 arm64 root under qemu-user.
# On a Debian machine of your own, "dpkg-buildpackage -b" in the tree builds them for that
# release instead.
DEB_KERNEL ?= 5.10
deb:
	tests/vm/build-deb.sh $(DEB_KERNEL)

# The packages on each kernel (KERNELS="6.1" for one, KERNELS=arm64-6.1 for arm64's):
# installed with apt in a root of that release, booted twice with systemd; about 2.5
# minutes a kernel (10 on arm64), so not in "check".
check-package:
	tests/vm/check-package.sh

.PHONY: all module userspace clean clean-module check bench demo fuzz install dkms-install uninstall deb check-package
