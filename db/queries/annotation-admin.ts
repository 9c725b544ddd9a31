/** What researchers see of annotation: per-item status, per-annotator throughput and gold accuracy, gold answers. */
import { and, asc, count, eq, gt, or, sql, type SQL } from 'drizzle-orm';
import { goldAnswerSchema, matchesGold, tallyGold, type GoldAnswer, type GoldTally } from '@/lib/annotation/gold';
import type { Actor } from '@/lib/auth/access';
import { AppError } from '@/lib/errors';
import { db, withWriteTransaction } from '../client';
import { assignments, items, judgments, prompts, users } from '../schema';
import { assertCanManageProject } from './projects';

export const ITEM_FILTERS = ['all', 'open', 'in-progress', 'complete', 'gold'] as const;
export type ItemFilter = (typeof ITEM_FILTERS)[number];

export type ItemStatusRow = {
  id: number;
  kind: string;
  promptPreview: string;
  responses: number;
  annotationCount: number;
  required: number;
  activeLeases: number;
  skips: number;
  isGold: boolean;
  goldAnswer: GoldAnswer | null;
  status: string;
};

/** The filter's condition; `active` counts an item's live leases. */
function filterCondition(filter: ItemFilter, active: SQL<number>): SQL | undefined {
  switch (filter) {
    case 'all':
      return undefined;
    case 'open':
      return and(eq(items.status, 'open'), eq(items.isGold, false));
    case 'in-progress':
      return and(eq(items.status, 'open'), or(gt(items.annotationCount, 0), sql`${active} > 0`));
    case 'complete':
      return eq(items.status, 'complete');
    case 'gold':
      return eq(items.isGold, true);
  }
}

/** Items of a project with their annotation state, for researchers. */
export async function listItemStatuses(
  actor: Actor,
  projectId: number,
  options: { filter?: ItemFilter; limit?: number; offset?: number } = {},
): Promise<{ rows: ItemStatusRow[]; total: number }> {
  await assertCanManageProject(actor, projectId);
  const now = Date.now();
  const active = sql<number>`(select count(*) from ${assignments} where ${assignments.itemId} = ${items.id} and ${assignments.status} = 'active' and ${assignments.expiresAt} > ${now})`;
  const skips = sql<number>`(select count(*) from ${assignments} where ${assignments.itemId} = ${items.id} and ${assignments.status} = 'skipped')`;
  const where = and(eq(items.projectId, projectId), filterCondition(options.filter ?? 'all', active));
  const [counted] = await db().select({ n: count() }).from(items).innerJoin(prompts, eq(prompts.id, items.promptId)).where(where);
  const total = counted?.n ?? 0;
  const limit = Math.max(1, Math.min(options.limit ?? 50, 500));
  const rows = await db()
    .select({
      id: items.id,
      kind: items.kind,
      responseIds: items.responseIds,
      annotationCount: items.annotationCount,
      requiredAnnotations: items.requiredAnnotations,
      isGold: items.isGold,
      goldAnswer: items.goldAnswer,
      status: items.status,
      messages: prompts.messages,
      active,
      skips,
    })
    .from(items)
    .innerJoin(prompts, eq(prompts.id, items.promptId))
    .where(where)
    .orderBy(asc(items.id))
    .limit(limit)
    .offset(Math.max(0, options.offset ?? 0));
  return {
    total,
    rows: rows.map((r) => {
      const messages = r.messages as { role: string; content: string }[];
      const text = ([...messages].reverse().find((m) => m.role === 'user')?.content ?? '').replace(/\s+/g, ' ').trim();
      return {
        id: r.id,
        kind: r.kind,
        promptPreview: text.length > 100 ? `${text.slice(0, 99)}…` : text,
        responses: r.responseIds.length,
        annotationCount: r.annotationCount,
        required: r.requiredAnnotations,
        activeLeases: r.active,
        skips: r.skips,
        isGold: r.isGold,
        goldAnswer: r.goldAnswer ? (r.goldAnswer as GoldAnswer) : null,
        status: r.status,
      };
    }),
  };
}

export type AnnotatorWork = {
  userId: string;
  name: string;
  email: string;
  simulated: boolean;
  judgments: number;
  last24h: number;
  /** Median and mean time per judgment (ms), over judgments that recorded it. */
  medianMs: number | null;
  meanMs: number | null;
  /** Judgments per hour of recorded annotation time. */
  perHour: number | null;
  skips: number;
  gold: GoldTally;
};

function median(sorted: number[]): number | null {
  if (!sorted.length) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Per-annotator throughput, time per judgment and gold accuracy. */
export async function listAnnotatorWork(actor: Actor, projectId: number): Promise<AnnotatorWork[]> {
  await assertCanManageProject(actor, projectId);
  const rows = await db()
    .select({
      userId: users.id,
      name: users.name,
      email: users.email,
      isSimulated: users.isSimulated,
      timeSpentMs: judgments.timeSpentMs,
      createdAt: judgments.createdAt,
      winner: judgments.winner,
      ranking: judgments.ranking,
      isGold: items.isGold,
      goldAnswer: items.goldAnswer,
    })
    .from(judgments)
    .innerJoin(users, eq(users.id, judgments.userId))
    .innerJoin(items, eq(items.id, judgments.itemId))
    .where(eq(judgments.projectId, projectId));
  const skipRows = await db()
    .select({ userId: assignments.userId, n: count() })
    .from(assignments)
    .innerJoin(items, eq(items.id, assignments.itemId))
    .where(and(eq(items.projectId, projectId), eq(assignments.status, 'skipped')))
    .groupBy(assignments.userId);
  const skips = new Map(skipRows.map((r) => [r.userId, r.n]));
  const since = Date.now() - 24 * 3600 * 1000;
  const byUser = new Map<string, typeof rows>();
  for (const r of rows) byUser.set(r.userId, [...(byUser.get(r.userId) ?? []), r]);
  return [...byUser.values()]
    .map((list) => {
      const first = list[0]!;
      const times = list.map((r) => r.timeSpentMs).filter((t): t is number => t !== null).sort((a, b) => a - b);
      const totalMs = times.reduce((s, t) => s + t, 0);
      const gold = list
        .filter((r) => r.isGold && r.goldAnswer)
        .map((r) => {
          const parsed = goldAnswerSchema.safeParse(r.goldAnswer);
          return parsed.success ? matchesGold(parsed.data, { winner: r.winner, ranking: r.ranking }) : null;
        });
      return {
        userId: first.userId,
        name: first.name,
        email: first.email,
        simulated: first.isSimulated,
        judgments: list.length,
        last24h: list.filter((r) => r.createdAt.getTime() >= since).length,
        medianMs: median(times),
        meanMs: times.length ? totalMs / times.length : null,
        perHour: totalMs > 0 ? times.length / (totalMs / 3_600_000) : null,
        skips: skips.get(first.userId) ?? 0,
        gold: tallyGold(gold),
      };
    })
    .sort((a, b) => b.judgments - a.judgments || a.name.localeCompare(b.name));
}

/**
 * Marks an item as gold with its known answer (canonical terms), or clears it (answer null).
 * A gold item stays open: each annotator meets it once, mixed in at the project's gold rate.
 */
export async function setGoldAnswer(actor: Actor, projectId: number, itemId: number, rawAnswer: unknown): Promise<void> {
  await assertCanManageProject(actor, projectId);
  await withWriteTransaction(async (tx) => {
    const [item] = await tx
      .select({ id: items.id, kind: items.kind, responseIds: items.responseIds })
      .from(items)
      .where(and(eq(items.id, itemId), eq(items.projectId, projectId)))
      .limit(1);
    if (!item) throw new AppError('not-found', `item ${itemId} not found in project ${projectId}`);
    if (rawAnswer === null) {
      // The status from the row as it is when updated: a submit of another writer may have counted a judgment since the read.
      const status = sql<'complete' | 'open'>`case when ${items.annotationCount} >= ${items.requiredAnnotations} then 'complete' else 'open' end`;
      await tx.update(items).set({ isGold: false, goldAnswer: null, status }).where(eq(items.id, itemId));
      return;
    }
    const answer: GoldAnswer = goldAnswerSchema.parse(rawAnswer);
    if (item.kind === 'pair' && !('winner' in answer)) throw new AppError('conflict', 'a pair item takes a gold winner (a, b, tie or both_bad)');
    if (item.kind === 'ranking' && !('best' in answer)) throw new AppError('conflict', 'a ranking item takes the id of its best response as gold');
    if (item.kind === 'rating') throw new AppError('conflict', 'rating items cannot be gold');
    if ('best' in answer && !item.responseIds.includes(answer.best)) throw new AppError('conflict', `response ${answer.best} is not part of item ${itemId}`);
    await tx.update(items).set({ isGold: true, goldAnswer: answer, status: 'open' }).where(eq(items.id, itemId));
  });
}
