#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Set up (idempotent), then run every test tier. Ends with the line `N passed, N failed`.
set -euo pipefail
source "$(dirname "$0")/lib/as-root.sh"
cd "$(dirname "$0")/.."
bash scripts/setup.sh
printf '\n== tests\n' >&2
exec node scripts/run-tests.js "$@"
