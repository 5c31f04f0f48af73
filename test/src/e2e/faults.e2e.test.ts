// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { runScenario, scenarioName, summary, type FaultResult, type Scenario } from '../helpers/faults';

/**
 * Fault injection with real VMs (issue #10): one process killed at one lifecycle step, then the state invariants,
 * `delete --force`, and no leaks. A subset, to stay inside CI's budget; `npm run bench -- faults` runs every
 * victim at every step. Killing the holder relies on its VM dying with it (the parent-death signal of the
 * confinement work): without it `state` says stopped while the VM runs on, and holder@created fails.
 */
const SUBSET: Scenario[] = [
  { victim: 'qemu', step: 'created' },
  { victim: 'qemu', step: 'exec' },
  { victim: 'virtiofsd', step: 'running' },
  { victim: 'cli', step: 'boot' },
  { victim: 'holder', step: 'created' },
];

describe('faults: a killed process leaves state true and nothing behind (real VM)', function () {
  this.timeout(240_000);
  const results: FaultResult[] = [];
  after(() => { process.stdout.write(`${summary(results)}\n`); });
  for (const s of SUBSET) {
    it(scenarioName(s), async () => {
      const r = await runScenario(s);
      results.push(r);
      assert.deepEqual(r.problems, []);
    });
  }
});
