/**
 * The assignment engine and judgment submission.
 *
 * Every lease and every submit runs in one IMMEDIATE transaction, so SQLite serialises them: two
 * annotators asking at the same moment cannot both take the last open slot of an item, and an item
 * never collects more than `required_annotations` judgments (gold items excepted: every annotator
 * sees each gold item once, which is the point of gold).
 */
import { comparisonFromPairwise, comparisonsFromRanking, type ComparisonFact } from '@/lib/annotation/derive-comparisons';
import { judgmentInputSchema, normalizeJudgment, type ItemShape, type NormalizedJudgment } from '@/lib/annotation/judgment-input';
import type { Actor } from '@/lib/auth/access';
import { AppError } from '@/lib/errors';
import { projectSettingsSchema, type ProjectSettings } from '@/lib/projects/settings';
import { createRng, type Rng } from '@/lib/random';
import type { Winner } from '@/lib/annotation/kinds';
import type { MemberRole } from '@/lib/auth/roles';
import { getDb } from '../client';

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

type ProjectRow = { id: number; settings: unknown; guidelines_version: number; archived_at: number | null };
export type ItemRow = { id: number; project_id: number; prompt_id: number; kind: ItemShape['kind']; response_ids: string; required_annotations: number; annotation_count: number; is_gold: number; status: string; repeat_of_item_id: number | null };
export type AssignmentRow = { id: number; item_id: number; user_id: string; status: string; shown_order: string; expires_at: number };

const nowMs = () => Date.now();

function memberRole(projectId: number, userId: string): MemberRole | null {
  const row = getDb().$client.prepare('select role from project_members where project_id = ? and user_id = ?').get(projectId, userId) as { role: MemberRole } | undefined;
  return row?.role ?? null;
}

/** Annotation needs a person: any member of the project (admins too). Returns the project row. */
export function requireAnnotator(actor: Actor, projectId: number): ProjectRow & { parsedSettings: ProjectSettings } {
  if (!actor.id) throw new AppError('forbidden', 'annotation needs a signed-in user, not the CLI');
  const project = getDb().$client.prepare('select id, settings, guidelines_version, archived_at from projects where id = ?').get(projectId) as ProjectRow | undefined;
  if (!project) throw new AppError('not-found', `project ${projectId} not found`);
  if (actor.role !== 'admin' && memberRole(projectId, actor.id) === null) throw new AppError('not-found', `project ${projectId} not found`);
  if (project.archived_at !== null) throw new AppError('conflict', 'this project is archived');
  return { ...project, parsedSettings: projectSettingsSchema.parse(JSON.parse(project.settings as string)) };
}

function shownOrderFor(responseIds: number[], settings: ProjectSettings, rng: Rng): number[] {
  return settings.randomizeSides ? rng.shuffle([...responseIds]) : [...responseIds];
}

export function loadTask(assignment: AssignmentRow, item: ItemRow, settings: ProjectSettings, guidelinesVersion: number, previous: PreviousAnswer | null): AnnotationTask {
  const client = getDb().$client;
  const prompt = client.prepare('select messages from prompts where id = ?').get(item.prompt_id) as { messages: string };
  const shown = JSON.parse(assignment.shown_order) as number[];
  const contents = new Map(
    (client.prepare(`select id, content from responses where id in (${shown.map(() => '?').join(',')})`).all(...shown) as { id: number; content: string }[]).map((r) => [r.id, r.content]),
  );
  return {
    assignmentId: assignment.id,
    itemId: item.id,
    kind: item.kind,
    expiresAt: assignment.expires_at,
    messages: JSON.parse(prompt.messages) as ChatMessage[],
    responses: shown.map((id) => ({ id, content: contents.get(id) ?? '' })),
    settings: { tasks: settings.tasks, strengthScale: settings.strengthScale, justification: settings.justification, attributes: settings.attributes },
    guidelinesVersion,
    previous,
  };
}

const NOT_SEEN = "not exists (select 1 from assignments s where s.item_id = i.id and s.user_id = @userId and s.status != 'expired')";
const LIVE_LEASES = "(select count(*) from assignments l where l.item_id = i.id and l.status = 'active' and l.expires_at > @now)";

/**
 * One candidate query. Each walks an index in serving order (items_serve_least_idx or
 * items_serve_fixed_idx) and stops at the first item that passes the per-row checks, so a lease
 * costs about the same with 100 or 100,000 open items.
 *   free: no live lease on the item at all (preferred, so parallel annotators spread out);
 *   otherwise: judgments + live leases below the overlap.
 */
function candidateSql(options: { gold: boolean; order: 'least' | 'fixed'; free: boolean; pivot: boolean }): string {
  const where = ['i.project_id = @projectId', "i.status = 'open'", `i.is_gold = ${options.gold ? 1 : 0}`, 'i.repeat_of_item_id is null', NOT_SEEN];
  if (!options.gold) where.push(options.free ? `i.annotation_count < i.required_annotations and ${LIVE_LEASES} = 0` : `i.annotation_count + ${LIVE_LEASES} < i.required_annotations`);
  if (options.pivot) where.push('i.id >= @pivot');
  const orderBy = options.order === 'least' ? 'i.priority desc, i.annotation_count asc, i.id asc' : 'i.priority desc, i.id asc';
  return `select i.* from items i where ${where.join(' and ')} order by ${orderBy} limit 1`;
}

/** The next regular (non-gold) item for this user under the project's order, or undefined. */
function pickRegular(params: { projectId: number; userId: string; now: number }, order: ProjectSettings['assignmentOrder'], rng: Rng): ItemRow | undefined {
  const client = getDb().$client;
  const get = (o: Parameters<typeof candidateSql>[0], extra: Record<string, number> = {}) => client.prepare(candidateSql(o)).get({ ...params, ...extra }) as ItemRow | undefined;
  if (order === 'least-annotated') return get({ gold: false, order: 'least', free: true, pivot: false }) ?? get({ gold: false, order: 'least', free: false, pivot: false });
  if (order === 'fixed') return get({ gold: false, order: 'fixed', free: false, pivot: false });
  // random: start at a random id and walk on (wrapping around), free items first.
  const range = client.prepare('select min(id) as lo, max(id) as hi from items where project_id = ?').get(params.projectId) as { lo: number | null; hi: number | null };
  const pivot = range.lo === null ? 0 : rng.int(range.lo, range.hi!);
  return (
    get({ gold: false, order: 'fixed', free: true, pivot: true }, { pivot }) ??
    get({ gold: false, order: 'fixed', free: true, pivot: false }) ??
    get({ gold: false, order: 'fixed', free: false, pivot: true }, { pivot }) ??
    get({ gold: false, order: 'fixed', free: false, pivot: false })
  );
}

/**
 * The annotator's current task: their unexpired lease in this project if they hold one (its lease is
 * renewed), otherwise a new lease on the next item by the project's order. Null when no work is left.
 */
export function leaseNextTask(actor: Actor, projectId: number, options: { rng?: Rng } = {}): AnnotationTask | null {
  const project = requireAnnotator(actor, projectId);
  const settings = project.parsedSettings;
  const rng = options.rng ?? createRng((Math.random() * 2 ** 32) >>> 0);
  const db = getDb();
  const client = db.$client;
  return db.transaction(
    () => {
      const now = nowMs();
      const expiresAt = now + settings.leaseMinutes * 60_000;
      // Abandoned leases (of any project: the index makes that the cheap query) go back to the pool.
      client.prepare("update assignments set status = 'expired' where status = 'active' and expires_at <= ?").run(now);

      const held = client
        .prepare("select a.* from assignments a join items i on i.id = a.item_id where i.project_id = ? and a.user_id = ? and a.status = 'active' order by a.id limit 1")
        .get(projectId, actor.id) as AssignmentRow | undefined;
      if (held) {
        client.prepare('update assignments set expires_at = ? where id = ?').run(expiresAt, held.id);
        const item = client.prepare('select * from items where id = ?').get(held.item_id) as ItemRow;
        return loadTask({ ...held, expires_at: expiresAt }, item, settings, project.guidelines_version, null);
      }

      const params = { projectId, userId: actor.id!, now };
      const regular = pickRegular(params, settings.assignmentOrder, rng);
      if (!regular) return null; // gold items are interleaved with real work, never served alone
      const gold = () => client.prepare(candidateSql({ gold: true, order: 'fixed', free: false, pivot: false })).get(params) as ItemRow | undefined;
      const repeat = settings.repeatRate > 0 && rng.next() < settings.repeatRate ? createRepeat(projectId, actor.id!) : null;
      if (repeat) {
        const row = client
          .prepare("insert into assignments (item_id, user_id, status, shown_order, leased_at, expires_at) values (?, ?, 'active', ?, ?, ?) returning *")
          .get(repeat.item.id, actor.id, JSON.stringify(repeat.shown), now, expiresAt) as AssignmentRow;
        return loadTask(row, repeat.item, settings, project.guidelines_version, null);
      }
      const item = settings.goldRate > 0 && rng.next() < settings.goldRate ? (gold() ?? regular) : regular;

      const shown = shownOrderFor(JSON.parse(item.response_ids) as number[], settings, rng);
      const row = client
        .prepare(
          `insert into assignments (item_id, user_id, status, shown_order, leased_at, expires_at) values (?, ?, 'active', ?, ?, ?)
           on conflict (item_id, user_id) do update set status = 'active', shown_order = excluded.shown_order, leased_at = excluded.leased_at, expires_at = excluded.expires_at
           returning *`,
        )
        .get(item.id, actor.id, JSON.stringify(shown), now, expiresAt) as AssignmentRow;
      return loadTask(row, item, settings, project.guidelines_version, null);
    },
    { behavior: 'immediate' },
  );
}

/**
 * A self-consistency repeat: a copy of a pair this annotator answered (not yet repeated for them),
 * to be shown with the sides the other way round. Null when they have answered none.
 */
function createRepeat(projectId: number, userId: string): { item: ItemRow; shown: number[] } | null {
  const client = getDb().$client;
  const original = client
    .prepare(
      `select i.*, a.shown_order as shown from assignments a cross join items i on i.id = a.item_id
       where a.user_id = ? and a.status = 'submitted' and i.project_id = ? and i.kind = 'pair' and i.is_gold = 0 and i.repeat_of_item_id is null
         and not exists (select 1 from items r join assignments ra on ra.item_id = r.id where r.repeat_of_item_id = i.id and ra.user_id = a.user_id)
       order by random() limit 1`,
    )
    .get(userId, projectId) as (ItemRow & { shown: string }) | undefined;
  if (!original) return null;
  const item = client
    .prepare("insert into items (project_id, prompt_id, kind, response_ids, required_annotations, status, repeat_of_item_id) values (?, ?, 'pair', ?, 1, 'open', ?) returning *")
    .get(projectId, original.prompt_id, original.response_ids, original.id) as ItemRow;
  return { item, shown: (JSON.parse(original.shown) as number[]).reverse() };
}

export type SubmitResult = { judgmentId: string; itemId: number; created: boolean; revised: boolean };

export type JudgmentRow = { id: string; item_id: number; user_id: string | null; assignment_id: number | null; winner: Winner | null; strength: number | null; justification: string | null; ranking: string | null; ratings: string | null; shown_order: string | null };

function deriveComparisons(item: ItemShape, judgment: NormalizedJudgment): ComparisonFact[] {
  if (item.kind === 'pair' && judgment.winner) return [comparisonFromPairwise(item.responseIds, judgment.winner, judgment.strength)];
  if (item.kind === 'ranking' && judgment.ranking) return comparisonsFromRanking(judgment.ranking);
  return []; // ratings alone express no preference; exports pair them by rating difference
}

function writeComparisons(projectId: number, promptId: number, judgmentId: string, userId: string, item: ItemShape, judgment: NormalizedJudgment): void {
  const insert = getDb().$client.prepare(
    "insert into comparisons (project_id, prompt_id, judgment_id, winner_response_id, loser_response_id, is_tie, tie_kind, strength, weight, annotator_id, label_source, group_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'human', ?)",
  );
  const facts = deriveComparisons(item, judgment);
  const groupId = item.kind === 'ranking' ? judgmentId : null;
  for (const c of facts) insert.run(projectId, promptId, judgmentId, c.winnerResponseId, c.loserResponseId, c.isTie ? 1 : 0, c.tieKind, c.strength, c.weight, userId, groupId);
}

function sameAnswer(row: JudgmentRow, j: NormalizedJudgment): boolean {
  return (
    row.winner === j.winner &&
    row.strength === j.strength &&
    row.justification === j.justification &&
    (row.ranking ?? 'null') === JSON.stringify(j.ranking) &&
    (row.ratings ?? 'null') === JSON.stringify(j.ratings)
  );
}

/**
 * Stores one answer. Idempotent on the client-generated id: a retried or double-clicked submit returns
 * the stored judgment (created: false); the same id with a different answer from the same annotator is
 * a revision. Bad input throws before anything is written.
 */
export function submitJudgment(actor: Actor, projectId: number, rawInput: unknown): SubmitResult {
  const project = requireAnnotator(actor, projectId);
  const input = judgmentInputSchema.parse(rawInput);
  const settings = project.parsedSettings;
  const db = getDb();
  const client = db.$client;
  return db.transaction(
    () => {
      const now = nowMs();
      const assignment = client.prepare('select a.* from assignments a join items i on i.id = a.item_id where a.id = ? and i.project_id = ?').get(input.assignmentId, projectId) as
        | AssignmentRow
        | undefined;
      if (!assignment || assignment.user_id !== actor.id) throw new AppError('not-found', `assignment ${input.assignmentId} not found`);
      const item = client.prepare('select * from items where id = ?').get(assignment.item_id) as ItemRow;
      const shape: ItemShape = { kind: item.kind, responseIds: JSON.parse(item.response_ids) as number[] };
      const shown = JSON.parse(assignment.shown_order) as number[];
      const judgment = normalizeJudgment(input, shape, settings, shown);

      const existing = client.prepare('select * from judgments where id = ?').get(input.id) as JudgmentRow | undefined;
      if (existing) {
        if (existing.user_id !== actor.id || existing.item_id !== item.id) throw new AppError('conflict', `judgment id ${input.id} is already used for another answer`);
        if (sameAnswer(existing, judgment)) return { judgmentId: existing.id, itemId: item.id, created: false, revised: false };
        reviseStored(existing.id, project.id, item.prompt_id, actor.id!, shape, judgment, project.guidelines_version, input.timeSpentMs ?? null, now);
        return { judgmentId: existing.id, itemId: item.id, created: false, revised: true };
      }
      if (assignment.status === 'submitted') throw new AppError('conflict', 'you already answered this item; revise it from your history');
      if (assignment.status === 'skipped') throw new AppError('conflict', 'you skipped this item');
      const leaseRunning = assignment.status === 'active' && assignment.expires_at > now;
      if (!leaseRunning && !item.is_gold) {
        const others = client.prepare("select count(*) as n from assignments where item_id = ? and id != ? and status = 'active' and expires_at > ?").get(item.id, assignment.id, now) as { n: number };
        if (item.annotation_count + others.n >= item.required_annotations || item.status !== 'open') {
          throw new AppError('conflict', 'your time on this item ran out and it was completed by others; this answer was not stored');
        }
      }

      client
        .prepare(
          "insert into judgments (id, project_id, item_id, user_id, assignment_id, winner, strength, justification, ranking, ratings, shown_order, guidelines_version, time_spent_ms, label_source, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'human', ?, ?)",
        )
        .run(
          input.id,
          project.id,
          item.id,
          actor.id,
          assignment.id,
          judgment.winner,
          judgment.strength,
          judgment.justification,
          judgment.ranking ? JSON.stringify(judgment.ranking) : null,
          judgment.ratings ? JSON.stringify(judgment.ratings) : null,
          assignment.shown_order,
          project.guidelines_version,
          input.timeSpentMs ?? null,
          now,
          now,
        );
      // A repeat is a consistency check on the same annotator: it would count their preference twice.
      if (item.repeat_of_item_id === null) writeComparisons(project.id, item.prompt_id, input.id, actor.id!, shape, judgment);
      client.prepare("update assignments set status = 'submitted' where id = ?").run(assignment.id);
      client
        .prepare("update items set annotation_count = annotation_count + 1, status = case when is_gold = 0 and annotation_count + 1 >= required_annotations then 'complete' else status end where id = ?")
        .run(item.id);
      return { judgmentId: input.id, itemId: item.id, created: true, revised: false };
    },
    { behavior: 'immediate' },
  );
}

function reviseStored(id: string, projectId: number, promptId: number, userId: string, item: ItemShape, j: NormalizedJudgment, guidelinesVersion: number, timeSpentMs: number | null, now: number): void {
  const client = getDb().$client;
  client
    .prepare('update judgments set winner = ?, strength = ?, justification = ?, ranking = ?, ratings = ?, guidelines_version = ?, time_spent_ms = coalesce(?, time_spent_ms), updated_at = ? where id = ?')
    .run(j.winner, j.strength, j.justification, j.ranking ? JSON.stringify(j.ranking) : null, j.ratings ? JSON.stringify(j.ratings) : null, guidelinesVersion, timeSpentMs, now, id);
  client.prepare('delete from comparisons where judgment_id = ?').run(id);
  writeComparisons(projectId, promptId, id, userId, item, j);
}

/** Gives an item back: the annotator will not see it again; others can take the slot at once. */
export function skipAssignment(actor: Actor, projectId: number, assignmentId: number): void {
  requireAnnotator(actor, projectId);
  const client = getDb().$client;
  const row = client.prepare('select a.* from assignments a join items i on i.id = a.item_id where a.id = ? and i.project_id = ?').get(assignmentId, projectId) as AssignmentRow | undefined;
  if (!row || row.user_id !== actor.id) throw new AppError('not-found', `assignment ${assignmentId} not found`);
  if (row.status === 'submitted') throw new AppError('conflict', 'this item is already answered');
  client.prepare("update assignments set status = 'skipped' where id = ? and status in ('active', 'expired')").run(assignmentId);
}

export type AnnotatorProgress = { done: number; remaining: number; skipped: number };

/**
 * Done (this annotator's judgments) and remaining (open items they have not been given yet, plus the
 * one they hold), gold excluded. Items others are filling still count as remaining until they close.
 */
export function annotatorProgress(actor: Actor, projectId: number): AnnotatorProgress {
  requireAnnotator(actor, projectId);
  const client = getDb().$client;
  const one = (sql: string, ...args: unknown[]) => (client.prepare(sql).get(...args) as { n: number }).n;
  const done = one('select count(*) as n from judgments j join items i on i.id = j.item_id where j.project_id = ? and j.user_id = ? and i.is_gold = 0 and i.repeat_of_item_id is null', projectId, actor.id);
  const open = one("select count(*) as n from items where project_id = ? and status = 'open' and is_gold = 0 and repeat_of_item_id is null", projectId);
  const seenOpen = one(
    // CROSS JOIN keeps assignments (this user's, by index) as the outer loop, not the project's items.
    "select count(*) as n from assignments a cross join items i on i.id = a.item_id where a.user_id = ? and a.status in ('submitted', 'skipped') and i.project_id = ? and i.status = 'open' and i.is_gold = 0 and i.repeat_of_item_id is null",
    actor.id,
    projectId,
  );
  const skipped = one("select count(*) as n from assignments a join items i on i.id = a.item_id where i.project_id = ? and a.user_id = ? and a.status = 'skipped'", projectId, actor.id);
  return { done, remaining: Math.max(0, open - seenOpen), skipped };
}
