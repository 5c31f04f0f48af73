#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages a Cella host needs and makes the system user QEMU runs as, nothing else (the guest image is made by
# `cella image build`). Idempotent: packages already installed are left alone, and apt's lists are
# only refreshed when something must be installed or when they are empty.
set -euo pipefail

PACKAGES=(util-linux qemu-system-x86 qemu-utils busybox-static crun runc containerd kmod cpio e2fsprogs iproute2 gzip)

say() { printf 'setup-host: %s\n' "$*"; }

if [[ $(id -u) -ne 0 ]]; then
  say "must run as root (try: sudo $0)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
  say "needs a Debian-based host with apt-get and dpkg" >&2
  exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
    continue
  fi
  missing+=("$pkg")
done

# `cella image build` asks apt for the kernel package, so empty lists are refreshed even if nothing is missing.
lists_empty=1
if compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
  lists_empty=0
fi

# The unprivileged user QEMU runs as (docs/adr/0012; the runtime makes it too when it is missing).
VMM_USER=cella-vmm
if id -u "$VMM_USER" >/dev/null 2>&1; then
  say "user $VMM_USER present (uid $(id -u "$VMM_USER"))"
else
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$VMM_USER"
  say "made system user $VMM_USER (uid $(id -u "$VMM_USER"))"
fi

if [[ ${#missing[@]} -eq 0 && $lists_empty -eq 0 ]]; then
  say "all packages present: ${PACKAGES[*]}"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if [[ $lists_empty -eq 1 ]]; then
  say "apt package lists are empty: running apt-get update"
else
  say "missing packages: ${missing[*]}; running apt-get update"
fi
apt-get update -q

if [[ ${#missing[@]} -gt 0 ]]; then
  say "installing: ${missing[*]}"
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
say "done"
