// SPDX-License-Identifier: Apache-2.0
/**
 * Just enough semver to check a plugin's `apiVersion` range against core's API version:
 * `1.2.3`, `^1.2.0`, `~1.2.0`, `>=1.0.0 <2.0.0`, `1.x`, `*`, and `a || b`.
 */
type Triple = [number, number, number];

export function parseVersion(v: string): Triple | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function cmp(a: Triple, b: Triple): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function partial(v: string): { t: Triple; parts: number } | undefined {
  const m = /^v?(\d+|x|\*)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?$/.exec(v);
  if (!m) return undefined;
  const nums = [m[1], m[2], m[3]].map((x) => (x === undefined || x === 'x' || x === '*' ? undefined : Number(x)));
  const parts = nums.findIndex((n) => n === undefined);
  return { t: [nums[0] ?? 0, nums[1] ?? 0, nums[2] ?? 0], parts: parts === -1 ? 3 : parts };
}

function comparator(c: string, v: Triple): boolean | undefined {
  if (c === '*' || c === '') return true;
  const m = /^(\^|~|>=|<=|>|<|=)?(.+)$/.exec(c);
  if (!m) return undefined;
  const p = partial(m[2]!);
  if (!p) return undefined;
  const [maj, min, pat] = p.t;
  switch (m[1]) {
    case '^':
      if (cmp(v, p.t) < 0) return false;
      if (maj > 0 || p.parts < 2) return v[0] === maj;
      if (min > 0 || p.parts < 3) return v[0] === 0 && v[1] === min;
      return v[0] === 0 && v[1] === 0 && v[2] === pat;
    case '~':
      return cmp(v, p.t) >= 0 && v[0] === maj && (p.parts < 2 || v[1] === min);
    case '>=': return cmp(v, p.t) >= 0;
    case '<=': return cmp(v, p.t) <= 0;
    case '>': return cmp(v, p.t) > 0;
    case '<': return cmp(v, p.t) < 0;
    default:
      if (p.parts === 0) return true;
      if (p.parts === 1) return v[0] === maj;
      if (p.parts === 2) return v[0] === maj && v[1] === min;
      return cmp(v, p.t) === 0;
  }
}

/** True when `version` satisfies `range`; undefined when the range cannot be parsed. */
export function satisfies(version: string, range: string): boolean | undefined {
  const v = parseVersion(version);
  if (!v) return undefined;
  let anyOk = false;
  for (const alt of range.split('||')) {
    const parts = alt.trim().split(/\s+/).filter(Boolean);
    let ok = true;
    for (const c of parts.length ? parts : ['*']) {
      const r = comparator(c, v);
      if (r === undefined) return undefined;
      ok &&= r;
    }
    anyOk ||= ok;
  }
  return anyOk;
}
