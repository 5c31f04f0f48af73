// SPDX-License-Identifier: Apache-2.0
export { loadRuntime, loadValidatedConfig } from './runtime';
export { makeSandboxService } from './sandbox';
