#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Make examples/hello/rootfs: a busybox-static root filesystem (Debian's busybox-static package).
# Usage: make-rootfs.sh [DEST]   (default: the rootfs folder beside this script). Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-$here/rootfs}
busybox=${BUSYBOX:-/bin/busybox}
if ! "$busybox" --list >/dev/null 2>&1 || [[ "$(LC_ALL=C ldd "$busybox" 2>&1 || true)" != *"not a dynamic executable"* ]]; then
  echo "make-rootfs: $busybox is not a static busybox (install busybox-static)" >&2
  exit 1
fi
if [[ -x "$dest/bin/busybox" ]] && cmp -s "$busybox" "$dest/bin/busybox"; then
  exit 0
fi
tmp=$(mktemp -d "$(dirname "$dest")/.rootfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,run,var/tmp}
chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
cp "$busybox" "$tmp/bin/busybox"
for applet in $("$busybox" --list); do
  [[ "$applet" == busybox ]] || ln -sf busybox "$tmp/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$tmp/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$tmp/etc/group"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "make-rootfs: $dest ready ($(ls "$dest/bin" | wc -l) applets)"
