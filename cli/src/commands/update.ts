// SPDX-License-Identifier: Apache-2.0
import { Args } from '@oclif/core';
import { E } from '@cella/core';
import { BaseCommand } from '../base-command';

export default class Update extends BaseCommand<typeof Update> {
  static override description = 'Not supported yet: a container\'s resources live in its VM';
  static override strict = false;
  static override args = { id: Args.string({ description: 'Container id' }) };

  async run(): Promise<void> {
    throw E.NOT_SUPPORTED.create('update is not supported yet: the container\'s resources are those of its VM', {
      hint: 'Set vCPUs and memory with [sandbox] default_vcpus / default_memory_mib before create.',
    });
  }
}
