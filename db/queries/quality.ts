import { and, eq, inArray } from 'drizzle-orm';
import type { PairwiseJudgment } from '@/lib/stats/quality-report';
import { items, judgments, responses, users } from '../schema';
import { getDb } from '../client';

/** A project's pairwise judgments with what the quality report needs (shown order, response lengths). */
export function listPairwiseJudgments(projectId: number): PairwiseJudgment[] {
  const db = getDb();
  const rows = db
    .select({ itemId: judgments.itemId, annotator: users.name, email: users.email, userId: judgments.userId, winner: judgments.winner, strength: judgments.strength, shownOrder: judgments.shownOrder, responseIds: items.responseIds })
    .from(judgments)
    .innerJoin(items, and(eq(items.id, judgments.itemId), eq(items.kind, 'pair')))
    .leftJoin(users, eq(users.id, judgments.userId))
    .where(eq(judgments.projectId, projectId))
    .all();
  const lengths = new Map<number, number>();
  const ids = [...new Set(rows.flatMap((r) => r.responseIds))];
  for (let k = 0; k < ids.length; k += 500) {
    for (const r of db.select({ id: responses.id, content: responses.content }).from(responses).where(inArray(responses.id, ids.slice(k, k + 500))).all()) lengths.set(r.id, r.content.length);
  }
  // Names label annotators; two people with one name are told apart by their email.
  const idsByName = new Map<string, Set<string>>();
  for (const r of rows) if (r.annotator && r.userId) idsByName.set(r.annotator, (idsByName.get(r.annotator) ?? new Set()).add(r.userId));
  const label = (r: (typeof rows)[number]) => (!r.annotator ? (r.userId ?? 'imported') : idsByName.get(r.annotator)!.size > 1 ? `${r.annotator} <${r.email}>` : r.annotator);
  return rows
    .filter((r) => r.winner !== null && r.responseIds.length === 2)
    .map((r) => ({
      itemId: r.itemId,
      annotator: label(r),
      winner: r.winner!,
      strength: r.strength,
      responseIds: [r.responseIds[0]!, r.responseIds[1]!],
      shownOrder: r.shownOrder,
      lengths: [lengths.get(r.responseIds[0]!) ?? 0, lengths.get(r.responseIds[1]!) ?? 0],
    }));
}
