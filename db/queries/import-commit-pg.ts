/**
 * The staged import's way into a live PostgreSQL database. The scratch file stays SQLite (local to the
 * process, import-stage.ts) and PostgreSQL cannot attach it, so the commit reads it here in pages and
 * sends each page to the server as ONE JSON parameter that the statement unpacks (`json_array_elements`)
 * into `INSERT … SELECT … ORDER BY` — one round trip and one parse per page, no limit on bind parameters
 * (65,535 a statement), and drizzle builds one small statement, not thousands of placeholders.
 *
 * Everything runs in ONE `withWriteTransaction` (the default lock, so other writers that take it wait as
 * they do for SQLite's BEGIN IMMEDIATE; annotation leases and submits lock narrower and carry on): an import
 * is all or nothing, and nobody sees half of it. Scratch ids (`sid`) map to live ids in memory, one typed
 * array per table indexed by sid (4 bytes a row: 12 MB for a million prompts and two million responses).
 *
 *   - prompts, then responses: `insert … on conflict do nothing returning` the new rows' ids and keys, then,
 *     only if a conflict skipped some (the project has them), a lookup of those by the live table's unique
 *     key (prompts: project and content hash; responses: prompt, system and content hash) — every staged
 *     row gets its live id, new or not;
 *   - comparisons: through `insertComparisons`, the one writer of comparisons, from the page's JSON;
 *   - items to annotate: skipping those the project already has (same prompt, kind and response ids);
 *   - rated items: the item, then its imported judgment.
 *
 * Rows go in in staged order (ids grow as SQLite's do), with the values the SQLite path writes, so counts
 * and exports are the same on both. A preview (dry run, refused file) writes nothing: it matches the
 * staged rows against the live tables read-only, in one snapshot (`withReadSnapshot`).
 *
 * Statements overlap by one (`overlapped`): the next page is read and encoded while the server runs the
 * current one. The server's share dominates: each row costs its foreign-key checks and index entries.
 */
import crypto from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { AppError, databaseErrorCode } from '@/lib/errors';
import { alias, db, execute, firstRow, rows, withReadSnapshot, withWriteTransaction, type Db, type ScratchDb } from '../client';
import { items, judgments, prompts, responses } from '../schema';
import { jsonArrayElements } from '../sql-dialect';
import { insertComparisons } from './comparisons';
import { stagedComparisons, stagedItems, stagedPrompts, stagedRatedItems, stagedResponses, type ImportCounts, type LiveMover, type StagedImport } from './import-scratch';

/** Staged rows read from the scratch file at a time. */
const PAGE_ROWS = 5000;
/** Comparisons are small (ids and a few short texts): more of them a statement. */
const COMPARISON_PAGE_ROWS = 20_000;
/** A page of long texts is split so that one statement's JSON parameter stays near this size. */
const BATCH_CHARS = 8 * 2 ** 20;

// Aliases for the lookups: `${prompts} ${livePrompt}` renders `"prompts" "live"`, `${livePrompt.id}` `"live"."id"`.
const livePrompt = alias(prompts, 'live');
const liveResponse = alias(responses, 'live');
const liveItem = alias(items, 'live');

/** A column list for `insert into t (…)`: bare column names. */
const columnList = (...columns: SQLiteColumn[]) => sql.join(columns.map((column) => sql.identifier(column.name)), sql`, `);

/** The page's rows as one JSON parameter, unpacked as `e` (`e.value ->> k` is field k as text, `e.key` the row's position). */
const elements = (page: unknown[][]) => jsonArrayElements(JSON.stringify(page), 'e', 'json');
const field = (k: number) => sql.raw(`(e.value ->> ${k})`);
const intField = (k: number) => sql.raw(`cast(e.value ->> ${k} as integer)`);

/** Splits a page into batches whose texts add up to about BATCH_CHARS (a row longer than that goes alone). */
function* batches<T>(page: T[], chars: (row: T) => number): Generator<T[]> {
  let start = 0;
  let size = 0;
  for (let k = 0; k < page.length; k++) {
    size += chars(page[k]!);
    if (size >= BATCH_CHARS || k === page.length - 1) {
      yield page.slice(start, k + 1);
      start = k + 1;
      size = 0;
    }
  }
}

/**
 * Runs `run` on each batch, starting a batch's statement before the previous one has finished: the next
 * batch is read from the scratch file and encoded while the server works on the current one (the client
 * queues the statements and sends each as the one before completes, in order). At most two are in flight;
 * the first failure is thrown once its turn comes (the transaction is then aborted and rolls back).
 */
async function overlapped<T>(batchesToRun: Iterable<T>, run: (batch: T) => Promise<void>): Promise<void> {
  let previous: Promise<void> | null = null;
  for (const batch of batchesToRun) {
    const current = run(batch);
    // Awaited on the next turn or below; if an earlier batch fails first, this one's failure is not the news.
    current.catch(() => undefined);
    if (previous) await previous;
    previous = current;
  }
  if (previous) await previous;
}

/** Staged rows in pages, by ascending `key` (a sid, or the comparisons' rowid, the first column selected). */
function* pagesOf<T extends [number, ...unknown[]]>(stage: ScratchDb, select: SQL, from: SQL, key: SQL, pageRows = PAGE_ROWS): Generator<T[]> {
  for (let after = 0; ; ) {
    const page = stage.values<T>(sql`select ${key}, ${select} from ${from} where ${key} > ${after} order by ${key} limit ${pageRows}`);
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1]![0];
  }
}

/** The pages' rows in batches of about BATCH_CHARS (`chars`: a row's long texts), `signal` checked before each page. */
function* batchesOf<T>(pages: Iterable<T[]>, chars: (row: T) => number, signal?: AbortSignal): Generator<T[]> {
  for (const page of pages) {
    signal?.throwIfAborted();
    yield* batches(page, chars);
  }
}

const maxSid = (stage: ScratchDb, table: typeof stagedPrompts | typeof stagedResponses) =>
  stage.values<[number]>(sql`select coalesce(max(${table.sid}), 0) from ${table}`)[0]![0];

const stagedCount = (stage: ScratchDb, table: SQL) => stage.values<[number]>(sql`select count(*) from ${table}`)[0]![0];

/** Live ids by sid (0: none yet; identity ids start at 1). */
type IdMap = Int32Array;

type Mover = { tx: Db; staged: StagedImport; insert: boolean; signal?: AbortSignal };

/**
 * Inserts a batch of staged rows (`insert`: a statement over `elements(batch)` that returns the new rows'
 * `id` and their unique key fields) and finds the live ids of the rest (`lookup`: the rows of the given
 * staged ones that the live table already has, with the same fields), recording every sid's live id in
 * `map`. A row the insert skipped (on conflict: the project has it) is one `lookup` finds. Returns how
 * many were inserted. Rows are told apart by their unique key fields (`keyOfStaged`, `keyOfLive`).
 */
async function insertOrFind<T extends [number, ...unknown[]], R extends { id: number }>(
  tx: Db,
  batch: T[],
  options: { insert: SQL | null; lookup: (rows: T[]) => SQL; keyOfStaged: (row: T) => string; keyOfLive: (row: R) => string; map: IdMap },
): Promise<number> {
  const sidByKey = new Map(batch.map((row) => [options.keyOfStaged(row), row[0]]));
  const record = (found: R[]) => {
    for (const row of found) {
      const sid = sidByKey.get(options.keyOfLive(row));
      if (sid === undefined) throw new Error('import: a live row matches no staged one');
      options.map[sid] = row.id;
      sidByKey.delete(options.keyOfLive(row));
    }
  };
  const inserted = options.insert ? await rows<R>(options.insert, tx) : [];
  record(inserted);
  if (sidByKey.size > 0) {
    const rest = batch.filter((row) => sidByKey.has(options.keyOfStaged(row)));
    record(await rows<R>(options.lookup(rest), tx));
    // A commit must resolve every staged row (the insert added it, or the live row it conflicted with is there).
    if (options.insert && sidByKey.size > 0) throw new Error(`import: ${sidByKey.size} staged rows match no live row after their insert`);
  }
  return inserted.length;
}

/** Prompts: returns how many are (or would be) new to the project; fills `map` with the live ids of those that exist (or were added). */
async function movePrompts({ tx, staged, insert, signal }: Mover, map: IdMap): Promise<number> {
  const { stage, projectId } = staged;
  const lookup = (batch: [number, string, string][]) =>
    sql`select ${livePrompt.id} as id, ${livePrompt.contentHash} as hash from ${elements(batch.map(([, , hash]) => [hash]))}
        join ${prompts} ${livePrompt} on ${livePrompt.projectId} = cast(${projectId} as integer) and ${livePrompt.contentHash} = ${field(0)}`;
  let added = 0;
  let staying = 0;
  const pages = pagesOf<[number, string, string]>(stage, sql`${stagedPrompts.messages}, ${stagedPrompts.contentHash}`, sql`${stagedPrompts}`, sql`${stagedPrompts.sid}`);
  await overlapped(batchesOf(pages, (r) => r[1].length, signal), async (batch) => {
    // On conflict (the project has the prompt) the live row stays, and is what the staged one refers to.
    const insertBatch = insert
      ? sql`insert into ${prompts} (${columnList(prompts.projectId, prompts.messages, prompts.contentHash)})
            select cast(${projectId} as integer), cast(e.value ->> 1 as json), ${field(2)} from ${elements(batch)} order by e.key
            on conflict do nothing returning ${sql.identifier(prompts.id.name)} as id, ${sql.identifier(prompts.contentHash.name)} as hash`
      : null;
    const inserted = await insertOrFind<[number, string, string], { id: number; hash: string }>(tx, batch, {
      insert: insertBatch,
      lookup,
      keyOfStaged: (row) => row[2],
      keyOfLive: (row) => row.hash,
      map,
    });
    added += inserted;
    if (!insert) staying += batch.filter(([sid]) => map[sid] !== 0).length;
  });
  return insert ? added : stagedCount(stage, sql`${stagedPrompts}`) - staying;
}

/** Responses, as prompts (their prompts' live ids from `promptIds`). */
async function moveResponses({ tx, staged, insert, signal }: Mover, promptIds: IdMap, map: IdMap): Promise<number> {
  const { stage, projectId } = staged;
  type Staged = [number, number, string, string, string]; // sid, live prompt id, system, content, hash
  const key = (prompt: number, system: string, hash: string) => `${prompt}\u0000${system}\u0000${hash}`;
  const lookup = (batch: Staged[]) =>
    sql`select ${liveResponse.id} as id, ${liveResponse.promptId} as prompt_id, ${liveResponse.system} as system, ${liveResponse.contentHash} as hash
        from ${elements(batch.map(([, prompt, system, , hash]) => [prompt, system, hash]))}
        join ${responses} ${liveResponse} on ${liveResponse.promptId} = ${intField(0)} and ${liveResponse.system} = ${field(1)} and ${liveResponse.contentHash} = ${field(2)}`;
  let added = 0;
  let staying = 0;
  const s = stagedResponses;
  const pages = pagesOf<Staged>(stage, sql`${s.promptSid}, ${s.system}, ${s.content}, ${s.contentHash}`, sql`${s}`, sql`${s.sid}`);
  // Staged prompt sids become live prompt ids; in a preview, responses of prompts new to the project have no live match: they count as new.
  const known = function* () {
    for (const page of pages) {
      const mapped = page.flatMap(([sid, prompt, system, content, hash]): Staged[] => (promptIds[prompt] === 0 ? [] : [[sid, promptIds[prompt]!, system, content, hash]]));
      if (insert && mapped.length < page.length) throw new Error("import: a staged response's prompt has no live id");
      yield mapped;
    }
  };
  await overlapped(batchesOf(known(), (r) => r[3].length, signal), async (batch) => {
    const insertBatch = insert
      ? sql`insert into ${responses} (${columnList(responses.projectId, responses.promptId, responses.system, responses.content, responses.contentHash)})
            select cast(${projectId} as integer), ${intField(1)}, ${field(2)}, ${field(3)}, ${field(4)} from ${elements(batch)} order by e.key
            on conflict do nothing
            returning ${sql.identifier(responses.id.name)} as id, ${sql.identifier(responses.promptId.name)} as prompt_id,
              ${sql.identifier(responses.system.name)} as system, ${sql.identifier(responses.contentHash.name)} as hash`
      : null;
    const inserted = await insertOrFind<Staged, { id: number; prompt_id: number; system: string; hash: string }>(tx, batch, {
      insert: insertBatch,
      lookup,
      keyOfStaged: ([, prompt, system, , hash]) => key(prompt, system, hash),
      keyOfLive: (row) => key(row.prompt_id, row.system, row.hash),
      map,
    });
    added += inserted;
    if (!insert) staying += batch.filter(([sid]) => map[sid] !== 0).length;
  });
  return insert ? added : stagedCount(stage, sql`${s}`) - staying;
}

/** Comparisons, in staged order (rowid), through the one writer of comparisons. */
async function moveComparisons({ tx, staged, signal }: Mover, promptIds: IdMap, responseIds: IdMap): Promise<void> {
  const c = stagedComparisons;
  const select = sql`${c.promptSid}, ${c.winnerSid}, ${c.loserSid}, ${c.isTie}, ${c.tieKind}, ${c.strength}, ${c.annotatorId}, ${c.groupId}`;
  type Staged = [number, number, number, number, number, string | null, number | null, string | null, string | null];
  const pages = pagesOf<Staged>(staged.stage, select, sql`${c}`, sql`rowid`, COMPARISON_PAGE_ROWS);
  await overlapped(batchesOf(pages, () => 0, signal), async (page) => {
    const input = page.map(([, prompt, winner, loser, isTie, tieKind, strength, annotator, group]) => [
      promptIds[prompt],
      responseIds[winner],
      responseIds[loser],
      isTie === 1,
      tieKind,
      strength,
      annotator,
      group,
    ]);
    // In COMPARISON_INSERT_COLUMNS order: project, prompt, judgment (none), winner, loser, tie, tie kind, strength, weight, annotator, label source, group.
    await insertComparisons(
      tx,
      sql`select cast(${staged.projectId} as integer), ${intField(0)}, cast(null as text), ${intField(1)}, ${intField(2)}, cast(e.value ->> 3 as boolean),
            ${field(4)}, cast(e.value ->> 5 as double precision), 1, ${field(6)}, 'imported', ${field(7)}
          from ${elements(input)} order by e.key`,
    );
  });
}

/** The live ids of a staged JSON array of response sids, as JSON text (`[12,13]`, as SQLite's json_group_array writes it); null when one has none. */
function liveIdsText(responseSids: string, responseIds: IdMap): string | null {
  const ids = (JSON.parse(responseSids) as number[]).map((sid) => responseIds[sid]!);
  return ids.includes(0) ? null : JSON.stringify(ids);
}

/**
 * Items to annotate, in staged order, skipping those the project already has (same prompt, kind and
 * response ids, compared as JSON text). A staged item whose prompt or responses have no live id yet (a
 * preview) matches no live item, so it counts as new. Staged items are unique and map one-to-one onto
 * live ids, so no two of them can stand for the same live item.
 */
async function moveItems({ tx, staged, insert, signal }: Mover, promptIds: IdMap, responseIds: IdMap): Promise<number> {
  const { stage, projectId } = staged;
  const s = stagedItems;
  const isNew = sql`not exists (select 1 from ${items} ${liveItem} where ${liveItem.projectId} = cast(${projectId} as integer) and ${liveItem.promptId} = x.prompt_id
      and ${liveItem.kind} = x.kind and cast(${liveItem.responseIds} as text) = x.response_ids)`;
  const unpacked = (input: unknown[][]) =>
    sql`(select ${intField(0)} as prompt_id, ${field(1)} as kind, ${field(2)} as response_ids, ${intField(3)} as required, e.key as key from ${elements(input)}) x`;
  let added = 0;
  const pages = pagesOf<[number, number, string, string, number]>(stage, sql`${s.promptSid}, ${s.kind}, ${s.responseSids}, ${s.requiredAnnotations}`, sql`${s}`, sql`${s.sid}`);
  const mapped = function* () {
    for (const page of pages) {
      const input: unknown[][] = [];
      for (const [, prompt, kind, responseSids, required] of page) {
        const ids = liveIdsText(responseSids, responseIds);
        if (promptIds[prompt] === 0 || ids === null) {
          if (insert) throw new Error("import: a staged item's prompt or responses have no live id");
          added++;
        } else input.push([promptIds[prompt], kind, ids, required]);
      }
      if (input.length > 0) yield input;
    }
  };
  await overlapped(batchesOf(mapped(), () => 0, signal), async (input) => {
    const n = insert
      ? await execute(
          sql`insert into ${items} (${columnList(items.projectId, items.promptId, items.kind, items.responseIds, items.requiredAnnotations, items.status)})
              select cast(${projectId} as integer), x.prompt_id, x.kind, cast(x.response_ids as json), x.required, 'open' from ${unpacked(input)}
              where ${isNew} order by x.key`,
          tx,
        )
      : (await firstRow<{ n: number }>(sql`select count(*) as n from ${unpacked(input)} where ${isNew}`, tx))!.n;
    added += n;
  });
  return added;
}

/** Imported ratings become a complete rating item with one judgment (no annotator account: label_source 'imported'). */
async function moveRatedItems({ tx, staged, insert, signal }: Mover, promptIds: IdMap, responseIds: IdMap): Promise<number> {
  const { stage, projectId } = staged;
  const s = stagedRatedItems;
  if (!insert) return stagedCount(stage, sql`${s}`);
  let added = 0;
  const pages = pagesOf<[number, number, string, string]>(stage, sql`${s.promptSid}, ${s.responseSids}, ${s.ratings}`, sql`${s}`, sql`${s.sid}`, 1000);
  await overlapped(batchesOf(pages, () => 0, signal), async (page) => {
    const input = page.map(([, prompt, responseSids]) => [promptIds[prompt], liveIdsText(responseSids, responseIds)]);
    const inserted = await rows<{ id: number }>(
      sql`insert into ${items} (${columnList(items.projectId, items.promptId, items.kind, items.responseIds, items.requiredAnnotations, items.annotationCount, items.status)})
          select cast(${projectId} as integer), ${intField(0)}, 'rating', cast(e.value ->> 1 as json), 1, 1, 'complete' from ${elements(input)} order by e.key
          returning ${sql.identifier(items.id.name)} as id`,
      tx,
    );
    // Identity ids grow in insertion order (here the sids' order), whatever order RETURNING lists them in.
    const itemIds = inserted.map((r) => r.id).sort((a, b) => a - b);
    const judgmentRows = page.map(([, , , ratingsText], k) => {
      const shown = input[k]![1] as string;
      const ids = JSON.parse(shown) as number[];
      const ratings = JSON.parse(ratingsText) as Record<string, number>[];
      return [crypto.randomUUID(), itemIds[k]!, JSON.stringify(Object.fromEntries(ids.map((id, j) => [String(id), ratings[j]!]))), shown];
    });
    await execute(
      sql`insert into ${judgments} (${columnList(judgments.id, judgments.projectId, judgments.itemId, judgments.ratings, judgments.shownOrder, judgments.labelSource)})
          select ${field(0)}, cast(${projectId} as integer), ${intField(1)}, cast(e.value ->> 2 as json), cast(e.value ->> 3 as json), 'imported'
          from ${elements(judgmentRows)} order by e.key`,
      tx,
    );
    added += page.length;
  });
  return added;
}

/** Everything, in the order the references need; `insert`: add what is new, else only count it. */
async function moveToLive(mover: Mover): Promise<ImportCounts> {
  const { stage, rows: stagedRows } = mover.staged;
  const promptIds: IdMap = new Int32Array(maxSid(stage, stagedPrompts) + 1);
  const responseIds: IdMap = new Int32Array(maxSid(stage, stagedResponses) + 1);
  const counts: ImportCounts = { rows: stagedRows, promptsAdded: 0, responsesAdded: 0, comparisonsAdded: 0, itemsAdded: 0 };
  counts.promptsAdded = await movePrompts(mover, promptIds);
  counts.responsesAdded = await moveResponses(mover, promptIds, responseIds);
  counts.comparisonsAdded = stagedCount(stage, sql`${stagedComparisons}`);
  if (mover.insert) await moveComparisons(mover, promptIds, responseIds);
  counts.itemsAdded = (await moveItems(mover, promptIds, responseIds)) + (await moveRatedItems(mover, promptIds, responseIds));
  return counts;
}

/** PostgreSQL's text cannot hold U+0000, which SQLite stores: say so instead of failing with a 500. */
async function explained<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (databaseErrorCode(error) === 'PG_22P05')
      throw new AppError('bad-file', 'the file holds the character U+0000 (NUL) in a text, which PostgreSQL cannot store: nothing was written; remove it from the file and import again');
    throw error;
  }
}

export const postgresMover: LiveMover = {
  preview: (staged, signal) =>
    explained(() =>
      withReadSnapshot(async () => {
        signal?.throwIfAborted();
        return moveToLive({ tx: db(), staged, insert: false, signal });
      }),
    ),
  commit: async (staged, signal) => {
    let lockedAt = 0;
    const counts = await explained(() =>
      withWriteTransaction(async (tx) => {
        lockedAt = performance.now();
        signal?.throwIfAborted();
        const moved = await moveToLive({ tx, staged, insert: true, signal });
        // The last moment to stop: from here only the COMMIT runs.
        signal?.throwIfAborted();
        return moved;
      }),
    );
    return { counts, writeLockMs: Math.round(performance.now() - lockedAt) };
  },
};
