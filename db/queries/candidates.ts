/**
 * Adds unlabelled candidates (a prompt and its responses) to a project as items for annotation.
 * Every row is validated before anything is written; the write is one transaction. Identical prompts
 * and responses are stored once (content hash), and an item that already exists is not created twice.
 * The rows are written table by table in batches (look up what exists, insert the rest in the rows'
 * order), so the ids come out as row-by-row inserts would give them. The same SQL runs on SQLite and
 * PostgreSQL (db/sql-dialect.ts).
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import { ZodError } from 'zod';
import { normalizeCandidate, planItems, type Candidate } from '@/lib/annotation/items-from-candidates';
import { contentHash } from '@/lib/data/content-hash';
import { projectSettingsSchema, type ProjectSettings } from '@/lib/projects/settings';
import type { Actor } from '@/lib/auth/access';
import { AppError, formatZodIssues } from '@/lib/errors';
import { execute, rows as rowsOf, withWriteTransaction, type Db } from '../client';
import { items, projects, prompts, responses } from '../schema';
import { asJson, jsonArrayElements } from '../sql-dialect';
import { assertCanManageProject } from './projects';

export type CandidateRowError = { row: number; message: string };

/** Every invalid row, as one AppError 'invalid' whose details list them (`rows`). */
function invalidRows(rows: CandidateRowError[]): AppError {
  return new AppError('invalid', `${rows.length} invalid row${rows.length === 1 ? '' : 's'}; nothing was added. First: row ${rows[0]!.row}: ${rows[0]!.message}`, { rows });
}

export type AddCandidatesResult = { rows: number; promptsAdded: number; responsesAdded: number; itemsAdded: number; itemsExisting: number };

function describeRowError(error: unknown): string {
  if (error instanceof ZodError) return formatZodIssues(error).message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * A batch travels as one JSON array parameter, unpacked (`jsonArrayElements`: SQLite's `json_each`,
 * PostgreSQL's `json_array_elements`) in the array's order (`j.key`): one statement per table whatever the
 * batch size, and no SQL built per row. Fields of a batch row are read with `j.value ->> n`, which is text
 * on PostgreSQL: integers are cast back, JSON columns take `asJson`.
 */
const each = (values: unknown[], elements: 'scalar' | 'json') => jsonArrayElements(JSON.stringify(values), 'j', elements);
const field = (n: number) => sql.raw(`j.value ->> ${n}`);
const intField = (n: number) => sql.raw(`cast(j.value ->> ${n} as integer)`);
const bare = (...columns: { name: string }[]) => sql.join(columns.map((c) => sql.identifier(c.name)), sql`, `);

/**
 * Inserts `count` rows with one INSERT … SELECT … ORDER BY over a batch (ids in the batch's order, as
 * row-by-row inserts would give them) and returns the rows RETURNING gives back: the caller maps them to
 * its rows by their natural key, never by position or by consecutive ids.
 */
async function insertBatch<T>(tx: Db, insert: SQL, count: number): Promise<T[]> {
  const inserted = await rowsOf<T>(insert, tx);
  if (inserted.length !== count) throw new Error(`expected to insert ${count} rows, inserted ${inserted.length}`);
  return inserted;
}

/** Rows per round: a round's working data dies young, where a whole file's would tax the garbage collector. */
const ROUND = 1000;

type Counts = Omit<AddCandidatesResult, 'rows'>;

/** Validates every row (1-based row numbers in errors), then writes all of them or none. */
export async function addCandidates(actor: Actor, projectId: number, rows: readonly unknown[]): Promise<AddCandidatesResult> {
  await assertCanManageProject(actor, projectId);
  const candidates: Candidate[] = [];
  const errors: CandidateRowError[] = [];
  rows.forEach((raw, i) => {
    try {
      candidates.push(normalizeCandidate(raw));
    } catch (error) {
      errors.push({ row: i + 1, message: describeRowError(error) });
    }
  });
  if (errors.length) throw invalidRows(errors);

  return withWriteTransaction(async (tx) => {
    const [project] = await tx.select({ settings: projects.settings }).from(projects).where(eq(projects.id, projectId)).limit(1);
    const settings = projectSettingsSchema.parse(project!.settings);
    const result: AddCandidatesResult = { rows: candidates.length, promptsAdded: 0, responsesAdded: 0, itemsAdded: 0, itemsExisting: 0 };
    // Round after round in the rows' order: a later round finds what an earlier one wrote.
    for (let start = 0; start < candidates.length; start += ROUND) {
      const counts = await addRound(tx, projectId, settings, candidates.slice(start, start + ROUND));
      for (const key of Object.keys(counts) as (keyof Counts)[]) result[key] += counts[key];
    }
    return result;
  });
}

/** Writes one round of validated rows in the caller's transaction. */
async function addRound(tx: Db, projectId: number, settings: ProjectSettings, candidates: Candidate[]): Promise<Counts> {
  const promptHashes = candidates.map((c) => contentHash(c.messages));
  const responseHashes = candidates.map((c) => c.responses.map((r) => contentHash(r.content)));

  // Prompts, by content hash: those stored already, then the batch's new ones (first occurrence first).
  // Lookups are scalar subqueries (one index probe a row on both dialects; a join could make PostgreSQL hash
  // the whole project's rows, taking the batch for 100 rows), unique by their index.
  const storedPrompts = await rowsOf<{ id: number | null }>(
    sql`select (select ${prompts.id} from ${prompts} where ${prompts.projectId} = ${projectId} and ${prompts.contentHash} = j.value) as id
        from ${each(promptHashes, 'scalar')} order by j.key`,
    tx,
  );
  const promptIds = storedPrompts.map((r) => r.id);
  const stored = promptIds.map((id) => id !== null);
  const newPromptAt = new Map<string, number>();
  const newPrompts: [messages: string, hash: string, tags: string][] = [];
  candidates.forEach((c, n) => {
    if (stored[n] || newPromptAt.has(promptHashes[n]!)) return;
    newPromptAt.set(promptHashes[n]!, newPrompts.length);
    newPrompts.push([JSON.stringify(c.messages), promptHashes[n]!, JSON.stringify(c.tags)]);
  });
  if (newPrompts.length) {
    // The project's prompts are unique by content hash: the hash says which inserted row is whose.
    const inserted = await insertBatch<{ id: number; hash: string }>(
      tx,
      sql`insert into ${prompts} (${bare(prompts.projectId, prompts.messages, prompts.contentHash, prompts.tags)})
          select cast(${projectId} as integer), ${asJson(field(0))}, ${field(1)}, ${asJson(field(2))} from ${each(newPrompts, 'json')} order by j.key
          returning ${bare(prompts.id)} as id, ${bare(prompts.contentHash)} as hash`,
      newPrompts.length,
    );
    const idOfHash = new Map(inserted.map((r) => [r.hash, r.id]));
    promptHashes.forEach((hash, n) => {
      if (!stored[n]) promptIds[n] = idOfHash.get(hash)!;
    });
  }

  // A prompt given in several rows of the batch: their responses and items can repeat one another.
  const rowsOfPrompt = new Map<number, number>();
  for (const id of promptIds) rowsOfPrompt.set(id!, (rowsOfPrompt.get(id!) ?? 0) + 1);
  const repeated = (n: number) => rowsOfPrompt.get(promptIds[n]!)! > 1;

  // Responses, by (prompt, system, content hash): only a prompt stored already can have some stored.
  // A new one is first noted as -(its place in the batch + 1), then given its id.
  const responseIds = candidates.map((c) => c.responses.map((): number | null => null));
  const lookups: [promptId: number, system: string, hash: string][] = [];
  candidates.forEach((c, n) => {
    if (stored[n]) c.responses.forEach((r, k) => lookups.push([promptIds[n]!, r.system, responseHashes[n]![k]!]));
  });
  if (lookups.length) {
    const found = await rowsOf<{ id: number | null }>(
      sql`select (select ${responses.id} from ${responses} where ${responses.promptId} = ${intField(0)} and ${responses.system} = ${field(1)} and ${responses.contentHash} = ${field(2)}) as id
          from ${each(lookups, 'json')} order by j.key`,
      tx,
    );
    let at = 0;
    candidates.forEach((c, n) => {
      if (stored[n]) c.responses.forEach((_, k) => (responseIds[n]![k] = found[at++]!.id));
    });
  }
  const newResponseAt = new Map<string, number>(); // for prompts given in several rows
  const newResponses: [promptId: number, system: string, content: string, hash: string][] = [];
  candidates.forEach((c, n) => {
    const ids = responseIds[n]!;
    const hashes = responseHashes[n]!;
    c.responses.forEach((r, k) => {
      if (ids[k] !== null) return;
      let at: number | undefined;
      const key = repeated(n) ? `${promptIds[n]}\u0000${r.system}\u0000${hashes[k]}` : undefined;
      if (key !== undefined) at = newResponseAt.get(key);
      else for (let j = 0; j < k && at === undefined; j++) if (c.responses[j]!.system === r.system && hashes[j] === hashes[k]) at = -ids[j]! - 1;
      if (at === undefined) {
        at = newResponses.length;
        if (key !== undefined) newResponseAt.set(key, at);
        newResponses.push([promptIds[n]!, r.system, r.content, hashes[k]!]);
      }
      ids[k] = -at - 1;
    });
  });
  if (newResponses.length) {
    // Responses are unique by (prompt, system, content hash): that key says which inserted row is whose.
    const inserted = await insertBatch<{ id: number; prompt_id: number; system: string; hash: string }>(
      tx,
      sql`insert into ${responses} (${bare(responses.projectId, responses.promptId, responses.system, responses.content, responses.contentHash)})
          select cast(${projectId} as integer), ${intField(0)}, ${field(1)}, ${field(2)}, ${field(3)} from ${each(newResponses, 'json')} order by j.key
          returning ${bare(responses.id)} as id, ${bare(responses.promptId)} as prompt_id, ${bare(responses.system)} as system, ${bare(responses.contentHash)} as hash`,
      newResponses.length,
    );
    const idOfKey = new Map(inserted.map((r) => [`${r.prompt_id}\u0000${r.system}\u0000${r.hash}`, r.id]));
    const newIds = newResponses.map(([promptId, system, , hash]) => idOfKey.get(`${promptId}\u0000${system}\u0000${hash}`)!);
    for (const ids of responseIds) ids.forEach((id, k) => id! < 0 && (ids[k] = newIds[-id! - 1]!));
  }

  // Items, by (prompt, kind, response ids as stored): one planned already in the batch, or (for a prompt
  // stored already) one in the table, exists already.
  const planned = new Set<string>(); // for prompts given in several rows
  const newItems: [promptId: number, kind: string, responseIds: string, check: 0 | 1][] = [];
  let itemsExisting = 0;
  candidates.forEach((_, n) => {
    const ids: number[] = [];
    for (const id of responseIds[n]!) if (!ids.includes(id!)) ids.push(id!);
    for (const item of planItems(ids.length, settings)) {
      const idsJson = JSON.stringify(item.indexes.map((i) => ids[i]!));
      if (repeated(n)) {
        const key = `${promptIds[n]}\u0000${item.kind}\u0000${idsJson}`;
        if (planned.has(key)) {
          itemsExisting++;
          continue;
        }
        planned.add(key);
      }
      newItems.push([promptIds[n]!, item.kind, idsJson, stored[n] ? 1 : 0]);
    }
  });
  // Only an item of a prompt stored already (field 3) is looked up, one index probe a row. `limit 1 offset 0`
  // keeps it so on PostgreSQL: without the OFFSET the planner may hash every item of the project instead
  // (it takes the batch for 100 rows), each round. An existing item's response ids are compared as the JSON
  // text they were written as (PostgreSQL's json has no equality and keeps the text as written; both
  // dialects write it as JSON.stringify does).
  const inserted = newItems.length
    ? await execute(
        sql`insert into ${items} (${bare(items.projectId, items.promptId, items.kind, items.responseIds, items.requiredAnnotations, items.status)})
            select cast(${projectId} as integer), ${intField(0)}, ${field(1)}, ${asJson(field(2))}, cast(${settings.overlap} as integer), 'open' from ${each(newItems, 'json')}
            where ${intField(3)} = 0 or not exists (select 1 from ${items} where ${items.projectId} = ${projectId} and ${items.promptId} = ${intField(0)} and ${items.kind} = ${field(1)} and cast(${items.responseIds} as text) = ${field(2)} limit 1 offset 0)
            order by j.key`,
        tx,
      )
    : 0;
  return {
    promptsAdded: newPrompts.length,
    responsesAdded: newResponses.length,
    itemsAdded: inserted,
    itemsExisting: itemsExisting + newItems.length - inserted,
  };
}
