# SPDX-License-Identifier: GPL-2.0
#
# minixvm: MINIX 3 style memory grants for Linux.
#
#   make                 build minix_vm.ko for KDIR (default: the running kernel)
#   make demo            boot the 6.1 guest and run the demo
#   make check           the whole test suite in booted 6.1 and 6.12 guests
#   make check-debug     the same suite on a KASAN/lockdep/DEBUG_VM 6.1 kernel
#   make check-host      the selftests on the running kernel (root)
#   make lint            checkpatch --strict and sparse
#
# Kbuild reads ./Kbuild; this file only drives the targets above.

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNELS ?= 6.1 6.12
O_BUILD ?= $(CURDIR)/build

export KERNELS O_BUILD

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || \
		rm -f *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers
	rm -rf $(O_BUILD)

selftests:
	scripts/deps.sh check
	$(MAKE) -C selftests/minixvm OUTPUT=$(O_BUILD)/selftests

check:
	scripts/vmcheck.sh $(KERNELS)

check-debug:
	scripts/vmcheck.sh debug

demo:
	scripts/vmcheck.sh --demo 6.1

check-host: check-host-kdir modules selftests
	selftests/minixvm/run.sh --module $(CURDIR)/minix_vm.ko \
		--tests $(O_BUILD)/selftests

check-host-kdir:
	@test -d $(KDIR) || { echo "no kernel build directory $(KDIR):" \
		"install the headers of the running kernel or set KDIR" >&2; exit 1; }

lint:
	scripts/lint.sh

.PHONY: all modules clean selftests check check-debug demo check-host \
	check-host-kdir lint
