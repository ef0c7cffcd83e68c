#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the minixvm test guests (busybox).  The host chooses what to do
# with minixvm_mode= on the kernel command line (unknown key=value boot
# parameters reach init as environment variables):
#   check           run the selftests (run.sh) and unload the module; with
#                   minixvm_tests=a_test,b_test only those
#   demo            run the demo program
#   selfcheck-warn  load the module with its planted WARN; the host must see it
#   selfcheck-leak  run api_test with the module's planted leak; run.sh must
#                   report it where kmemleak exists
# Results go to the second serial port (/dev/ttyS1), kernel messages to the
# console on the first.  At the end init writes 3 to the isa-debug-exit port,
# which makes qemu exit with status 7: any other status means the guest did
# not get here.

export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmpfs /tmp

out=/dev/ttyS1
dir=/minixvm
echo "minixvm-guest: $(uname -r) mode=${minixvm_mode:-check}" >"$out"

# The loop driver, where the kernel has it as a module (the O_DIRECT tests).
[ -e /dev/loop-control ] || [ ! -f "$dir/loop.ko" ] || insmod "$dir/loop.ko"

case "${minixvm_mode:-check}" in
check)
	"$dir/run.sh" --module "$dir/minix_vm.ko" --tests "$dir/tests" \
		--only "$(echo "${minixvm_tests:-}" | tr , ' ')" >"$out" 2>&1
	;;
demo)
	{
		echo "\$ insmod minix_vm.ko"
		insmod "$dir/minix_vm.ko" &&
			dmesg | grep 'minix_vm: API' |
				sed 's/^\[[^]]*\] /    kernel says: /'
		"$dir/tests/demo"
		echo
		echo "\$ rmmod minix_vm"
		rmmod minix_vm && [ ! -e /dev/minixvm ] &&
			echo "    unloaded: /dev/minixvm is gone and nothing was left behind"
	} >"$out" 2>&1
	;;
selfcheck-warn)
	insmod "$dir/minix_vm.ko" selftest_warn=1 && rmmod minix_vm
	;;
selfcheck-leak)
	# One short test: the leak is planted at load and found at unload.
	"$dir/run.sh" --module "$dir/minix_vm.ko" --tests "$dir/tests" \
		--params selftest_leak=1 --only api_test >"$out" 2>&1
	;;
*)
	echo "minixvm-guest: unknown mode '$minixvm_mode'" >"$out"
	;;
esac

echo "minixvm-guest: done" >"$out"
sync
printf '\003' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
poweroff -f
