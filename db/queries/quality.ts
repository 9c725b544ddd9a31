import { and, eq, inArray, isNotNull, isNull } from 'drizzle-orm';
import type { PairwiseJudgment } from '@/lib/stats/quality-report';
import { rankingAsPairs } from '@/lib/stats/ranking-pairs';
import type { RatingRow } from '@/lib/stats/ratings-agreement';
import type { RepeatPair } from '@/lib/stats/self-consistency';
import { items, judgments, responses, users } from '../schema';
import { alias, db } from '../client';

/** Content length of each response, read 500 ids at a time. */
async function responseLengths(responseIds: readonly number[]): Promise<Map<number, number>> {
  const lengths = new Map<number, number>();
  const ids = [...new Set(responseIds)];
  for (let k = 0; k < ids.length; k += 500) {
    for (const r of await db().select({ id: responses.id, content: responses.content }).from(responses).where(inArray(responses.id, ids.slice(k, k + 500)))) lengths.set(r.id, r.content.length);
  }
  return lengths;
}

type AnnotatorRow = { annotator: string | null; email: string | null; userId: string | null };
/** Names label annotators; two people with one name are told apart by their email. */
function annotatorLabeller(rows: readonly AnnotatorRow[]): (r: AnnotatorRow) => string {
  const idsByName = new Map<string, Set<string>>();
  for (const r of rows) if (r.annotator && r.userId) idsByName.set(r.annotator, (idsByName.get(r.annotator) ?? new Set()).add(r.userId));
  return (r) => (!r.annotator ? (r.userId ?? 'imported') : idsByName.get(r.annotator)!.size > 1 ? `${r.annotator} <${r.email}>` : r.annotator);
}

/** A project's pairwise judgments with what the quality report needs (shown order, response lengths). */
export async function listPairwiseJudgments(projectId: number): Promise<PairwiseJudgment[]> {
  const rows = await db()
    .select({ itemId: judgments.itemId, annotator: users.name, email: users.email, userId: judgments.userId, winner: judgments.winner, strength: judgments.strength, shownOrder: judgments.shownOrder, responseIds: items.responseIds })
    .from(judgments)
    .innerJoin(items, and(eq(items.id, judgments.itemId), eq(items.kind, 'pair')))
    .leftJoin(users, eq(users.id, judgments.userId))
    .where(and(eq(judgments.projectId, projectId), isNull(items.repeatOfItemId)));
  const lengths = await responseLengths(rows.flatMap((r) => r.responseIds));
  const label = annotatorLabeller(rows);
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

/**
 * Ranking judgments read as their implied pairs (lib/stats/ranking-pairs.ts): a ranking project's input to the
 * same agreement, bias and transitivity report as a pairwise project's.
 */
export async function listRankingJudgmentsAsPairs(projectId: number): Promise<{ rankings: number; pairs: PairwiseJudgment[] }> {
  const rows = await db()
    .select({ itemId: judgments.itemId, annotator: users.name, email: users.email, userId: judgments.userId, ranking: judgments.ranking, shownOrder: judgments.shownOrder, responseIds: items.responseIds })
    .from(judgments)
    .innerJoin(items, and(eq(items.id, judgments.itemId), eq(items.kind, 'ranking')))
    .leftJoin(users, eq(users.id, judgments.userId))
    .where(and(eq(judgments.projectId, projectId), isNotNull(judgments.ranking)));
  const lengths = await responseLengths(rows.flatMap((r) => r.responseIds));
  const label = annotatorLabeller(rows);
  const pairs = rows.flatMap((r) => rankingAsPairs({ itemId: r.itemId, annotator: label(r), responseIds: r.responseIds, ranking: r.ranking!, shownOrder: r.shownOrder }, (id) => lengths.get(id) ?? 0));
  return { rankings: rows.length, pairs };
}

/** Each self-consistency repeat with the same annotator's answer to the original pair (canonical terms). */
export async function listRepeatPairs(projectId: number): Promise<RepeatPair[]> {
  const [jr, jo] = [alias(judgments, 'jr'), alias(judgments, 'jo')];
  const rows = await db()
    .select({ name: users.name, first: jo.winner, second: jr.winner })
    .from(items)
    .innerJoin(jr, eq(jr.itemId, items.id))
    .innerJoin(jo, and(eq(jo.itemId, items.repeatOfItemId), eq(jo.userId, jr.userId)))
    .leftJoin(users, eq(users.id, jr.userId))
    .where(and(eq(items.projectId, projectId), isNotNull(items.repeatOfItemId), isNotNull(jr.winner), isNotNull(jo.winner)));
  return rows.map((r) => ({ annotator: r.name ?? 'unknown', first: r.first!, second: r.second! }));
}

/** Every attribute rating of a project's judgments, one row per (annotator, response). */
export async function listRatingRows(projectId: number): Promise<RatingRow[]> {
  const rows = await db()
    .select({ name: users.name, userId: judgments.userId, ratings: judgments.ratings })
    .from(judgments)
    .leftJoin(users, eq(users.id, judgments.userId))
    .where(and(eq(judgments.projectId, projectId), isNotNull(judgments.ratings)));
  const out: RatingRow[] = [];
  for (const r of rows) {
    const annotator = r.userId ?? r.name ?? 'unknown';
    for (const [responseId, values] of Object.entries(r.ratings!)) out.push({ annotator, responseId: Number(responseId), ratings: values });
  }
  return out;
}
