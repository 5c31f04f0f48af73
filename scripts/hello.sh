#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: set up (idempotent), then boot a VM and run the hello container in it.
set -euo pipefail
source "$(dirname "$0")/lib/as-root.sh"
cd "$(dirname "$0")/.."
bash scripts/setup.sh
printf '\n== running examples/hello in a VM\n' >&2
exec node cli/bin/run.js run --bundle examples/hello "hello-$$"
