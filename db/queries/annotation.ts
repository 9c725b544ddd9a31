/**
 * The assignment engine and judgment submission.
 *
 * Every lease and every submit runs in one write transaction (`withWriteTransaction`, BEGIN IMMEDIATE),
 * so SQLite serialises them: two annotators asking at the same moment cannot both take the last open slot
 * of an item, and an item never collects more than `required_annotations` judgments (gold items excepted:
 * every annotator sees each gold item once, which is the point of gold).
 *
 * Lease and submit are the hottest paths of the app (well under a millisecond each), so every statement
 * here is a drizzle prepared statement (`prepareOnce`, values as `sql.placeholder`s), built once per
 * connection: a call only binds its values. Run each on the connection it belongs to (`tx` inside the
 * write transaction, `db()` for reads outside one). The builder maps the selected columns' values (json
 * parsed, booleans, timestamps as Date); an INSERT's placeholders go through their column's mapping too
 * (pass a Date, an array), while `bound(…)` placeholders (SET values, nullable JSON text) bind as given.
 */
import { and, count, eq, max, min, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { comparisonFromPairwise, comparisonsFromRanking, type ComparisonFact } from '@/lib/annotation/derive-comparisons';
import { judgmentInputSchema, normalizeJudgment, type ItemShape, type NormalizedJudgment } from '@/lib/annotation/judgment-input';
import type { Actor } from '@/lib/auth/access';
import { AppError } from '@/lib/errors';
import { projectSettingsSchema, type ProjectSettings } from '@/lib/projects/settings';
import { createRng, type Rng } from '@/lib/random';
import type { Winner } from '@/lib/annotation/kinds';
import { db, prepareOnce, withWriteTransaction, type Db } from '../client';
import { assignments, comparisons, items, judgments, projectMembers, projects, prompts, responses } from '../schema';
import { insertComparisons, type NewComparison } from './comparisons';

export type ChatMessage = { role: string; content: string };

/** What an annotator sees: never the system names, the other answers, or whether the item is gold. */
export type AnnotationTask = {
  assignmentId: number;
  itemId: number;
  kind: ItemShape['kind'];
  expiresAt: number;
  messages: ChatMessage[];
  /** In the order shown (sides randomised per assignment). */
  responses: { id: number; content: string }[];
  settings: Pick<ProjectSettings, 'tasks' | 'strengthScale' | 'justification' | 'attributes'>;
  guidelinesVersion: number;
  /** Set when the task is opened to revise an earlier answer (shown terms). */
  previous: PreviousAnswer | null;
};

export type PreviousAnswer = {
  judgmentId: string;
  winner: Winner | null;
  strength: number | null;
  justification: string | null;
  ranking: number[][] | null;
  ratings: Record<string, Record<string, number>> | null;
};

const p = sql.placeholder;
/**
 * A placeholder bound exactly as given, past the column's mapping: for SET values (drizzle's update types
 * take SQL, not a bare placeholder) and for nullable JSON columns (their mapping would store a null as the
 * text 'null').
 */
const bound = (name: string) => sql`${sql.placeholder(name)}`;
/** `excluded.<column>` in an upsert's SET. */
const excluded = (column: { name: string }) => sql`excluded.${sql.identifier(column.name)}`;

const ITEM = {
  id: items.id,
  promptId: items.promptId,
  kind: items.kind,
  responseIds: items.responseIds,
  requiredAnnotations: items.requiredAnnotations,
  annotationCount: items.annotationCount,
  isGold: items.isGold,
  status: items.status,
  repeatOfItemId: items.repeatOfItemId,
};
/** The item columns the engine works with. */
export type ServedItem = Pick<typeof items.$inferSelect, keyof typeof ITEM>;
export const ITEM_COLUMNS = ITEM;

const LEASE = {
  id: assignments.id,
  itemId: assignments.itemId,
  userId: assignments.userId,
  status: assignments.status,
  shownOrder: assignments.shownOrder,
  expiresAt: assignments.expiresAt,
};
/** The assignment columns the engine works with. */
export type Lease = Pick<typeof assignments.$inferSelect, keyof typeof LEASE>;
export const LEASE_COLUMNS = LEASE;

const PROJECT = { id: projects.id, settings: projects.settings, guidelinesVersion: projects.guidelinesVersion, archivedAt: projects.archivedAt };
export type AnnotatedProject = Pick<typeof projects.$inferSelect, 'id' | 'guidelinesVersion'> & { parsedSettings: ProjectSettings };

/** The project and the actor's membership (project_members' key is (project, user): one row at most) in one statement. */
const projectForAnnotator = prepareOnce((d) =>
  d
    .select({ ...PROJECT, memberRole: projectMembers.role })
    .from(projects)
    .leftJoin(projectMembers, and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, p('userId'))))
    .where(eq(projects.id, p('projectId')))
    .prepare(),
);

const nowMs = () => Date.now();

/** Annotation needs a person: any member of the project (admins too). Returns the project. */
export async function requireAnnotator(actor: Actor, projectId: number): Promise<AnnotatedProject> {
  if (!actor.id) throw new AppError('forbidden', 'annotation needs a signed-in user, not the CLI');
  const [project] = await projectForAnnotator(db()).execute({ userId: actor.id, projectId });
  if (!project) throw new AppError('not-found', `project ${projectId} not found`);
  if (actor.role !== 'admin' && project.memberRole === null) throw new AppError('not-found', `project ${projectId} not found`);
  if (project.archivedAt !== null) throw new AppError('conflict', 'this project is archived');
  return { id: project.id, guidelinesVersion: project.guidelinesVersion, parsedSettings: projectSettingsSchema.parse(project.settings) };
}

function shownOrderFor(responseIds: number[], settings: ProjectSettings, rng: Rng): number[] {
  return settings.randomizeSides ? rng.shuffle([...responseIds]) : [...responseIds];
}

const promptMessages = prepareOnce((d) => d.select({ messages: prompts.messages }).from(prompts).where(eq(prompts.id, p('promptId'))).prepare());
const responseContents = prepareOnce((d) =>
  d
    .select({ id: responses.id, content: responses.content })
    .from(responses)
    .where(sql`${responses.id} in (select value from json_each(${p('ids')}))`)
    .prepare(),
);

export async function loadTask(
  assignment: Pick<Lease, 'id' | 'shownOrder' | 'expiresAt'>,
  item: Pick<ServedItem, 'id' | 'promptId' | 'kind'>,
  settings: ProjectSettings,
  guidelinesVersion: number,
  previous: PreviousAnswer | null,
): Promise<AnnotationTask> {
  const [prompt] = await promptMessages(db()).execute({ promptId: item.promptId });
  const shown = assignment.shownOrder;
  const rows = await responseContents(db()).execute({ ids: JSON.stringify(shown) });
  const contents = new Map(rows.map((r) => [r.id, r.content]));
  return {
    assignmentId: assignment.id,
    itemId: item.id,
    kind: item.kind,
    expiresAt: assignment.expiresAt.getTime(),
    messages: prompt!.messages as ChatMessage[],
    responses: shown.map((id) => ({ id, content: contents.get(id) ?? '' })),
    settings: { tasks: settings.tasks, strengthScale: settings.strengthScale, justification: settings.justification, attributes: settings.attributes },
    guidelinesVersion,
    previous,
  };
}

type CandidateParams = { projectId: number; userId: string; now: number };
type CandidateOptions = { gold: boolean; order: 'least' | 'fixed'; free: boolean; pivot: boolean };

/**
 * One candidate query. Each walks an index in serving order (items_serve_least_idx or
 * items_serve_fixed_idx) and stops at the first item that passes the per-row checks, so a lease
 * costs about the same with 100 or 100,000 open items.
 *   free: no live lease on the item at all (preferred, so parallel annotators spread out);
 *   otherwise: judgments + live leases below the overlap.
 * The literals ('open', the gold flag) stay literals, as the indexes' leading columns.
 */
function buildCandidate(d: Db, options: CandidateOptions) {
  const notSeen = sql`not exists (select 1 from ${assignments} where ${assignments.itemId} = ${items.id} and ${assignments.userId} = ${p('userId')} and ${assignments.status} != 'expired')`;
  const liveLeases = sql`(select count(*) from ${assignments} where ${assignments.itemId} = ${items.id} and ${assignments.status} = 'active' and ${assignments.expiresAt} > ${p('now')})`;
  const where = [sql`${items.projectId} = ${p('projectId')}`, sql`${items.status} = 'open'`, sql`${items.isGold} = ${sql.raw(options.gold ? '1' : '0')}`, sql`${items.repeatOfItemId} is null`, notSeen];
  if (!options.gold) where.push(options.free ? sql`${items.annotationCount} < ${items.requiredAnnotations} and ${liveLeases} = 0` : sql`${items.annotationCount} + ${liveLeases} < ${items.requiredAnnotations}`);
  if (options.pivot) where.push(sql`${items.id} >= ${p('pivot')}`);
  const orderBy = options.order === 'least' ? sql`${items.priority} desc, ${items.annotationCount} asc, ${items.id} asc` : sql`${items.priority} desc, ${items.id} asc`;
  return d.select(ITEM).from(items).where(sql.join(where, sql` and `)).orderBy(orderBy).limit(1).prepare();
}

const candidateStatements = new Map<string, (connection: Db) => ReturnType<typeof buildCandidate>>();

async function candidate(tx: Db, options: CandidateOptions, params: CandidateParams, pivot = 0): Promise<ServedItem | undefined> {
  const key = `${options.gold}:${options.order}:${options.free}:${options.pivot}`;
  let statement = candidateStatements.get(key);
  if (!statement) candidateStatements.set(key, (statement = prepareOnce((d) => buildCandidate(d, options))));
  const [row] = await statement(tx).execute({ ...params, pivot });
  return row;
}

const idRange = prepareOnce((d) => d.select({ lo: min(items.id), hi: max(items.id) }).from(items).where(eq(items.projectId, p('projectId'))).prepare());

/** The next regular (non-gold) item for this user under the project's order, or undefined. */
async function pickRegular(tx: Db, params: CandidateParams, order: ProjectSettings['assignmentOrder'], rng: Rng): Promise<ServedItem | undefined> {
  if (order === 'least-annotated') {
    return (
      (await candidate(tx, { gold: false, order: 'least', free: true, pivot: false }, params)) ??
      (await candidate(tx, { gold: false, order: 'least', free: false, pivot: false }, params))
    );
  }
  if (order === 'fixed') return candidate(tx, { gold: false, order: 'fixed', free: false, pivot: false }, params);
  // random: start at a random id and walk on (wrapping around), free items first.
  const [range] = await idRange(tx).execute({ projectId: params.projectId });
  const pivot = range!.lo === null ? 0 : rng.int(range!.lo, range!.hi!);
  return (
    (await candidate(tx, { gold: false, order: 'fixed', free: true, pivot: true }, params, pivot)) ??
    (await candidate(tx, { gold: false, order: 'fixed', free: true, pivot: false }, params)) ??
    (await candidate(tx, { gold: false, order: 'fixed', free: false, pivot: true }, params, pivot)) ??
    (await candidate(tx, { gold: false, order: 'fixed', free: false, pivot: false }, params))
  );
}

const expireLeases = prepareOnce((d) =>
  d
    .update(assignments)
    .set({ status: 'expired' })
    .where(sql`${assignments.status} = 'active' and ${assignments.expiresAt} <= ${p('now')}`)
    .prepare(),
);
/** The user's running lease in the project, and its item. */
const heldLease = prepareOnce((d) =>
  d
    .select({ lease: LEASE, item: ITEM })
    .from(assignments)
    .innerJoin(items, eq(items.id, assignments.itemId))
    .where(sql`${items.projectId} = ${p('projectId')} and ${assignments.userId} = ${p('userId')} and ${assignments.status} = 'active'`)
    .orderBy(assignments.id)
    .limit(1)
    .prepare(),
);
const renewLease = prepareOnce((d) =>
  d
    .update(assignments)
    .set({ expiresAt: bound('expiresAt') })
    .where(eq(assignments.id, p('id')))
    .prepare(),
);
/** A new lease: values shown (the order, an array), now and expiresAt (Dates). */
const leaseValues = (d: Db) =>
  d.insert(assignments).values({ itemId: p('itemId'), userId: p('userId'), status: 'active', shownOrder: p('shown'), leasedAt: p('now'), expiresAt: p('expiresAt') });
const insertLease = prepareOnce((d) => leaseValues(d).returning({ id: assignments.id }).prepare());
/** Takes over the user's expired or skipped row of the item, if any. */
const upsertLease = prepareOnce((d) =>
  leaseValues(d)
    .onConflictDoUpdate({
      target: [assignments.itemId, assignments.userId],
      set: { status: 'active', shownOrder: excluded(assignments.shownOrder), leasedAt: excluded(assignments.leasedAt), expiresAt: excluded(assignments.expiresAt) },
    })
    .returning({ id: assignments.id })
    .prepare(),
);

/**
 * The annotator's current task: their unexpired lease in this project if they hold one (its lease is
 * renewed), otherwise a new lease on the next item by the project's order. Null when no work is left.
 */
export async function leaseNextTask(actor: Actor, projectId: number, options: { rng?: Rng } = {}): Promise<AnnotationTask | null> {
  const project = await requireAnnotator(actor, projectId);
  const settings = project.parsedSettings;
  const rng = options.rng ?? createRng((Math.random() * 2 ** 32) >>> 0);
  const userId = actor.id!;
  return withWriteTransaction(async (tx) => {
    const now = nowMs();
    const expiresAt = new Date(now + settings.leaseMinutes * 60_000);
    // Abandoned leases (of any project: the index makes that the cheap query) go back to the pool.
    await expireLeases(tx).execute({ now });

    const [held] = await heldLease(tx).execute({ projectId, userId });
    if (held) {
      await renewLease(tx).execute({ expiresAt: expiresAt.getTime(), id: held.lease.id });
      return loadTask({ ...held.lease, expiresAt }, held.item, settings, project.guidelinesVersion, null);
    }

    const params = { projectId, userId, now };
    const regular = await pickRegular(tx, params, settings.assignmentOrder, rng);
    if (!regular) return null; // gold items are interleaved with real work, never served alone
    const repeat = settings.repeatRate > 0 && rng.next() < settings.repeatRate ? await createRepeat(tx, projectId, userId) : null;
    const leasedAt = new Date(now);
    if (repeat) {
      const [row] = await insertLease(tx).execute({ itemId: repeat.item.id, userId, shown: repeat.shown, now: leasedAt, expiresAt });
      return loadTask({ id: row!.id, shownOrder: repeat.shown, expiresAt }, repeat.item, settings, project.guidelinesVersion, null);
    }
    const item =
      settings.goldRate > 0 && rng.next() < settings.goldRate ? ((await candidate(tx, { gold: true, order: 'fixed', free: false, pivot: false }, params)) ?? regular) : regular;

    const shown = shownOrderFor(item.responseIds, settings, rng);
    const [row] = await upsertLease(tx).execute({ itemId: item.id, userId, shown, now: leasedAt, expiresAt });
    return loadTask({ id: row!.id, shownOrder: shown, expiresAt }, item, settings, project.guidelinesVersion, null);
  });
}

const [a, i, r, ra] = [alias(assignments, 'a'), alias(items, 'i'), alias(items, 'r'), alias(assignments, 'ra')];
/**
 * A pair the user answered and has not had repeated yet, at random. CROSS JOIN keeps this user's
 * assignments (by index) as the outer loop. The ids come as their stored text: the copy stores them as they are.
 */
const repeatOriginal = prepareOnce((d) =>
  d
    .select({ id: i.id, promptId: i.promptId, responseIds: sql<string>`${i.responseIds}`, shown: a.shownOrder })
    .from(a)
    .crossJoin(i)
    .where(
      sql`${i.id} = ${a.itemId} and ${a.userId} = ${p('userId')} and ${a.status} = 'submitted' and ${i.projectId} = ${p('projectId')} and ${i.kind} = 'pair' and ${i.isGold} = 0 and ${i.repeatOfItemId} is null
        and not exists (select 1 from ${items} as ${r} join ${assignments} as ${ra} on ${ra.itemId} = ${r.id} where ${r.repeatOfItemId} = ${i.id} and ${ra.userId} = ${a.userId})`,
    )
    .orderBy(sql`random()`)
    .limit(1)
    .prepare(),
);
const insertRepeat = prepareOnce((d) =>
  d
    .insert(items)
    .values({ projectId: p('projectId'), promptId: p('promptId'), kind: 'pair', responseIds: bound('responseIds'), requiredAnnotations: 1, status: 'open', repeatOfItemId: p('originalId') })
    .returning(ITEM)
    .prepare(),
);

/**
 * A self-consistency repeat: a copy of a pair this annotator answered (not yet repeated for them),
 * to be shown with the sides the other way round. Null when they have answered none.
 */
async function createRepeat(tx: Db, projectId: number, userId: string): Promise<{ item: ServedItem; shown: number[] } | null> {
  const [original] = await repeatOriginal(tx).execute({ userId, projectId });
  if (!original) return null;
  const [item] = await insertRepeat(tx).execute({ projectId, promptId: original.promptId, responseIds: original.responseIds, originalId: original.id });
  return { item: item!, shown: [...original.shown].reverse() };
}

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
    .select({ lease: LEASE, item: ITEM, stored: STORED })
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
    .prepare(),
);
const markSubmitted = prepareOnce((d) => d.update(assignments).set({ status: 'submitted' }).where(eq(assignments.id, p('id'))).prepare());
const countJudgment = prepareOnce((d) =>
  d
    .update(items)
    .set({
      annotationCount: sql`${items.annotationCount} + 1`,
      status: sql`case when ${items.isGold} = 0 and ${items.annotationCount} + 1 >= ${items.requiredAnnotations} then 'complete' else ${items.status} end`,
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
    const now = nowMs();
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

    await insertJudgment(tx).execute({
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
    // A repeat is a consistency check on the same annotator: it would count their preference twice.
    if (item.repeatOfItemId === null) await writeComparisons(tx, project.id, item.promptId, input.id, userId, shape, judgment);
    await markSubmitted(tx).execute({ id: assignment.id });
    await countJudgment(tx).execute({ id: item.id });
    return { judgmentId: input.id, itemId: item.id, created: true, revised: false };
  });
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

const skipTarget = prepareOnce((d) =>
  d
    .select({ userId: assignments.userId, status: assignments.status })
    .from(assignments)
    .innerJoin(items, eq(items.id, assignments.itemId))
    .where(and(eq(assignments.id, p('assignmentId')), eq(items.projectId, p('projectId'))))
    .prepare(),
);
const markSkipped = prepareOnce((d) =>
  d
    .update(assignments)
    .set({ status: 'skipped' })
    .where(sql`${assignments.id} = ${p('id')} and ${assignments.status} in ('active', 'expired')`)
    .prepare(),
);

/** Gives an item back: the annotator will not see it again; others can take the slot at once. */
export async function skipAssignment(actor: Actor, projectId: number, assignmentId: number): Promise<void> {
  await requireAnnotator(actor, projectId);
  await withWriteTransaction(async (tx) => {
    const [row] = await skipTarget(tx).execute({ assignmentId, projectId });
    if (!row || row.userId !== actor.id) throw new AppError('not-found', `assignment ${assignmentId} not found`);
    if (row.status === 'submitted') throw new AppError('conflict', 'this item is already answered');
    await markSkipped(tx).execute({ id: assignmentId });
  });
}

export type AnnotatorProgress = { done: number; remaining: number; skipped: number };

const progressCounts = {
  done: prepareOnce((d) =>
    d
      .select({ n: count() })
      .from(judgments)
      .innerJoin(items, eq(items.id, judgments.itemId))
      .where(sql`${judgments.projectId} = ${p('projectId')} and ${judgments.userId} = ${p('userId')} and ${items.isGold} = 0 and ${items.repeatOfItemId} is null`)
      .prepare(),
  ),
  open: prepareOnce((d) =>
    d
      .select({ n: count() })
      .from(items)
      .where(sql`${items.projectId} = ${p('projectId')} and ${items.status} = 'open' and ${items.isGold} = 0 and ${items.repeatOfItemId} is null`)
      .prepare(),
  ),
  // CROSS JOIN keeps assignments (this user's, by index) as the outer loop, not the project's items.
  seenOpen: prepareOnce((d) =>
    d
      .select({ n: count() })
      .from(assignments)
      .crossJoin(items)
      .where(
        sql`${items.id} = ${assignments.itemId} and ${assignments.userId} = ${p('userId')} and ${assignments.status} in ('submitted', 'skipped') and ${items.projectId} = ${p('projectId')}
          and ${items.status} = 'open' and ${items.isGold} = 0 and ${items.repeatOfItemId} is null`,
      )
      .prepare(),
  ),
  skipped: prepareOnce((d) =>
    d
      .select({ n: count() })
      .from(assignments)
      .innerJoin(items, eq(items.id, assignments.itemId))
      .where(sql`${items.projectId} = ${p('projectId')} and ${assignments.userId} = ${p('userId')} and ${assignments.status} = 'skipped'`)
      .prepare(),
  ),
};

/**
 * Done (this annotator's judgments) and remaining (open items they have not been given yet, plus the
 * one they hold), gold excluded. Items others are filling still count as remaining until they close.
 */
export async function annotatorProgress(actor: Actor, projectId: number): Promise<AnnotatorProgress> {
  await requireAnnotator(actor, projectId);
  const values = { projectId, userId: actor.id! };
  const reader = db();
  const countOf = async (statement: (typeof progressCounts)[keyof typeof progressCounts]) => (await statement(reader).execute(values))[0]!.n;
  const done = await countOf(progressCounts.done);
  const open = await countOf(progressCounts.open);
  const seenOpen = await countOf(progressCounts.seenOpen);
  const skipped = await countOf(progressCounts.skipped);
  return { done, remaining: Math.max(0, open - seenOpen), skipped };
}
