// SPDX-License-Identifier: Apache-2.0
// First thing in every entry point: the fds a caller left open without FD_CLOEXEC (`cella create … 200>file`)
// become close-on-exec, so neither the holder nor QEMU nor virtiofsd inherits them (issue #9, docs/adr/0012).
'use strict';
try {
  require('@cella/core/process').sealInheritedFds();
} catch {
  // Without the native addons nothing that needs them works either; the command reports that itself.
}
