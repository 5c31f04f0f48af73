#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Everything a fresh Debian 12 machine needs to run Cella and its tests; idempotent, fast when all is there.
#   1. system packages (scripts/setup-host.sh) and Debian 13's virtiofsd (scripts/setup-virtiofsd.sh)
#   2. npm dependencies (npm ci)   3. build   4. the guest image (cella image build)   5. the hello bundle's rootfs
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then
  echo "setup: Cella needs root (VM state under /run/cella, images under /var/cache/cella, network namespaces)" >&2
  exit 1
fi
step() { printf '\n== setup: %s\n' "$*" >&2; }

step "system packages"
bash scripts/setup-host.sh
bash scripts/setup-virtiofsd.sh

step "npm dependencies"
stamp=node_modules/.cella-install-stamp
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
  npm ci --no-audit --no-fund
  touch "$stamp"
else
  echo "node_modules is up to date" >&2
fi

step "build"
npm run --silent build

step "guest image"
node cli/bin/run.js image build

step "hello bundle"
bash examples/hello/make-rootfs.sh
