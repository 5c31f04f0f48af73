# SPDX-License-Identifier: Apache-2.0
# Sourced by the README's commands: Cella needs root. As root, go on; otherwise re-run the calling script
# through sudo when it is installed (a fresh machine may not have it), or say how to run it.
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo -E bash "$0" "$@"
  fi
  echo "$(basename "$0"): Cella needs root (VMs, network namespaces, /run/cella); run it as root" >&2
  exit 1
fi
