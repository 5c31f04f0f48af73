// SPDX-License-Identifier: Apache-2.0
export { makeTestSandbox } from './test-sandbox';
export type { TestSandbox, TestSandboxOptions } from './test-sandbox';
