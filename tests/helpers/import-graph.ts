/**
 * The import graph of the TypeScript sources, read with regular expressions (no compiler: the test must
 * stay fast and see what a reader sees). An edge is a static `import … from '…'`, a side-effect
 * `import '…'`, an `export … from '…'` or a dynamic `import('…')` of a file of this repository ('@/…' is
 * the repository root, as in tsconfig.json; './…' and '../…' are relative; a folder means its index.ts).
 * Packages are left out. An edge is type-only when the compiler erases it: `import type`, `export type`,
 * or every imported name marked `type`.
 */
import fs from 'node:fs';
import path from 'node:path';

export type ImportEdge = { from: string; to: string; dynamic: boolean; typeOnly: boolean };

const STATIC = /^[ \t]*(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*['"]([^'"]+)['"]/gm;
const SIDE_EFFECT = /^[ \t]*import\s+['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every .ts/.tsx file under the given folders (repository-relative, forward slashes). */
export function sourceFiles(root: string, folders: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(rel);
      } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(rel);
    }
  };
  for (const folder of folders) if (fs.existsSync(path.join(root, folder))) walk(folder);
  return out.sort();
}

/** `{ type A, type B }` imports nothing at run time; `{ type A, b }` still imports b. */
function typeOnly(keywordType: string | undefined, clause: string): boolean {
  if (keywordType) return true;
  const braces = clause.match(/^\{([\s\S]*)\}$/);
  if (!braces) return false;
  const names = braces[1]!.split(',').map((s) => s.trim()).filter(Boolean);
  return names.length > 0 && names.every((n) => n.startsWith('type '));
}

/** The repository file a specifier names, or null for a package (or a file that is not TypeScript). */
export function resolveSpecifier(root: string, fromFile: string, specifier: string): string | null {
  let base: string;
  if (specifier.startsWith('@/')) base = specifier.slice(2);
  else if (specifier.startsWith('./') || specifier.startsWith('../')) base = path.posix.join(path.posix.dirname(fromFile), specifier);
  else return null;
  const candidates = [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`];
  for (const c of candidates) if (/\.tsx?$/.test(c) && fs.existsSync(path.join(root, c)) && fs.statSync(path.join(root, c)).isFile()) return path.posix.normalize(c);
  return null;
}

/** The imports of one file that name repository files, resolved. */
export function importsOf(root: string, file: string): ImportEdge[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const edges: ImportEdge[] = [];
  const add = (specifier: string, dynamic: boolean, isType: boolean) => {
    const to = resolveSpecifier(root, file, specifier);
    if (to) edges.push({ from: file, to, dynamic, typeOnly: isType });
  };
  for (const m of text.matchAll(STATIC)) add(m[4]!, false, typeOnly(m[2], m[3]!.trim()));
  for (const m of text.matchAll(SIDE_EFFECT)) add(m[1]!, false, false);
  for (const m of text.matchAll(DYNAMIC)) add(m[1]!, true, false);
  return edges;
}

/** The graph: file → the files it imports (each once); type-only imports count unless `types` is false. */
export function importGraph(root: string, folders: readonly string[], options: { types?: boolean } = {}): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(root, folders)) {
    const edges = importsOf(root, file).filter((e) => options.types !== false || !e.typeOnly);
    graph.set(file, [...new Set(edges.map((e) => e.to))]);
  }
  return graph;
}

/**
 * The cycles a depth-first search meets (one per back edge, each set of files once): none exactly when the
 * graph has no cycle. Each is written as the files in import order, the first repeated at the end (a → b → a).
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const key = [...cycle.slice(0, -1)].sort().join('|');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}
