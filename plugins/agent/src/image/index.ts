// SPDX-License-Identifier: Apache-2.0
export { CellaGuestImage, AGENT_PORT_NAME, hostnameFor, type AgentTransport, type CellaGuestImageOptions } from './cella-guest-image';
export { GuestImageBuilder, type ImageBuildInputs } from './guest-image-builder';
export { ImageErrors } from './image-errors';
export { BUILDER_VERSION, GUEST_MODULES, STAGE1_MODULES, imageKey, type KeyInputs } from './image-key';
export { IMAGE_FILES, type ImageManifest } from './image-store';
export { DEFAULT_KERNEL_PACKAGE } from './kernel-source';
