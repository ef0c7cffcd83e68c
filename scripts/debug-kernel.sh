#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or find in the cache) the minixvm debug guest kernel: Debian's
# linux-source-6.1 with scripts/debug-kernel.config applied.
#
# The tree is kept outside the repository, in
#   ${XDG_CACHE_HOME:-~/.cache}/minixvm/debug-kernel/<key>/
# where <key> hashes the source package version, the config fragment and
# RECIPE below (bump it when the build steps change).  A tree whose key
# matches is reused; anything else is rebuilt (about 12 minutes on 2 cores).
# Prints the tree's path on stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
frag=$here/debug-kernel.config
tarball=/usr/src/linux-source-6.1.tar.xz
cache=${XDG_CACHE_HOME:-$HOME/.cache}/minixvm/debug-kernel
RECIPE=1

"$here/deps.sh" debug >&2

srcver=$(dpkg-query -W -f '${Version}' linux-source-6.1)
key=$( { echo "$srcver $RECIPE"; cat "$frag"; } | sha256sum | cut -c1-16)
tree=$cache/$key

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

if [ -f "$tree/.minixvm-done" ]; then
	echo "$tree"
	exit 0
fi

log() { echo "debug-kernel: $*" >&2; }

log "building linux-source-6.1 $srcver with $(basename "$frag") (key $key)"
log "this takes about 12 minutes on 2 cores; the result is cached in $tree"
# Older trees are of no further use once the key changes.
find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
rm -rf "$tree"
mkdir -p "$tree"
tar -xJf "$tarball" -C "$tree" --strip-components=1

cd "$tree"
jobs=$(nproc)
make -s x86_64_defconfig >&2
make -s kvm_guest.config >&2
scripts/kconfig/merge_config.sh -m .config "$frag" >/dev/null
make -s olddefconfig >&2

# merge_config drops what Kconfig refuses; make sure nothing important was.
missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=y)
		if ! grep -qx "$line" .config; then
			log "option not set in the final config: $line"
			missing=1
		fi
		;;
	esac
done <"$frag"
[ "$missing" = 0 ] || { log "config fragment did not apply"; exit 1; }

start=$(date +%s)
make -s -j"$jobs" bzImage modules_prepare >&2
make -s -j"$jobs" modules >&2
log "built in $(($(date +%s) - start)) s"
touch .minixvm-done
echo "$tree"
