import { and, asc, count, eq, gt } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { BattleTable } from '@/lib/stats/battles';
import { rankingsFromComparisons, type RankingData } from '@/lib/stats/ranking-leaderboards';
import { styleFeatures, type StyledBattles, type StyleVector } from '@/lib/stats/style-control';
import type { ComparisonSystems, WinRateSummary } from '@/lib/stats/win-rates';
import { comparisons, items, judgments, projects, responses } from '../schema';
import { getDb } from '../client';

const winnerResponse = alias(responses, 'winner_response');
const loserResponse = alias(responses, 'loser_response');

/** Up to `limit` comparisons of a project after id `afterId`, with the systems on each side. */
export function readComparisonSystems(projectId: number, afterId: number, limit: number): (ComparisonSystems & { id: number; groupId: string | null })[] {
  return getDb()
    .select({ id: comparisons.id, winner: winnerResponse.system, loser: loserResponse.system, isTie: comparisons.isTie, tieKind: comparisons.tieKind, groupId: comparisons.groupId })
    .from(comparisons)
    .innerJoin(winnerResponse, eq(winnerResponse.id, comparisons.winnerResponseId))
    .innerJoin(loserResponse, eq(loserResponse.id, comparisons.loserResponseId))
    .where(and(eq(comparisons.projectId, projectId), gt(comparisons.id, afterId)))
    .orderBy(asc(comparisons.id))
    .limit(limit)
    .all();
}

export function countProjectComparisons(projectId: number): number {
  return getDb().select({ n: count() }).from(comparisons).where(eq(comparisons.projectId, projectId)).get()?.n ?? 0;
}

export function countProjectWork(projectId: number): { judgments: number; items: number; itemsComplete: number } {
  const db = getDb();
  const j = db.select({ n: count() }).from(judgments).where(eq(judgments.projectId, projectId)).get()?.n ?? 0;
  const i = db.select({ n: count() }).from(items).where(eq(items.projectId, projectId)).get()?.n ?? 0;
  const done = db.select({ n: count() }).from(items).where(and(eq(items.projectId, projectId), eq(items.status, 'complete'))).get()?.n ?? 0;
  return { judgments: j, items: i, itemsComplete: done };
}

export function projectExists(projectId: number): boolean {
  return getDb().select({ id: projects.id }).from(projects).where(eq(projects.id, projectId)).get() !== undefined;
}

export type ProjectStats = WinRateSummary & { judgments: number; items: number; itemsComplete: number };

export function saveProjectStats(projectId: number, stats: ProjectStats): void {
  getDb().update(projects).set({ stats, statsUpdatedAt: new Date() }).where(eq(projects.id, projectId)).run();
}

/** Every comparison of a project as a battle table (winner shown as A; sides do not enter the BT likelihood). */
export function loadProjectBattles(projectId: number, chunkSize = 50_000): BattleTable {
  const index = new Map<string, number>();
  const id = (name: string) => {
    let k = index.get(name);
    if (k === undefined) index.set(name, (k = index.size));
    return k;
  };
  const a: number[] = [];
  const b: number[] = [];
  const y: number[] = [];
  for (let after = 0; ; ) {
    const rows = readComparisonSystems(projectId, after, chunkSize);
    if (rows.length === 0) break;
    for (const row of rows) {
      if (row.winner === row.loser) continue;
      a.push(id(row.winner));
      b.push(id(row.loser));
      y.push(row.isTie ? 0.5 : 1);
    }
    after = rows[rows.length - 1]!.id;
  }
  return { systems: [...index.keys()], a: Uint32Array.from(a), b: Uint32Array.from(b), y: Float64Array.from(y) };
}

/** Every comparison of a project as rankings over systems (k-wise judgments rebuilt whole; see rankingsFromComparisons). */
export function loadProjectRankings(projectId: number, chunkSize = 50_000): RankingData {
  const index = new Map<string, number>();
  const id = (name: string) => {
    let k = index.get(name);
    if (k === undefined) index.set(name, (k = index.size));
    return k;
  };
  const rows: { group: string | null; winner: number; loser: number; isTie: boolean }[] = [];
  for (let after = 0; ; ) {
    const chunk = readComparisonSystems(projectId, after, chunkSize);
    if (chunk.length === 0) break;
    for (const row of chunk) rows.push({ group: row.groupId, winner: id(row.winner), loser: id(row.loser), isTie: row.isTie });
    after = chunk[chunk.length - 1]!.id;
  }
  return { systems: [...index.keys()], rankings: rankingsFromComparisons(rows) };
}

/** Every comparison with both responses' style features (style-controlled leaderboard); ties score ½, winner first. */
export function loadProjectStyledBattles(projectId: number): StyledBattles {
  const client = getDb().$client;
  const rows = client
    .prepare(
      `select c.winner_response_id as w, c.loser_response_id as l, c.is_tie as tie, rw.system as ws, rl.system as ls
       from comparisons c join responses rw on rw.id = c.winner_response_id join responses rl on rl.id = c.loser_response_id
       where c.project_id = ? and rw.system != rl.system order by c.id`,
    )
    .all(projectId) as { w: number; l: number; tie: number; ws: string; ls: string }[];
  const features = new Map<number, StyleVector>();
  const ids = [...new Set(rows.flatMap((r) => [r.w, r.l]))];
  for (let k = 0; k < ids.length; k += 500) {
    const chunk = ids.slice(k, k + 500);
    const found = client.prepare(`select id, content from responses where id in (${chunk.map(() => '?').join(',')})`).all(...chunk) as { id: number; content: string }[];
    for (const r of found) features.set(r.id, styleFeatures(r.content));
  }
  const index = new Map<string, number>();
  const id = (name: string) => {
    let k = index.get(name);
    if (k === undefined) index.set(name, (k = index.size));
    return k;
  };
  const N = rows.length;
  const out: StyledBattles = { systems: [], a: new Uint32Array(N), b: new Uint32Array(N), y: new Float64Array(N), styleA: new Float64Array(N * 4), styleB: new Float64Array(N * 4) };
  rows.forEach((r, n) => {
    out.a[n] = id(r.ws);
    out.b[n] = id(r.ls);
    out.y[n] = r.tie ? 0.5 : 1;
    out.styleA.set(features.get(r.w)!, n * 4);
    out.styleB.set(features.get(r.l)!, n * 4);
  });
  out.systems = [...index.keys()];
  return out;
}
