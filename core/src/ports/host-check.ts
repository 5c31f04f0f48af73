// SPDX-License-Identifier: Apache-2.0
import { token } from '../di';

export interface HostCheckResult {
  name: string;
  status: 'pass' | 'warn' | 'fail';
  detail: string;
}

/** A contribution to `cella check`: one or more host capability lines. */
export interface HostCheck {
  run(): Promise<HostCheckResult[]>;
}
export const HostCheck = token<HostCheck>('HostCheck');
