/**
 * Two rules of docs/architecture.md that ESLint's per-folder import lists cannot state:
 *  - no import cycles in app/, lib/, db/, workers/ or cli/ (type-only and dynamic imports count too: a
 *    newcomer following imports must never come back to where they started);
 *  - lib/ imports nothing from db/ but types (tables, queries and the connection stay in db/; the
 *    domain constants the schema stores live in lib/).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCycles, importGraph, importsOf, sourceFiles } from '../../helpers/import-graph';

const root = path.resolve(import.meta.dirname, '../../..');
const FOLDERS = ['app', 'lib', 'db', 'workers', 'cli'];

describe('import graph', () => {
  it('finds a cycle when there is one (so an empty answer means something)', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
    ]);
    expect(findCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    expect(findCycles(new Map([['a.ts', ['b.ts']], ['b.ts', []]]))).toEqual([]);
  });

  it('resolves @/, relative, folder-index, dynamic and type-only imports', () => {
    const graph = importGraph(root, FOLDERS);
    expect(graph.size).toBeGreaterThan(200);
    expect(graph.get('db/schema/index.ts')).toEqual(expect.arrayContaining(['db/schema/sqlite/index.ts', 'db/schema/pg/index.ts']));
    expect(graph.get('db/schema/sqlite/index.ts')).toEqual(expect.arrayContaining(['db/schema/sqlite/accounts.ts', 'db/schema/sqlite/invites.ts']));
    expect(graph.get('workers/handlers/align-policy.ts')).toEqual(expect.arrayContaining(['workers/handlers/align-eval.ts', 'lib/ml/gpt/model.ts', 'db/queries/policies.ts']));
    expect(importsOf(root, 'app/(app)/jobs/job-types.ts')).toEqual(expect.arrayContaining([expect.objectContaining({ to: 'db/queries/jobs.ts', typeOnly: true })]));
  });

  it('has no cycles in app/, lib/, db/, workers/ or cli/', () => {
    expect(findCycles(importGraph(root, FOLDERS)).map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  it('lib/ imports nothing from db/ but types', () => {
    const offenders = sourceFiles(root, ['lib'])
      .flatMap((file) => importsOf(root, file))
      .filter((e) => e.to.startsWith('db/') && !e.typeOnly)
      .map((e) => `${e.from} → ${e.to}`);
    expect(offenders).toEqual([]);
  });
});
