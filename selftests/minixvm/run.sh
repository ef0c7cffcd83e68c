#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Load minix_vm.ko, run every minixvm selftest, check that nothing leaked,
# unload the module.  Runs as root, under busybox sh in the test guests and
# under any POSIX shell on a host (make check-host).
#
#   run.sh --module PATH/minix_vm.ko --tests DIR [--params "name=value ..."]
#          [--only "name_test ..."]
#
# Prints one line per result, "PASS name", "FAIL name" or "SKIP name", the
# tests' own output behind "# ", then the figures the tests reported (their
# lines "MINIXVM_FIGURE key value what") as "FIGURE test:key value what", and
# last "N passed, N failed[, N skipped]".
# Exits 0 if nothing failed, 1 otherwise, 4 (kselftest's skip) if it cannot
# run at all.

module=
tests=
params=
only=
while [ $# -gt 0 ]; do
	case "$1" in
	--module) module=$2; shift 2 ;;
	--tests) tests=$2; shift 2 ;;
	--params) params=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

pass=0 fail=0 skip=0
figures=/tmp/minixvm-figures
: >"$figures"
result() {
	echo "$1 $2"
	case "$1" in
	PASS) pass=$((pass + 1)) ;;
	FAIL) fail=$((fail + 1)) ;;
	SKIP) skip=$((skip + 1)) ;;
	esac
}

summary() {
	sed -n 's/^MINIXVM_FIGURE /FIGURE /p' "$figures"
	line="$pass passed, $fail failed"
	[ "$skip" -gt 0 ] && line="$line, $skip skipped"
	echo "$line"
	[ "$fail" = 0 ]
	exit $?
}

if [ "$(id -u)" != 0 ]; then
	echo "run.sh: needs root (insmod)" >&2
	exit 4
fi
if [ ! -f "$module" ] || [ ! -d "$tests" ]; then
	echo "run.sh: no module at '$module' or no tests in '$tests'" >&2
	exit 4
fi

sysfs=/sys/class/misc/minixvm
kmemleak=/sys/kernel/debug/kmemleak

# Leaks the kernel had before the module was loaded are not ours.
if [ -w "$kmemleak" ]; then
	echo scan >"$kmemleak"
	echo clear >"$kmemleak"
fi

if grep -q '^minix_vm ' /proc/modules; then
	echo "# minix_vm was already loaded; unloading it first"
	rmmod minix_vm || { result FAIL module.load; summary; }
fi
# shellcheck disable=SC2086
if insmod "$module" $params; then
	result PASS module.load
else
	result FAIL module.load
	summary
fi

for t in "$tests"/*_test; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	case " $only " in
	"  " | *" $name "*) ;;
	*) continue ;;
	esac
	out=/tmp/minixvm-$name.out
	"$t" >"$out" 2>&1
	rc=$?
	sed 's/^/# /' "$out"
	sed -n "s/^MINIXVM_FIGURE /MINIXVM_FIGURE $name:/p" "$out" >>"$figures"
	# kselftest TAP: "ok N fixture.test", "not ok N ...", "ok N x # SKIP why"
	counted=0
	failed_before=$fail
	test=
	while IFS= read -r line; do
		case "$line" in
		"#  RUN "*)
			# The harness's skip line may omit the name: keep it.
			test=${line#\#  RUN }; test=${test#"${test%%[! ]*}"}
			test=${test% ...}
			continue ;;
		"ok "*"# SKIP"*)
			n=${line#ok * }; n=${n%%# SKIP*}; n=${n% }
			result SKIP "$name.${n:-$test}" ;;
		"ok "*)
			n=${line#ok * }; result PASS "$name.$n" ;;
		"not ok "*)
			n=${line#not ok * }; result FAIL "$name.${n%% #*}" ;;
		*) continue ;;
		esac
		counted=$((counted + 1))
	done <"$out"
	rm -f "$out"
	# A crash or a non-zero exit the TAP lines do not explain is a failure.
	if [ "$counted" = 0 ] || { [ "$rc" != 0 ] && [ "$rc" != 4 ] && [ "$fail" = "$failed_before" ]; }; then
		result FAIL "$name.exit_status_$rc"
	fi
done

# Nothing may be left once every test has closed its files.
pages=$(cat $sysfs/nr_pages 2>/dev/null)
objects=$(cat $sysfs/nr_objects 2>/dev/null)
left=
for c in nr_endpoints nr_grants nr_grant_maps; do
	[ "$(cat $sysfs/$c 2>/dev/null)" = 0 ] || left="$left $c=$(cat $sysfs/$c 2>/dev/null)"
done
if [ "$pages" = 0 ] && [ "$objects" = 0 ] && [ -z "$left" ]; then
	result PASS module.nothing_left
else
	echo "# nr_pages=$pages nr_objects=$objects$left after the tests"
	result FAIL module.nothing_left
fi

# An exited process's endpoint drops its module reference after an SRCU
# grace period: give it a moment.
for try in 1 2 3; do
	rmmod minix_vm 2>/dev/null && break
	sleep 1
done
if ! grep -q '^minix_vm ' /proc/modules && [ ! -e $sysfs ]; then
	result PASS module.unload
else
	result FAIL module.unload
fi

if [ -w "$kmemleak" ]; then
	# kmemleak reports an object only once it is 5 s old and was found
	# unreferenced by a scan: wait, then scan twice.
	sleep 6
	echo scan >"$kmemleak"
	echo scan >"$kmemleak"
	# (debugfs files have size 0: read them, do not test their size)
	if grep -q unreferenced "$kmemleak"; then
		sed 's/^/# /' "$kmemleak"
		result FAIL kmemleak
	else
		result PASS kmemleak
	fi
fi

summary
