// SPDX-License-Identifier: Apache-2.0
import { fullMatrix, runScenario, scenarioName, summary, type FaultResult } from '../helpers/faults';

/** `npm run bench -- faults`: every victim killed at every lifecycle step; a line per scenario, then the total. */
export async function faultsBench(): Promise<{ failed: boolean }> {
  const results: FaultResult[] = [];
  for (const s of fullMatrix()) {
    const r = await runScenario(s);
    results.push(r);
    process.stdout.write(`${scenarioName(s).padEnd(20)} ${r.problems.length === 0 ? 'pass' : 'FAIL'} ${(r.ms / 1000).toFixed(1)} s${r.problems.map((p) => `\n    ${p}`).join('')}\n`);
  }
  process.stdout.write(`${summary(results)}\n`);
  return { failed: results.some((r) => r.problems.length > 0) };
}
