import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { PairwiseJudgment } from '@/lib/stats/quality-report';
import type { RatingRow } from '@/lib/stats/ratings-agreement';
import type { RepeatPair } from '@/lib/stats/self-consistency';
import type { Winner } from '@/lib/annotation/kinds';
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
    .where(and(eq(judgments.projectId, projectId), isNull(items.repeatOfItemId)))
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

/** Each self-consistency repeat with the same annotator's answer to the original pair (canonical terms). */
export function listRepeatPairs(projectId: number): RepeatPair[] {
  const rows = getDb()
    .$client.prepare(
      `select u.name as name, u.email as email, jo.winner as first, jr.winner as second
       from items r join judgments jr on jr.item_id = r.id
       join judgments jo on jo.item_id = r.repeat_of_item_id and jo.user_id = jr.user_id
       left join users u on u.id = jr.user_id
       where r.project_id = ? and r.repeat_of_item_id is not null and jr.winner is not null and jo.winner is not null`,
    )
    .all(projectId) as { name: string | null; email: string | null; first: Winner; second: Winner }[];
  return rows.map((r) => ({ annotator: r.name ?? 'unknown', first: r.first, second: r.second }));
}

/** Every attribute rating of a project's judgments, one row per (annotator, response). */
export function listRatingRows(projectId: number): RatingRow[] {
  const rows = getDb()
    .$client.prepare('select u.name as name, j.user_id as user_id, j.ratings as ratings from judgments j left join users u on u.id = j.user_id where j.project_id = ? and j.ratings is not null')
    .all(projectId) as { name: string | null; user_id: string | null; ratings: string }[];
  const out: RatingRow[] = [];
  for (const r of rows) {
    const annotator = r.user_id ?? r.name ?? 'unknown';
    for (const [responseId, values] of Object.entries(JSON.parse(r.ratings) as Record<string, Record<string, number>>)) out.push({ annotator, responseId: Number(responseId), ratings: values });
  }
  return out;
}
