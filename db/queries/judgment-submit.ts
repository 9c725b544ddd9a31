/**
 * Judgment submission: stores one answer, idempotently on its client-generated id, with the comparisons it
 * implies, in one write transaction serialised with the project's other leases and submits
 * (`withWriteTransaction` with `projectLock`: BEGIN IMMEDIATE on SQLite, the project's advisory lock on
 * PostgreSQL), so an item never collects more than `required_annotations` judgments. The judgment id is the
 * table's key and its insert does nothing on a conflict: a racing submit of the same id that the project lock
 * does not order (an id reused in another project) cannot store a second row, and is told so. A hot path like
 * the lease (db/queries/annotation.ts, whose header says how its prepared statements bind values): every
 * statement here is prepared once per connection.
 */
import { and, count, eq, sql } from 'drizzle-orm';
import { comparisonFromPairwise, comparisonsFromRanking, type ComparisonFact } from '@/lib/annotation/derive-comparisons';
import { judgmentInputSchema, normalizeJudgment, type ItemShape, type NormalizedJudgment } from '@/lib/annotation/judgment-input';
import type { Actor } from '@/lib/auth/access';
import { AppError } from '@/lib/errors';
import { bound, changedRows, prepareOnce, projectLock, withWriteTransaction, type Db } from '../client';
import { assignments, comparisons, items, judgments } from '../schema';
import { insertComparisons, type NewComparison } from './comparisons';
import { ITEM_COLUMNS, LEASE_COLUMNS, requireAnnotator } from './annotation';

const p = sql.placeholder;

export type SubmitResult = { judgmentId: string; itemId: number; created: boolean; revised: boolean };

/** A stored judgment as compared with a resubmission: ranking and ratings as their stored JSON text. */
type StoredAnswer = Pick<typeof judgments.$inferSelect, 'id' | 'itemId' | 'userId' | 'winner' | 'strength' | 'justification'> & { ranking: string | null; ratings: string | null };

function deriveComparisons(item: ItemShape, judgment: NormalizedJudgment): ComparisonFact[] {
  if (item.kind === 'pair' && judgment.winner) return [comparisonFromPairwise(item.responseIds, judgment.winner, judgment.strength)];
  if (item.kind === 'ranking' && judgment.ranking) return comparisonsFromRanking(judgment.ranking);
  return []; // ratings alone express no preference; exports pair them by rating difference
}

async function writeComparisons(tx: Db, projectId: number, promptId: number, judgmentId: string, userId: string, item: ItemShape, judgment: NormalizedJudgment): Promise<void> {
  const groupId = item.kind === 'ranking' ? judgmentId : null;
  const rows: NewComparison[] = deriveComparisons(item, judgment).map((c) => ({
    projectId,
    promptId,
    judgmentId,
    winnerResponseId: c.winnerResponseId,
    loserResponseId: c.loserResponseId,
    isTie: c.isTie,
    tieKind: c.tieKind,
    strength: c.strength,
    weight: c.weight,
    annotatorId: userId,
    labelSource: 'human',
    groupId,
  }));
  if (rows.length) await insertComparisons(tx, rows);
}

function sameAnswer(row: StoredAnswer, j: NormalizedJudgment): boolean {
  return (
    row.winner === j.winner &&
    row.strength === j.strength &&
    row.justification === j.justification &&
    (row.ranking ?? 'null') === JSON.stringify(j.ranking) &&
    (row.ratings ?? 'null') === JSON.stringify(j.ratings)
  );
}

const STORED = {
  id: judgments.id,
  itemId: judgments.itemId,
  userId: judgments.userId,
  winner: judgments.winner,
  strength: judgments.strength,
  justification: judgments.justification,
  // As stored (JSON text), not parsed: compared as text with a resubmission.
  ranking: sql<string | null>`${judgments.ranking}`,
  ratings: sql<string | null>`${judgments.ratings}`,
};
/** The assignment (of this project), its item, and the judgment stored under the submitted id if any (else null), in one statement. */
const assignmentWithItem = prepareOnce((d) =>
  d
    .select({ lease: LEASE_COLUMNS, item: ITEM_COLUMNS, stored: STORED })
    .from(assignments)
    .innerJoin(items, eq(items.id, assignments.itemId))
    .leftJoin(judgments, eq(judgments.id, p('judgmentId')))
    .where(and(eq(assignments.id, p('assignmentId')), eq(items.projectId, p('projectId'))))
    .prepare(),
);
const otherLiveLeases = prepareOnce((d) =>
  d
    .select({ n: count() })
    .from(assignments)
    .where(sql`${assignments.itemId} = ${p('itemId')} and ${assignments.id} != ${p('assignmentId')} and ${assignments.status} = 'active' and ${assignments.expiresAt} > ${p('now')}`)
    .prepare(),
);
/** ranking and ratings as JSON text or null; shownOrder an array; now a Date. */
const insertJudgment = prepareOnce((d) =>
  d
    .insert(judgments)
    .values({
      id: p('id'),
      projectId: p('projectId'),
      itemId: p('itemId'),
      userId: p('userId'),
      assignmentId: p('assignmentId'),
      winner: p('winner'),
      strength: p('strength'),
      justification: p('justification'),
      ranking: bound('ranking'),
      ratings: bound('ratings'),
      shownOrder: p('shownOrder'),
      guidelinesVersion: p('guidelinesVersion'),
      timeSpentMs: p('timeSpentMs'),
      labelSource: 'human',
      createdAt: p('now'),
      updatedAt: p('now'),
    })
    .onConflictDoNothing({ target: judgments.id })
    .prepare(),
);
const markSubmitted = prepareOnce((d) => d.update(assignments).set({ status: 'submitted' }).where(eq(assignments.id, p('id'))).prepare());
const countJudgment = prepareOnce((d) =>
  d
    .update(items)
    .set({
      annotationCount: sql`${items.annotationCount} + 1`,
      status: sql`case when ${items.isGold} = false and ${items.annotationCount} + 1 >= ${items.requiredAnnotations} then 'complete' else ${items.status} end`,
    })
    .where(eq(items.id, p('id')))
    .prepare(),
);

/**
 * Stores one answer. Idempotent on the client-generated id: a retried or double-clicked submit returns
 * the stored judgment (created: false); the same id with a different answer from the same annotator is
 * a revision. Bad input throws before anything is written.
 */
export async function submitJudgment(actor: Actor, projectId: number, rawInput: unknown): Promise<SubmitResult> {
  const project = await requireAnnotator(actor, projectId);
  const input = judgmentInputSchema.parse(rawInput);
  const settings = project.parsedSettings;
  const userId = actor.id!;
  return withWriteTransaction(async (tx) => {
    const now = Date.now();
    const [row] = await assignmentWithItem(tx).execute({ judgmentId: input.id, assignmentId: input.assignmentId, projectId });
    const notFound = () => new AppError('not-found', `assignment ${input.assignmentId} not found`);
    if (!row) throw notFound();
    const { lease: assignment, item, stored: existing } = row;
    if (assignment.userId !== actor.id) throw notFound();
    const shape: ItemShape = { kind: item.kind, responseIds: item.responseIds };
    const judgment = normalizeJudgment(input, shape, settings, assignment.shownOrder);

    if (existing) {
      if (existing.userId !== actor.id || existing.itemId !== item.id) throw new AppError('conflict', `judgment id ${input.id} is already used for another answer`);
      if (sameAnswer(existing, judgment)) return { judgmentId: existing.id, itemId: item.id, created: false, revised: false };
      await reviseStored(tx, existing.id, project.id, item.promptId, userId, shape, judgment, project.guidelinesVersion, input.timeSpentMs ?? null, now);
      return { judgmentId: existing.id, itemId: item.id, created: false, revised: true };
    }
    if (assignment.status === 'submitted') throw new AppError('conflict', 'you already answered this item; revise it from your history');
    if (assignment.status === 'skipped') throw new AppError('conflict', 'you skipped this item');
    const leaseRunning = assignment.status === 'active' && assignment.expiresAt.getTime() > now;
    if (!leaseRunning && !item.isGold) {
      const [others] = await otherLiveLeases(tx).execute({ itemId: item.id, assignmentId: assignment.id, now });
      if (item.annotationCount + others!.n >= item.requiredAnnotations || item.status !== 'open') {
        throw new AppError('conflict', 'your time on this item ran out and it was completed by others; this answer was not stored');
      }
    }

    const inserted = await insertJudgment(tx).execute({
      id: input.id,
      projectId: project.id,
      itemId: item.id,
      userId,
      assignmentId: assignment.id,
      winner: judgment.winner,
      strength: judgment.strength,
      justification: judgment.justification,
      ranking: judgment.ranking ? JSON.stringify(judgment.ranking) : null,
      ratings: judgment.ratings ? JSON.stringify(judgment.ratings) : null,
      shownOrder: assignment.shownOrder, // the assignment's order, stored as the same JSON text
      guidelinesVersion: project.guidelinesVersion,
      timeSpentMs: input.timeSpentMs ?? null,
      now: new Date(now),
    });
    // Stored meanwhile by a submit this one did not wait for (the same id sent to another project).
    if (changedRows(inserted) !== 1) throw new AppError('conflict', `judgment id ${input.id} is already used for another answer`);
    // A repeat is a consistency check on the same annotator: it would count their preference twice.
    if (item.repeatOfItemId === null) await writeComparisons(tx, project.id, item.promptId, input.id, userId, shape, judgment);
    await markSubmitted(tx).execute({ id: assignment.id });
    await countJudgment(tx).execute({ id: item.id });
    return { judgmentId: input.id, itemId: item.id, created: true, revised: false };
  }, { lock: projectLock(projectId) });
}

/** Every value bound as given: ranking and ratings JSON text or null, now in ms. */
const reviseJudgment = prepareOnce((d) =>
  d
    .update(judgments)
    .set({
      winner: bound('winner'),
      strength: bound('strength'),
      justification: bound('justification'),
      ranking: bound('ranking'),
      ratings: bound('ratings'),
      guidelinesVersion: bound('guidelinesVersion'),
      timeSpentMs: sql`coalesce(${p('timeSpentMs')}, ${judgments.timeSpentMs})`,
      updatedAt: bound('now'),
    })
    .where(eq(judgments.id, p('id')))
    .prepare(),
);
const deleteComparisons = prepareOnce((d) => d.delete(comparisons).where(eq(comparisons.judgmentId, p('judgmentId'))).prepare());

async function reviseStored(
  tx: Db,
  id: string,
  projectId: number,
  promptId: number,
  userId: string,
  item: ItemShape,
  j: NormalizedJudgment,
  guidelinesVersion: number,
  timeSpentMs: number | null,
  now: number,
): Promise<void> {
  await reviseJudgment(tx).execute({
    winner: j.winner,
    strength: j.strength,
    justification: j.justification,
    ranking: j.ranking ? JSON.stringify(j.ranking) : null,
    ratings: j.ratings ? JSON.stringify(j.ratings) : null,
    guidelinesVersion,
    timeSpentMs,
    now,
    id,
  });
  await deleteComparisons(tx).execute({ judgmentId: id });
  await writeComparisons(tx, projectId, promptId, id, userId, item, j);
}
