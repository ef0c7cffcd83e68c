#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the minixvm selftests in booted guest kernels.
#
#   vmcheck.sh [--demo] KERNEL...
#
# KERNEL is 6.1 (Debian's linux-image-amd64), 6.12 (the newest
# linux-image-6.12.*+deb12-amd64) or debug (scripts/debug-kernel.sh).  For
# each one: build minix_vm.ko against its headers (W=1, warnings fail), pack
# an initramfs of busybox-static, the module and the static selftests, boot
# it in qemu (TCG; ACCEL=kvm to opt in), collect the results from the second
# serial port and scan the console for any kernel report.  Then boot once
# more with the module's planted WARN to prove that the scan sees it.
#
# The last line is "N passed, N failed[, N skipped]" summed over all
# kernels; the exit status is 0 only if nothing failed.  Logs are kept in
# $O_BUILD/logs/<kernel release>/.
#
# TESTS="grant_test stress_test" runs only those tests and skips the
# harness self-checks (for work on one test; CI runs everything).
# STRESS_OPS=N and STRESS_SEED=S set stress_test's operation count and seed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
O_BUILD=${O_BUILD:-$top/build}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/minixvm
ACCEL=${ACCEL:-tcg}
VM_TIMEOUT=${VM_TIMEOUT:-}

demo=0
if [ "${1:-}" = --demo ]; then
	demo=1
	shift
fi
[ $# -gt 0 ] || set -- 6.1 6.12

say() { echo "minixvm: $*" >&2; }
die() { say "$*"; exit 1; }

# Kernel reports that fail a run wherever they appear in a guest's console.
REPORTS='BUG:|WARNING:|Oops|kernel BUG|general protection fault|Kernel panic'
REPORTS+='|Call Trace:|possible circular locking|possible recursive locking'
REPORTS+='|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON'
REPORTS+='|turning off the locking correctness validator'
REPORTS+='|unreferenced object|suspected memory leak|UBSAN:|KASAN|KFENCE:'
REPORTS+='|blocked for more than|INFO: task|soft lockup|hard LOCKUP'
REPORTS+='|rcu_sched detected stall|detected stalls on CPU|Bad page'
# Lines that contain those words but are banners, not reports.
BANNERS='KASAN initialized|kasan: KernelAddressSanitizer initialized'

scan_reports() {
	grep -E "$REPORTS" "$1" | grep -vE "$BANNERS"
}

pass=0 fail=0 skip=0
failures=()
figures=()
record() {	# record RESULT KERNEL NAME
	case "$1" in
	PASS) pass=$((pass + 1)) ;;
	SKIP) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)); failures+=("[$2] $3") ;;
	esac
	echo "$1 [$2] $3"
}

# The newest 6.12 headers installed for bookworm.
latest_612() {
	local d
	d=$(ls -d /usr/src/linux-headers-6.12.*+deb12-amd64 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] && basename "$d" | sed 's/^linux-headers-//'
}

fetch_deb() {	# fetch_deb DIR KVER VERSION: the image package, signed or not
	local pkg
	for pkg in "linux-image-$2" "linux-image-$2-unsigned"; do
		(cd "$1" && apt-get download -q "$pkg=$3" >&2 2>/dev/null) && return 0
	done
	return 1
}

# Fetch (once) the vmlinuz of a Debian kernel package matching its headers.
debian_vmlinuz() {
	local kver=$1 ver dir tmp pkg loop
	ver=$(dpkg-query -W -f '${Version}' "linux-headers-$kver") || return 1
	dir=$cache/kernels/$kver-$ver
	# The loop driver, a module in Debian's kernels, for the O_DIRECT
	# tests (busybox insmod takes no .ko.xz: decompressed here).
	if [ ! -f "$dir/vmlinuz" ] || [ ! -f "$dir/loop.ko" ]; then
		say "fetching linux-image-$kver $ver"
		tmp=$(mktemp -d)
		fetch_deb "$tmp" "$kver" "$ver" ||
			{ [ "$(id -u)" = 0 ] && apt-get update -qq >&2 &&
			  fetch_deb "$tmp" "$kver" "$ver"; }
		if ! ls "$tmp"/*.deb >/dev/null 2>&1; then
			rm -rf "$tmp"
			say "cannot download linux-image-$kver=$ver (run apt-get update?)"
			return 1
		fi
		dpkg-deb --fsys-tarfile "$tmp"/*.deb |
			tar -xf - -C "$tmp" --wildcards "./boot/vmlinuz-$kver" \
				"./lib/modules/$kver/kernel/drivers/block/loop.ko*" ||
			{ rm -rf "$tmp"; return 1; }
		mkdir -p "$dir"
		mv "$tmp/boot/vmlinuz-$kver" "$dir/vmlinuz"
		loop=$(ls "$tmp/lib/modules/$kver/kernel/drivers/block/"loop.ko*)
		case "$loop" in
		*.xz) xz -dc "$loop" >"$dir/loop.ko" ;;
		*) mv "$loop" "$dir/loop.ko" ;;
		esac
		rm -rf "$tmp"
	fi
	echo "$dir/vmlinuz"
}

# Sets KVER KDIR VMLINUZ TIMEOUT EXTRA for a kernel name.
resolve_kernel() {
	EXTRA= TIMEOUT=300 CPU=max LOOP_KO=
	case "$1" in
	6.1)
		KVER=$(dpkg-query -W -f '${Depends}' linux-headers-amd64 |
		       grep -o 'linux-headers-6\.1\.[^ ,]*-amd64' | head -n 1 |
		       sed 's/^linux-headers-//')
		;;
	6.12)
		KVER=$(latest_612)
		;;
	debug)
		local tree
		tree=$("$top/scripts/debug-kernel.sh") || return 1
		KVER=$(cat "$tree/include/config/kernel.release")
		KDIR=$tree
		VMLINUZ=$tree/arch/x86/boot/bzImage
		TIMEOUT=3600
		EXTRA="debug_pagealloc=on page_table_check=on kasan_multi_shot"
		EXTRA+=" kmemleak=on hung_task_panic=0"
		# Seen once: an endless KASAN wild-memory-access storm from an
		# interrupt during early boot (cpu_detect), at 5-level-paging
		# addresses, before /init ran.  The debug kernel runs on 4 levels.
		CPU=max,la57=off
		return 0
		;;
	*)
		say "unknown kernel '$1' (use 6.1, 6.12 or debug)"
		return 1
		;;
	esac
	[ -n "$KVER" ] || { say "no headers for kernel $1"; return 1; }
	KDIR=/usr/src/linux-headers-$KVER
	[ -d "$KDIR" ] || { say "no $KDIR"; return 1; }
	VMLINUZ=$(debian_vmlinuz "$KVER") || return 1
	LOOP_KO=$(dirname "$VMLINUZ")/loop.ko
}

# Build minix_vm.ko for $KDIR in its own directory; W=1 warnings fail.
build_module() {
	local dir=$O_BUILD/$KVER/module log=$LOGS/build.log
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -r "$top"/Kbuild "$top"/*.c "$top"/*.h "$top"/uapi "$dir"/
	if ! make -C "$KDIR" M="$dir" W=1 modules >"$log" 2>&1; then
		sed 's/^/    /' "$log" | tail -n 30 >&2
		return 1
	fi
	if grep -E 'warning:|error:' "$log" >&2; then
		return 1
	fi
	MODULE=$dir/minix_vm.ko
}

build_selftests() {
	make -s -C "$top/selftests/minixvm" OUTPUT="$O_BUILD/selftests" >&2
}

build_initramfs() {
	local root=$O_BUILD/$KVER/initramfs applet
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,minixvm/tests}
	cp /bin/busybox "$root/bin/busybox"
	for applet in $(/bin/busybox --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
	done
	install -m 0755 "$top/scripts/guest-init.sh" "$root/init"
	cp "$MODULE" "$root/minixvm/"
	[ -z "$LOOP_KO" ] || cp "$LOOP_KO" "$root/minixvm/loop.ko"
	install -m 0755 "$O_BUILD/selftests/run.sh" "$root/minixvm/run.sh"
	cp "$O_BUILD"/selftests/*_test "$O_BUILD/selftests/demo" "$root/minixvm/tests/"
	INITRD=$O_BUILD/$KVER/initramfs.cpio.gz
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$INITRD"
}

# A guest whose console passes this size is stopped: a report storm.
CONSOLE_MAX=$((64 << 20))

# boot MODE CONSOLE RESULTS: returns qemu's status (7 = the guest finished).
# A guest whose kernel died before its init wrote a line (before the module
# could be loaded, so not the module's doing: TCG has been seen to trip over
# the kernel's own text patching in early boot) is booted once more; the
# first console is kept beside the second.
boot() {
	local rc
	boot_once "$@"
	rc=$?
	if [ "$rc" != 7 ] && ! grep -q '^minixvm-guest:' "$3" 2>/dev/null; then
		say "the guest kernel died before init ran (first console kept in $2.before-init): booting again"
		mv "$2" "$2.before-init"
		boot_once "$@"
		rc=$?
	fi
	return "$rc"
}

boot_once() {
	local mode=$1 console=$2 results=$3 pid rc
	rm -f "$console" "$results"
	timeout -k 10 "${VM_TIMEOUT:-$TIMEOUT}" \
		qemu-system-x86_64 -accel "$ACCEL" -cpu "$CPU" -m 1024 -smp 2 \
		-display none -monitor none -nic none -no-reboot \
		-serial "file:$console" -serial "file:$results" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$VMLINUZ" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 minixvm_mode=$mode $EXTRA${TESTS:+ minixvm_tests=${TESTS// /,}}${STRESS_OPS:+ minixvm_stress_ops=$STRESS_OPS}${STRESS_SEED:+ minixvm_stress_seed=$STRESS_SEED}" \
		</dev/null &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$(stat -c %s "$console" 2>/dev/null || echo 0)" -gt "$CONSOLE_MAX" ]; then
			say "console log over $((CONSOLE_MAX >> 20)) MiB: stopping the guest"
			pkill -P "$pid" qemu-system-x86 2>/dev/null
			kill "$pid" 2>/dev/null
			break
		fi
		sleep 1
	done
	wait "$pid"
	rc=$?
	return "$rc"
}

check_kernel() {	# check_kernel NAME
	local name=$1 console results rc line reports
	if ! resolve_kernel "$name"; then
		record FAIL "$name" kernel.setup
		return
	fi
	LOGS=$O_BUILD/logs/$KVER
	rm -rf "$LOGS"
	mkdir -p "$LOGS"
	say "== $name: $KVER"
	if ! build_module; then
		record FAIL "$KVER" build.module_w1_clean
		return
	fi
	record PASS "$KVER" build.module_w1_clean
	build_initramfs || { record FAIL "$KVER" build.initramfs; return; }

	if [ "$demo" = 1 ]; then
		boot demo "$LOGS/console.log" "$LOGS/results.log"
		rc=$?
		grep -v '^minixvm-guest:' "$LOGS/results.log"
		[ "$rc" = 7 ] && record PASS "$KVER" vm.demo_finished ||
			record FAIL "$KVER" vm.demo_finished
		reports=$(scan_reports "$LOGS/console.log")
		[ -z "$reports" ] && record PASS "$KVER" vm.no_kernel_report ||
			{ echo "$reports" >&2; record FAIL "$KVER" vm.no_kernel_report; }
		return
	fi

	say "booting $KVER (logs in $LOGS)"
	console=$LOGS/console.log
	results=$LOGS/results.log
	boot check "$console" "$results"
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		"PASS "* | "FAIL "* | "SKIP "*)
			record "${line%% *}" "$KVER" "${line#* }" ;;
		"FIGURE "*)
			figures+=("FIGURE [$KVER] ${line#FIGURE }") ;;
		esac
	done < <(tr -d '\r' <"$results")
	if [ "$rc" = 7 ] && grep -q '^minixvm-guest: done' "$results"; then
		record PASS "$KVER" vm.finished_and_powered_off
	else
		say "qemu exit status $rc (124: timeout after ${VM_TIMEOUT:-$TIMEOUT} s)"
		tail -n 20 "$console" >&2
		record FAIL "$KVER" vm.finished_and_powered_off
	fi
	reports=$(scan_reports "$console")
	if [ -z "$reports" ]; then
		record PASS "$KVER" vm.no_kernel_report
	else
		echo "$reports" | head -n 40 | sed 's/^/    /' >&2
		record FAIL "$KVER" vm.no_kernel_report
	fi

	[ -n "${TESTS:-}" ] && return

	# Self-checks of the detectors above: a planted WARN must be caught,
	# and where kmemleak runs, a planted leak.
	if grep -q '^PASS kmemleak' "$results"; then
		boot selfcheck-leak "$LOGS/selfcheck-leak-console.log" \
			"$LOGS/selfcheck-leak-results.log"
		rc=$?
		if [ "$rc" = 7 ] && grep -q '^FAIL kmemleak' "$LOGS/selfcheck-leak-results.log"; then
			record PASS "$KVER" harness.detects_planted_leak
		else
			record FAIL "$KVER" harness.detects_planted_leak
		fi
	fi

	boot selfcheck-warn "$LOGS/selfcheck-console.log" "$LOGS/selfcheck-results.log"
	rc=$?
	if [ "$rc" = 7 ] && scan_reports "$LOGS/selfcheck-console.log" |
	   grep -q 'WARNING: .*mxvm_init'; then
		record PASS "$KVER" harness.detects_planted_warn
	else
		record FAIL "$KVER" harness.detects_planted_warn
	fi
}

"$top/scripts/deps.sh" check || exit 1
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing"
build_selftests || die "building the selftests failed"

for k in "$@"; do
	check_kernel "$k"
done

for f in "${figures[@]}"; do
	echo "$f"
done
for f in "${failures[@]}"; do
	echo "failed: $f"
done
summary="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && summary+=", $skip skipped"
echo "$summary"
[ "$fail" = 0 ]
