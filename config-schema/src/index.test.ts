// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_CONFIG_SCHEMA } from './index';

type Prop = { type?: string; default?: unknown; properties?: Record<string, Prop> };

describe('@cella/config-schema', () => {
  it('does not load ajv or the TOML parser when imported (they load on first use)', () => {
    const script = `require(${JSON.stringify(join(__dirname, 'index.js'))});
      process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((k) => /node_modules[\\\\/](ajv|smol-toml)[\\\\/]/.test(k))));`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
    assert.deepEqual(loaded, []);
  });

  it('documents every core key with its schema default in README.md', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const rows = new Map<string, string>();
    for (const m of readme.matchAll(/^\| `([a-z_.]+)` \| [^|]+ \| `([^`]*)` \|/gm)) rows.set(m[1], m[2]);
    const expected = new Map<string, string>();
    const walk = (props: Record<string, Prop>, prefix: string): void => {
      for (const [key, p] of Object.entries(props)) {
        if (key === 'plugins') continue;
        if (p.properties) walk(p.properties, `${prefix}${key}.`);
        else expected.set(`${prefix}${key}`, p.default === undefined ? '(unset)' : JSON.stringify(p.default));
      }
    };
    walk((CORE_CONFIG_SCHEMA as { properties: Record<string, Prop> }).properties, '');
    assert.deepEqual(rows, expected);
  });
});
