import { and, asc, count, eq, gt, inArray, ne } from 'drizzle-orm';
import type { BattleTable } from '@/lib/stats/battles';
import { rankingsFromComparisons, type RankingData } from '@/lib/stats/ranking-leaderboards';
import { styleFeatures, type StyledBattles, type StyleVector } from '@/lib/stats/style-control';
import type { ComparisonSystems, WinRateSummary } from '@/lib/stats/win-rates';
import { comparisons, items, judgments, projects, responses } from '../schema';
import { alias, db, withWriteTransaction } from '../client';

const winnerResponse = alias(responses, 'winner_response');
const loserResponse = alias(responses, 'loser_response');

/** Up to `limit` comparisons of a project after id `afterId`, with the systems on each side. */
export async function readComparisonSystems(projectId: number, afterId: number, limit: number): Promise<(ComparisonSystems & { id: number; groupId: string | null })[]> {
  return db()
    .select({ id: comparisons.id, winner: winnerResponse.system, loser: loserResponse.system, isTie: comparisons.isTie, tieKind: comparisons.tieKind, groupId: comparisons.groupId })
    .from(comparisons)
    .innerJoin(winnerResponse, eq(winnerResponse.id, comparisons.winnerResponseId))
    .innerJoin(loserResponse, eq(loserResponse.id, comparisons.loserResponseId))
    .where(and(eq(comparisons.projectId, projectId), gt(comparisons.id, afterId)))
    .orderBy(asc(comparisons.id))
    .limit(limit);
}

export async function countProjectComparisons(projectId: number): Promise<number> {
  const [row] = await db().select({ n: count() }).from(comparisons).where(eq(comparisons.projectId, projectId));
  return row?.n ?? 0;
}

export async function countProjectWork(projectId: number): Promise<{ judgments: number; items: number; itemsComplete: number }> {
  const countOf = async (query: Promise<{ n: number }[]>) => (await query)[0]?.n ?? 0;
  const j = await countOf(db().select({ n: count() }).from(judgments).where(eq(judgments.projectId, projectId)));
  const i = await countOf(db().select({ n: count() }).from(items).where(eq(items.projectId, projectId)));
  const done = await countOf(db().select({ n: count() }).from(items).where(and(eq(items.projectId, projectId), eq(items.status, 'complete'))));
  return { judgments: j, items: i, itemsComplete: done };
}

export async function projectExists(projectId: number): Promise<boolean> {
  const rows = await db().select({ id: projects.id }).from(projects).where(eq(projects.id, projectId)).limit(1);
  return rows.length > 0;
}

export type ProjectStats = WinRateSummary & { judgments: number; items: number; itemsComplete: number };

export async function saveProjectStats(projectId: number, stats: ProjectStats): Promise<void> {
  await withWriteTransaction((tx) => tx.update(projects).set({ stats, statsUpdatedAt: new Date() }).where(eq(projects.id, projectId)));
}

/** Every comparison of a project as a battle table (winner shown as A; sides do not enter the BT likelihood). */
export async function loadProjectBattles(projectId: number, chunkSize = 50_000): Promise<BattleTable> {
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
    const rows = await readComparisonSystems(projectId, after, chunkSize);
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
export async function loadProjectRankings(projectId: number, chunkSize = 50_000): Promise<RankingData> {
  const index = new Map<string, number>();
  const id = (name: string) => {
    let k = index.get(name);
    if (k === undefined) index.set(name, (k = index.size));
    return k;
  };
  const rows: { group: string | null; winner: number; loser: number; isTie: boolean }[] = [];
  for (let after = 0; ; ) {
    const chunk = await readComparisonSystems(projectId, after, chunkSize);
    if (chunk.length === 0) break;
    for (const row of chunk) rows.push({ group: row.groupId, winner: id(row.winner), loser: id(row.loser), isTie: row.isTie });
    after = chunk[chunk.length - 1]!.id;
  }
  return { systems: [...index.keys()], rankings: rankingsFromComparisons(rows) };
}

/** Every comparison with both responses' style features (style-controlled leaderboard); ties score ½, winner first. */
export async function loadProjectStyledBattles(projectId: number, chunkSize = 50_000): Promise<StyledBattles> {
  const rows: { id: number; w: number; l: number; tie: boolean; ws: string; ls: string }[] = [];
  for (let after = 0; ; ) {
    const chunk = await db()
      .select({ id: comparisons.id, w: comparisons.winnerResponseId, l: comparisons.loserResponseId, tie: comparisons.isTie, ws: winnerResponse.system, ls: loserResponse.system })
      .from(comparisons)
      .innerJoin(winnerResponse, eq(winnerResponse.id, comparisons.winnerResponseId))
      .innerJoin(loserResponse, eq(loserResponse.id, comparisons.loserResponseId))
      .where(and(eq(comparisons.projectId, projectId), gt(comparisons.id, after), ne(winnerResponse.system, loserResponse.system)))
      .orderBy(asc(comparisons.id))
      .limit(chunkSize);
    if (chunk.length === 0) break;
    for (const row of chunk) rows.push(row);
    after = chunk[chunk.length - 1]!.id;
  }
  const features = new Map<number, StyleVector>();
  const ids = [...new Set(rows.flatMap((r) => [r.w, r.l]))];
  for (let k = 0; k < ids.length; k += 500) {
    const chunk = ids.slice(k, k + 500);
    const found = await db().select({ id: responses.id, content: responses.content }).from(responses).where(inArray(responses.id, chunk));
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
