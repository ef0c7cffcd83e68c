#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks of the module's sources:
#   checkpatch.pl --strict   (from Debian's linux-source-6.12)
#   scripts/kernel-doc       on the uapi header and the internal header
#   sparse                   through Kbuild (C=2) against the 6.1 and 6.12 headers
# Prints one PASS/FAIL line per check and fails if any check failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
O_BUILD=${O_BUILD:-$top/build}
lint=$O_BUILD/lint
tarball=/usr/src/linux-source-6.12.tar.xz

"$top/scripts/deps.sh" lint check || exit 1

mkdir -p "$lint"
if [ ! -f "$lint/scripts/checkpatch.pl" ]; then
	tar -xJf "$tarball" -C "$lint" --strip-components=1 \
		linux-source-6.12/scripts/checkpatch.pl \
		linux-source-6.12/scripts/spelling.txt \
		linux-source-6.12/scripts/const_structs.checkpatch \
		linux-source-6.12/scripts/kernel-doc
fi

rc=0
check() {	# check NAME COMMAND...: passes if the command prints nothing
	local name=$1 out
	shift
	out=$("$@" 2>&1)
	if [ -z "$out" ]; then
		echo "PASS lint.$name"
	else
		echo "$out" | sed 's/^/    /'
		echo "FAIL lint.$name"
		rc=1
	fi
}

cd "$top" || exit 1
sources=(minixvm.c region.c mapmem.c grant.c safecopy.c internal.h compat.h
	 uapi/linux/minixvm.h
	 selftests/minixvm/*.c selftests/minixvm/*.h)

checkpatch() {
	perl "$lint/scripts/checkpatch.pl" --no-tree --strict --quiet \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f "$@" | grep -v '^total:'
}
for f in "${sources[@]}"; do
	case "$f" in
	# The one place that tests kernel versions, by design.
	compat.h)
		check "checkpatch.$(basename "$f")" checkpatch \
			--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON "$f" ;;
	# User-space programs: C library types and attributes are right there.
	selftests/*)
		check "checkpatch.$(basename "$f")" checkpatch \
			--ignore PREFER_KERNEL_TYPES,PREFER_DEFINED_ATTRIBUTE_MACRO "$f" ;;
	*)
		check "checkpatch.$(basename "$f")" checkpatch "$f" ;;
	esac
done

check kernel-doc perl "$lint/scripts/kernel-doc" -none -Wall \
	uapi/linux/minixvm.h internal.h minixvm.c region.c mapmem.c grant.c \
	safecopy.c

for hdr in /usr/src/linux-headers-6.1.*-amd64 /usr/src/linux-headers-6.12.*+deb12-amd64; do
	[ -d "$hdr" ] || continue
	kver=${hdr#/usr/src/linux-headers-}
	dir=$lint/sparse-$kver
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -r Kbuild ./*.c ./*.h uapi "$dir"/
	sparse_run() {
		# What the kernel headers themselves trigger is not ours.
		make -s -C "$hdr" M="$dir" C=2 CHECK=sparse modules 2>&1 |
			grep -F "$dir/" | grep -vE ': note: in included file|^Skipping BTF'

	}
	check "sparse.$kver" sparse_run
done
exit "$rc"
