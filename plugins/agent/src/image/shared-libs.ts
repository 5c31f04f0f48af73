// SPDX-License-Identifier: Apache-2.0
import { ImageErrors } from './image-errors';
import { runCommand } from './run-command';

/**
 * Parse `ldd` output into the absolute paths the dynamic loader opens (loader included, vDSO left out).
 * Throws E_IMAGE_INPUT when a library is `not found`.
 */
export function parseLdd(text: string, binary = ''): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.includes('not a dynamic executable') || line.startsWith('statically linked')) continue;
    const arrow = line.indexOf('=>');
    if (arrow >= 0) {
      const target = line.slice(arrow + 2).trim();
      if (target.startsWith('not found')) {
        throw ImageErrors.IMAGE_INPUT.create('A shared library of a guest binary is missing on the host', {
          details: { binary, library: line.slice(0, arrow).trim() },
        });
      }
      const path = target.replace(/\s*\(0x[0-9a-f]+\)$/, '');
      if (path.startsWith('/')) out.push(path);
    } else if (line.startsWith('/')) {
      out.push(line.replace(/\s*\(0x[0-9a-f]+\)$/, ''));
    }
  }
  return [...new Set(out)];
}

/** The shared libraries `binary` loads, as absolute host paths; `[]` for a static binary. */
export async function sharedLibraries(binary: string): Promise<string[]> {
  // ldd exits 1 for static binaries ("not a dynamic executable").
  const res = await runCommand('ldd', [binary], { okStatus: [0, 1], env: { ...process.env, LC_ALL: 'C' } });
  if (res.status !== 0) {
    if (/not a dynamic executable/.test(res.stdout + res.stderr)) return [];
    throw ImageErrors.IMAGE_INPUT.create('Shared libraries of a guest binary cannot be listed', {
      details: { binary, stderr: res.stderr.trim() },
    });
  }
  return parseLdd(res.stdout, binary);
}
