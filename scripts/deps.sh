#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages a make target needs, when they are missing.
#   deps.sh check   qemu, busybox, kernel headers for 6.1 and 6.12, harness source,
#                   a 32-bit libc for the <name>32_test builds (gcc-multilib)
#   deps.sh debug   what building the debug guest kernel needs
#   deps.sh lint    sparse, coccinelle, checkpatch's source tree
# As root the packages are installed with apt-get; otherwise the exact command
# is printed and the script fails.
set -euo pipefail

want=()
add() { want+=("$@"); }

# The newest 6.12 LTS kernel built for bookworm (bookworm-security).
k612_pkg() {
	apt-cache pkgnames linux-headers-6.12. 2>/dev/null |
		grep -E '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		sort -V | tail -n 1
}

base=(make gcc libc6-dev kmod cpio gzip xz-utils)
for what in "${@:-check}"; do
	case "$what" in
	check)
		add "${base[@]}" qemu-system-x86 busybox-static linux-headers-amd64 \
			linux-source-6.1 gcc-multilib
		;;
	k612)
		;;
	debug)
		add "${base[@]}" qemu-system-x86 busybox-static linux-source-6.1 \
			flex bison libelf-dev libssl-dev dwarves bc
		;;
	lint)
		add sparse coccinelle linux-source-6.12 linux-headers-amd64
		;;
	*)
		echo "deps.sh: unknown target '$what'" >&2
		exit 2
		;;
	esac
done

installed() {
	[ "$(dpkg-query -W -f '${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing=()
for p in "${want[@]}"; do
	installed "$p" || missing+=("$p")
done

# The 6.12 headers are versioned: find the newest one once the lists are read.
need612=0
for what in "${@:-check}"; do
	case "$what" in check|k612|lint) need612=1 ;; esac
done
if [ "$need612" = 1 ] && ! ls -d /usr/src/linux-headers-6.12.*+deb12-amd64 >/dev/null 2>&1; then
	missing+=(@k612)
fi

[ "${#missing[@]}" = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	k612=$(k612_pkg)
	echo "minixvm: missing packages: ${missing[*]/@k612/${k612:-linux-headers-6.12.*+deb12-amd64}}" >&2
	echo "run as root:  apt-get update && apt-get install -y --no-install-recommends ${missing[*]/@k612/${k612:-linux-headers-6.12-amd64}}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "minixvm: installing ${missing[*]}" >&2
apt-get update -qq >&2
pkgs=()
for p in "${missing[@]}"; do
	if [ "$p" = @k612 ]; then
		p=$(k612_pkg)
		[ -n "$p" ] || { echo "minixvm: no linux-headers-6.12.*+deb12-amd64 in the apt lists (is bookworm-security enabled?)" >&2; exit 1; }
	fi
	pkgs+=("$p")
done
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2
