// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/**
 * `checkNetworkNamespaces` run where "the host" and "the caller" are two different real namespaces: a new pid
 * namespace whose init (pid 1, a shell) stays in this namespace, and node started by it in a new network namespace.
 * Each path is checked alone; the answer is `ok` or the error's field and message.
 */
function checkInNamespaces(paths: string[]): Array<{ ok?: true; field?: string; message?: string }> {
  const script = `
    const { checkNetworkNamespaces } = require(${JSON.stringify(join(__dirname, 'network-namespace.js'))});
    (async () => {
      const out = [];
      for (const path of JSON.parse(process.argv[1])) {
        const spec = { ociVersion: '1.0.2', linux: { namespaces: [{ type: 'pid' }, { type: 'network', path }] } };
        try { await checkNetworkNamespaces(spec, '/b/config.json'); out.push({ ok: true }); }
        catch (e) { out.push({ field: e.details.field, message: e.message }); }
      }
      console.log(JSON.stringify(out));
    })();`;
  const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', 'unshare -n "$0" -e "$1" "$2"; exit $?', process.execPath, script, JSON.stringify(paths)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Array<{ ok?: true; field?: string; message?: string }>;
}

describe('a network namespace path that is the runtime\'s own is refused (real namespaces)', function () {
  this.timeout(30_000);
  let netns: string | undefined;
  before(function () {
    if (process.geteuid?.() !== 0 || spawnSync('unshare', ['--version']).status !== 0) this.skip();
    netns = `cella-nscheck-${randomBytes(3).toString('hex')}`;
    execFileSync('ip', ['netns', 'add', netns]);
  });
  after(() => { if (netns) execFileSync('ip', ['netns', 'del', netns]); });

  it('accepts a namespace made for the container; refuses the host\'s (pid 1) and the caller\'s, by any path, naming the field', () => {
    const [made, host, self, hostAlias] = checkInNamespaces([`/run/netns/${netns}`, '/proc/1/ns/net', '/proc/self/ns/net', '/proc/1/task/1/ns/net']);
    assert.deepEqual(made, { ok: true });
    assert.deepEqual(host, { field: 'linux.namespaces[1].path', message: "The bundle's config.json is invalid: linux.namespaces[1].path is the host's network namespace" });
    assert.deepEqual(self, { field: 'linux.namespaces[1].path', message: "The bundle's config.json is invalid: linux.namespaces[1].path is this runtime's own network namespace" });
    assert.deepEqual(hostAlias, host);
  });
});
