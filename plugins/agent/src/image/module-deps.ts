// SPDX-License-Identifier: Apache-2.0
/**
 * Pure helpers over a kernel's `modules.dep` and `modules.builtin`: which `.ko` files a list of
 * module names needs, dependencies included.
 */

export interface ModuleEntry {
  /** Path relative to `lib/modules/<kver>/`, e.g. `kernel/drivers/virtio/virtio_pci.ko`. */
  path: string;
  /** Paths of the modules it depends on. */
  deps: string[];
}

export interface ModuleSelection {
  /** Every `.ko` path to copy (requested modules and their dependencies), sorted. */
  files: string[];
  /** Requested names found as loadable modules. */
  included: string[];
  /** Requested names built into the kernel (nothing to copy). */
  builtin: string[];
  /** Requested names the kernel has neither as module nor built in. */
  missing: string[];
}

/** `kernel/fs/fuse/virtiofs.ko.xz` → `virtiofs`; dashes become underscores as modprobe does. */
export function moduleName(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.replace(/\.ko(\.(xz|gz|zst))?$/, '').replace(/-/g, '_');
}

/** Parse `modules.dep` (`path: dep dep …` per line) into a map keyed by module name. */
export function parseModulesDep(text: string): Map<string, ModuleEntry> {
  const out = new Map<string, ModuleEntry>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const path = line.slice(0, colon).trim();
    const deps = line.slice(colon + 1).trim().split(/\s+/).filter((d) => d !== '');
    out.set(moduleName(path), { path, deps });
  }
  return out;
}

/** Parse `modules.builtin` (one path per line) into a set of module names. */
export function parseModulesBuiltin(text: string): Set<string> {
  const out = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line !== '') out.add(moduleName(line));
  }
  return out;
}

/** Resolve `names` with their dependencies (transitively) against a parsed `modules.dep`. */
export function selectModules(names: readonly string[], dep: Map<string, ModuleEntry>, builtin: Set<string>): ModuleSelection {
  const byPath = new Map<string, ModuleEntry>();
  for (const entry of dep.values()) byPath.set(entry.path, entry);
  const files = new Set<string>();
  const sel: ModuleSelection = { files: [], included: [], builtin: [], missing: [] };
  const visit = (entry: ModuleEntry): void => {
    if (files.has(entry.path)) return;
    files.add(entry.path);
    for (const d of entry.deps) {
      const child = byPath.get(d) ?? dep.get(moduleName(d));
      // A dependency missing from modules.dep itself is still copied; depmod will complain if it is absent.
      if (child) visit(child);
      else files.add(d);
    }
  };
  for (const raw of names) {
    const name = raw.replace(/-/g, '_');
    const entry = dep.get(name);
    if (entry) {
      sel.included.push(name);
      visit(entry);
    } else if (builtin.has(name)) {
      sel.builtin.push(name);
    } else {
      sel.missing.push(name);
    }
  }
  sel.files = [...files].sort();
  return sel;
}
