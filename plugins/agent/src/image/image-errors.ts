// SPDX-License-Identifier: Apache-2.0
import { defineErrorCodes } from '@cella/core/errors';

/** Error codes of the guest image builder (scope `agent.cella`). */
export const ImageErrors = defineErrorCodes('agent.cella', {
  /** No image is built for this configuration. */
  IMAGE_MISSING: 'NotFound',
  /** An image exists but its inputs (kernel, binaries, agent, init scripts) changed since. */
  IMAGE_STALE: 'FailedPrecondition',
  /** Building the image failed. */
  IMAGE_BUILD: 'Internal',
  /** The kernel (package, file or modules folder) cannot be found or does not fit. */
  IMAGE_KERNEL: 'NotFound',
  /** A file that goes into the image (busybox, crun, node, agent bundle, init script) is missing. */
  IMAGE_INPUT: 'NotFound',
  /** A host tool the build needs is missing or failed. */
  IMAGE_TOOL: 'FailedPrecondition',
});

export const IMAGE_BUILD_HINT = 'run `cella image build`';
export const SETUP_HINT = 'run scripts/setup-host.sh as root to install the host tools';
