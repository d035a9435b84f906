# SPDX-License-Identifier: GPL-2.0
# sklookup: the kernel module (built by kbuild, see Kbuild) and sklookupctl.

KDIR ?= /lib/modules/$(shell uname -r)/build
VERSION := $(shell cat VERSION)

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

# The whole test suite: host tests, then the guest tests on every kernel of the matrix
# (KERNELS="6.1" for one). Ends with "N passed, N failed".
check:
	tests/run

# Benchmarks: for now the rule matcher compiled for user space (ns per lookup at 10 to
# 1,000,000 rules, build time, memory per rule).
bench:
	$(MAKE) -C tests/host bench

# Boot a guest of one kernel (KERNEL=, default 6.1) and show the module loaded and hooked.
demo:
	tests/demo

.PHONY: all module userspace clean clean-module check bench demo
