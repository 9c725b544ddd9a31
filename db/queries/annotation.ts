/**
 * The assignment engine (judgment submission is db/queries/judgment-submit.ts).
 *
 * Every lease, skip and submit runs in one write transaction (`withWriteTransaction`) that serialises it
 * with the others of its project: BEGIN IMMEDIATE on SQLite (every writer), the project's advisory lock on
 * PostgreSQL (`projectLock`: other projects proceed). So two annotators asking at the same moment cannot
 * both take the last open slot of an item, and an item never collects more than `required_annotations`
 * judgments (gold items excepted: every annotator sees each gold item once, which is the point of gold).
 * A lease touches only rows of its own project (it expires that project's stale leases, not all of them),
 * so lease transactions of different projects never wait for each other's rows.
 *
 * Lease and submit are the hottest paths of the app (well under a millisecond each), so every statement
 * here is a drizzle prepared statement (`prepareOnce`, values as `sql.placeholder`s), built once per
 * connection: a call only binds its values. Run each on the connection it belongs to (`tx` inside the
 * write transaction, `db()` for reads outside one). The builder maps the selected columns' values (json
 * parsed, booleans, timestamps as Date); an INSERT's placeholders go through their column's mapping too
 * (pass a Date, an array), while `bound(…)` placeholders (SET values, nullable JSON text) bind as given.
 */
import { and, count, eq, max, min, sql } from 'drizzle-orm';
import type { ItemShape } from '@/lib/annotation/judgment-input';
import type { Actor } from '@/lib/auth/access';
import { AppError } from '@/lib/errors';
import { projectSettingsSchema, type ProjectSettings } from '@/lib/projects/settings';
import { createRng, type Rng } from '@/lib/random';
import type { Winner } from '@/lib/annotation/kinds';
import { alias, bound, db, prepareOnce, projectLock, withWriteTransaction, type Db } from '../client';
import { jsonArrayElements } from '../sql-dialect';
import { assignments, items, judgments, projectMembers, projects, prompts, responses } from '../schema';

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
    .where(sql`${responses.id} in (select cast(shown.value as integer) from ${jsonArrayElements(p('ids'), 'shown', 'scalar')})`)
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
  const where = [sql`${items.projectId} = ${p('projectId')}`, sql`${items.status} = 'open'`, sql`${items.isGold} = ${sql.raw(options.gold ? 'true' : 'false')}`, sql`${items.repeatOfItemId} is null`, notSeen];
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

/** The project's abandoned leases go back to the pool (the status index finds the stale ones, then each one's item is checked). */
const expireLeases = prepareOnce((d) =>
  d
    .update(assignments)
    .set({ status: 'expired' })
    .where(
      sql`${assignments.status} = 'active' and ${assignments.expiresAt} <= ${p('now')}
        and exists (select 1 from ${items} where ${items.id} = ${assignments.itemId} and ${items.projectId} = ${p('projectId')})`,
    )
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
    await expireLeases(tx).execute({ now, projectId });

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
  }, { lock: projectLock(projectId) });
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
      sql`${i.id} = ${a.itemId} and ${a.userId} = ${p('userId')} and ${a.status} = 'submitted' and ${i.projectId} = ${p('projectId')} and ${i.kind} = 'pair' and ${i.isGold} = false and ${i.repeatOfItemId} is null
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
  }, { lock: projectLock(projectId) });
}

export type AnnotatorProgress = { done: number; remaining: number; skipped: number };

const progressCounts = {
  done: prepareOnce((d) =>
    d
      .select({ n: count() })
      .from(judgments)
      .innerJoin(items, eq(items.id, judgments.itemId))
      .where(sql`${judgments.projectId} = ${p('projectId')} and ${judgments.userId} = ${p('userId')} and ${items.isGold} = false and ${items.repeatOfItemId} is null`)
      .prepare(),
  ),
  open: prepareOnce((d) =>
    d
      .select({ n: count() })
      .from(items)
      .where(sql`${items.projectId} = ${p('projectId')} and ${items.status} = 'open' and ${items.isGold} = false and ${items.repeatOfItemId} is null`)
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
          and ${items.status} = 'open' and ${items.isGold} = false and ${items.repeatOfItemId} is null`,
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
