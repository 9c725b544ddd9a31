import { desc, eq } from 'drizzle-orm';
import type { LeaderboardRow } from '@/lib/stats/bt-leaderboard';
import type { PairwiseMatrix } from '@/lib/stats/pairwise-matrix';
import type { StyleCoefficient } from '@/lib/stats/style-control';
import { leaderboards } from '../schema';
import { db, withWriteTransaction } from '../client';

export type StoredLeaderboard = {
  id: number;
  method: string;
  jobId: number | null;
  config: Record<string, unknown>;
  /** `matrix` is absent on leaderboards stored before it existed. */
  result: { rows: LeaderboardRow[]; battles: number; degenerateRounds: number; matrix?: PairwiseMatrix; tieParameter?: { value: number; lower: number; upper: number }; style?: StyleCoefficient[] };
  createdAt: Date;
};

export async function saveLeaderboard(input: { projectId: number; jobId: number | null; method: string; config: Record<string, unknown>; result: StoredLeaderboard['result'] }): Promise<number> {
  const rows = await withWriteTransaction((tx) => tx.insert(leaderboards).values(input).returning({ id: leaderboards.id }));
  return rows[0]!.id;
}

/** A project's leaderboards by method, newest first within each; methods in the order their newest was computed. */
export async function listLeaderboardsByMethod(projectId: number): Promise<Map<string, StoredLeaderboard[]>> {
  const rows = await db().select().from(leaderboards).where(eq(leaderboards.projectId, projectId)).orderBy(desc(leaderboards.id)).limit(200);
  const byMethod = new Map<string, StoredLeaderboard[]>();
  for (const r of rows) {
    const board = { id: r.id, method: r.method, jobId: r.jobId, config: r.config as Record<string, unknown>, result: r.result as StoredLeaderboard['result'], createdAt: r.createdAt };
    byMethod.set(r.method, [...(byMethod.get(r.method) ?? []), board]);
  }
  return byMethod;
}

/** The newest leaderboard of each method for a project. */
export async function listLatestLeaderboards(projectId: number): Promise<StoredLeaderboard[]> {
  return [...(await listLeaderboardsByMethod(projectId)).values()].map((boards) => boards[0]!);
}
