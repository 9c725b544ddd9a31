/**
 * The importer's scratch store, and the one short transaction that moves it into the live database.
 *
 * Why two phases: an import used to hold `BEGIN IMMEDIATE` on the web server's one connection while it
 * streamed the file, so every request served meanwhile wrote *inside* the import's transaction, and a
 * rollback (a dry run, a bad row) silently erased judgments, tokens and sign-ins that had been answered
 * 201. Now:
 *
 * 1. **Stage** (async, no lock on the live database): parsed rows go into a SQLite file of the import's
 *    own, `<data>/uploads/<pid>-<uuid>.stage.db` (journal and fsync off: it is thrown away). Prompts and
 *    responses are deduplicated by content hash within the file, under the same unique keys as the live
 *    tables; comparisons and items refer to staged rows by their scratch ids (`sid`).
 * 2. **Commit** (one write transaction, `withWriteTransaction`): the writer connection attaches the scratch
 *    file, takes the write lock (`BEGIN IMMEDIATE`), matches staged prompts and responses to live ones by
 *    their unique keys, inserts the new ones with `INSERT … SELECT`, resolves every reference to a live id,
 *    and commits. The writer is used by this transaction alone (db/client.ts): no other request's
 *    statement can land inside it, however often it awaits; other writers of this process wait for the
 *    process's write lock, other processes for SQLite's. A dry run, or a file with bad rows, stops after
 *    step 1: the live tables are never written. The alternative, chunked commits with a compensating
 *    delete, would show half an import to annotators and readers while it runs; a scratch file costs one
 *    extra write of the data.
 *
 * The rows written are exactly those the single-transaction importer wrote (same dedup rules, same
 * comparisons, same items), so counts and exports are unchanged.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { eq, sql, type SQL } from 'drizzle-orm';
import { alias, integer, real, sqliteTable, text, type SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { comparisonsFromRanking } from '@/lib/annotation/derive-comparisons';
import { planItems } from '@/lib/annotation/items-from-candidates';
import { contentHash } from '@/lib/data/content-hash';
import type { ImportedRow } from '@/lib/data/import-formats';
import type { ProjectSettings } from '@/lib/projects/settings';
import { closeScratchDb, openScratchDb, withWriteTransaction, type Db } from '../client';
import { items, judgments, prompts, responses } from '../schema';
import { insertComparisons } from './comparisons';

export type ImportCounts = { rows: number; promptsAdded: number; responsesAdded: number; comparisonsAdded: number; itemsAdded: number };

// The scratch file's tables: not part of the live schema (no migration creates them), declared here so
// the staging statements and the commit's INSERT … SELECT name their columns through drizzle.
const stagedPrompts = sqliteTable('prompts', {
  sid: integer('sid').primaryKey(),
  messages: text('messages').notNull(),
  contentHash: text('content_hash').notNull(),
});
const stagedResponses = sqliteTable('responses', {
  sid: integer('sid').primaryKey(),
  promptSid: integer('prompt_sid').notNull(),
  system: text('system').notNull(),
  content: text('content').notNull(),
  contentHash: text('content_hash').notNull(),
});
const stagedComparisons = sqliteTable('comparisons', {
  promptSid: integer('prompt_sid').notNull(),
  winnerSid: integer('winner_sid').notNull(),
  loserSid: integer('loser_sid').notNull(),
  isTie: integer('is_tie').notNull(),
  tieKind: text('tie_kind'),
  strength: real('strength'),
  annotatorId: text('annotator_id'),
  groupId: text('group_id'),
});
// Items to annotate (candidates), unique as the live importer kept them, and rated items with their imported judgment.
const stagedItems = sqliteTable('items', {
  sid: integer('sid').primaryKey(),
  promptSid: integer('prompt_sid').notNull(),
  kind: text('kind').notNull(),
  responseSids: text('response_sids').notNull(),
  requiredAnnotations: integer('required_annotations').notNull(),
});
const stagedRatedItems = sqliteTable('rated_items', {
  sid: integer('sid').primaryKey(),
  promptSid: integer('prompt_sid').notNull(),
  responseSids: text('response_sids').notNull(),
  ratings: text('ratings').notNull(),
});

/** The tables above, as created in the scratch file (the unique keys are the live tables' own). */
const STAGE_SCHEMA = [
  'create table prompts (sid integer primary key, messages text not null, content_hash text not null unique)',
  'create table responses (sid integer primary key, prompt_sid integer not null, system text not null, content text not null, content_hash text not null, unique (prompt_sid, system, content_hash))',
  'create table comparisons (prompt_sid integer not null, winner_sid integer not null, loser_sid integer not null, is_tie integer not null, tie_kind text, strength real, annotator_id text, group_id text)',
  'create table items (sid integer primary key, prompt_sid integer not null, kind text not null, response_sids text not null, required_annotations integer not null, unique (prompt_sid, kind, response_sids))',
  'create table rated_items (sid integer primary key, prompt_sid integer not null, response_sids text not null, ratings text not null)',
];

// The commit's two temporary maps (scratch id → live id), on the writer connection for the transaction's length.
const promptIdMap = sqliteTable('prompt_ids', { sid: integer('sid').primaryKey(), id: integer('id').notNull() });
const responseIdMap = sqliteTable('response_ids', { sid: integer('sid').primaryKey(), id: integer('id').notNull() });

// Aliases for the commit's joins: `main.${prompts} ${mp}` renders `main."prompts" "mp"`, `${mp.id}` `"mp"."id"`.
const sp = alias(stagedPrompts, 'sp');
const sr = alias(stagedResponses, 'sr');
const sc = alias(stagedComparisons, 'c');
const si = alias(stagedItems, 'si');
const sri = alias(stagedRatedItems, 'sri');
const mp = alias(prompts, 'mp');
const mr = alias(responses, 'mr');
const mi = alias(items, 'mi');
const pi = alias(promptIdMap, 'pi');
const ri = alias(responseIdMap, 'ri');
const wi = alias(responseIdMap, 'w');
const li = alias(responseIdMap, 'l');

/**
 * A statement parameter bound as given. A bare `sql.placeholder` as an insert value is wrapped in the
 * column's encoder (the identity for these text and number columns), which costs drizzle type checks per
 * value per row: over a second of the staging loop's time on a million rows.
 */
const slot = (name: string) => sql`${sql.placeholder(name)}`;

/** A column list for `insert into t (…)`: bare column names. */
const columnList = (...columns: SQLiteColumn[]) => sql.join(columns.map((column) => sql.identifier(column.name)), sql`, `);

/** The live ids of a staged JSON array of response sids, as a JSON array in the same order (null where unmatched). */
const liveResponseIds = (responseSids: SQLiteColumn) =>
  sql`(select json_group_array(${ri.id} order by je.key) from json_each(${responseSids}) je left join temp.${responseIdMap} ${ri} on ${ri.sid} = je.value)`;

const countRows = async (tx: Db, from: SQL) => (await tx.get<{ n: number }>(sql`select count(*) as n from ${from}`))!.n;

/** Rated items are read back in pages of this many (one batch of inserts each). */
const RATED_PAGE = 1000;

/** A scratch store for one import: `write` parsed rows, then `commit` them to the live database (or just `close`). */
export type ImportStage = {
  readonly rows: number;
  write(row: ImportedRow): void;
  /**
   * What committing would add now (the live tables as they are), without writing them. It too runs in a
   * write transaction, as briefly as the commit: only the writer may hold the temporary id maps (the
   * reader is query-only), and the counts come from one consistent state of the live tables.
   */
  preview(signal?: AbortSignal): Promise<ImportCounts>;
  /**
   * Moves the staged rows into the live database in one transaction; returns what was added, and how long
   * the live database's write lock was held. `signal` is checked once the lock is taken and just before
   * the commit: an import whose client went away writes nothing.
   */
  commit(signal?: AbortSignal): Promise<{ counts: ImportCounts; writeLockMs: number }>;
  /** Closes and deletes the scratch file (idempotent; every exit path calls it). */
  close(): void;
};

export async function openImportStage(file: string, projectId: number, settings: Pick<ProjectSettings, 'tasks' | 'rankingSize' | 'overlap'>): Promise<ImportStage> {
  // Scratch data, never rolled back (a failed import throws the whole file away): no journal, no fsync.
  const stage = openScratchDb(file, ['journal_mode = OFF', 'synchronous = OFF']);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    closeScratchDb(stage);
    fs.rmSync(file, { force: true });
  };
  try {
    for (const statement of STAGE_SCHEMA) stage.run(sql.raw(statement));
    return stageRows(stage, file, projectId, settings, close);
  } catch (error) {
    close();
    throw error;
  }
}

function stageRows(stage: Db, file: string, projectId: number, settings: Pick<ProjectSettings, 'tasks' | 'rankingSize' | 'overlap'>, close: () => void): ImportStage {
  // Rows are written in batches of this many, each batch one transaction (one per row would be ~10× slower).
  const BATCH_ROWS = 5000;
  stage.run(sql`begin`);
  let inTransaction = true;
  // Prepared once, run per row: the staging path is the import's hot loop (a million rows).
  const findPrompt = stage
    .select({ sid: stagedPrompts.sid })
    .from(stagedPrompts)
    .where(eq(stagedPrompts.contentHash, sql.placeholder('hash')))
    .prepare();
  const insertPrompt = stage
    .insert(stagedPrompts)
    .values({ messages: slot('messages'), contentHash: slot('hash') })
    .prepare();
  const findResponse = stage
    .select({ sid: stagedResponses.sid })
    .from(stagedResponses)
    .where(sql`${stagedResponses.promptSid} = ${slot('prompt')} and ${stagedResponses.system} = ${slot('system')} and ${stagedResponses.contentHash} = ${slot('hash')}`)
    .prepare();
  const insertResponse = stage
    .insert(stagedResponses)
    .values({ promptSid: slot('prompt'), system: slot('system'), content: slot('content'), contentHash: slot('hash') })
    .prepare();
  const insertComparison = stage
    .insert(stagedComparisons)
    .values({
      promptSid: slot('prompt'),
      winnerSid: slot('winner'),
      loserSid: slot('loser'),
      isTie: slot('isTie'),
      tieKind: slot('tieKind'),
      strength: slot('strength'),
      annotatorId: slot('annotator'),
      groupId: slot('group'),
    })
    .prepare();
  // The old `insert or ignore`: an item planned twice for one prompt is kept once.
  const insertItem = stage
    .insert(stagedItems)
    .values({ promptSid: slot('prompt'), kind: slot('kind'), responseSids: slot('responses'), requiredAnnotations: slot('required') })
    .onConflictDoNothing()
    .prepare();
  const insertRatedItem = stage
    .insert(stagedRatedItems)
    .values({ promptSid: slot('prompt'), responseSids: slot('responses'), ratings: slot('ratings') })
    .prepare();
  let rows = 0;

  // A prompt first staged by the current row has no responses but this row's: they need no lookup in the
  // file (a preference set of distinct prompts saves two of its five statements a row), only in this map.
  let newPromptResponses: Map<string, number> | null = null;
  const promptSid = (messages: unknown) => {
    const hash = contentHash(messages);
    const found = findPrompt.get({ hash });
    newPromptResponses = found ? null : new Map();
    return found?.sid ?? Number(insertPrompt.run({ messages: JSON.stringify(messages), hash }).lastInsertRowid);
  };
  const responseSid = (prompt: number, r: { content: string; system: string }) => {
    const hash = contentHash(r.content);
    if (!newPromptResponses) return findResponse.get({ prompt, system: r.system, hash })?.sid ?? Number(insertResponse.run({ prompt, system: r.system, content: r.content, hash }).lastInsertRowid);
    const key = `${r.system}\u0000${hash}`;
    let sid = newPromptResponses.get(key);
    if (sid === undefined) newPromptResponses.set(key, (sid = Number(insertResponse.run({ prompt, system: r.system, content: r.content, hash }).lastInsertRowid)));
    return sid;
  };
  // A row that fails half-written (only a ranking naming one response twice can) aborts the whole import.
  const writeRow = (row: ImportedRow) => {
    const p = promptSid(row.messages);
    if (row.kind === 'ratings') {
      const sids = row.responses.map((r) => responseSid(p, r));
      insertRatedItem.run({ prompt: p, responses: JSON.stringify(sids), ratings: JSON.stringify(row.ratings) });
    } else if (row.kind === 'ranking') {
      const sids = row.responses.map((r) => responseSid(p, r));
      const groupId = `import-${crypto.randomUUID()}`;
      for (const c of comparisonsFromRanking(row.groups.map((g) => g.map((i) => sids[i]!)))) {
        insertComparison.run({ prompt: p, winner: c.winnerResponseId, loser: c.loserResponseId, isTie: c.isTie ? 1 : 0, tieKind: c.tieKind, strength: null, annotator: row.annotator ?? 'imported', group: groupId });
      }
    } else if (row.kind === 'comparison') {
      const w = responseSid(p, row.chosen);
      const l = responseSid(p, row.rejected);
      insertComparison.run({ prompt: p, winner: w, loser: l, isTie: row.tie ? 1 : 0, tieKind: row.tie, strength: row.tie ? 0 : row.strength, annotator: row.annotator ?? 'imported', group: null });
    } else {
      const sids = [...new Set(row.responses.map((r) => responseSid(p, r)))];
      for (const planned of planItems(sids.length, settings)) {
        insertItem.run({ prompt: p, kind: planned.kind, responses: JSON.stringify(planned.indexes.map((i) => sids[i]!)), required: settings.overlap });
      }
    }
    rows++;
    if (rows % BATCH_ROWS === 0) {
      stage.run(sql`commit`);
      stage.run(sql`begin`);
    }
  };
  const flush = () => {
    if (!inTransaction) return;
    stage.run(sql`commit`);
    inTransaction = false;
  };

  /**
   * Runs on the writer connection, inside the write transaction, with the live tables as `main` and this
   * file as `stage`. Staged rows are matched to live ones by the live tables' unique keys (prompts: project
   * and content hash; responses: prompt, system and content hash), once each, into two temporary maps
   * (scratch id → live id) that every later statement joins on by primary key. Nothing is written to the
   * scratch file. `insert`: add what is new first; otherwise only count it.
   */
  const moveToLive = async (tx: Db, insert: boolean): Promise<ImportCounts> => {
    const counts: ImportCounts = { rows, promptsAdded: 0, responsesAdded: 0, comparisonsAdded: 0, itemsAdded: 0 };
    const count = (from: SQL) => countRows(tx, from);
    // OR IGNORE: a prompt or response already in the project is the one rows refer to (the unique index decides).
    const promptsInserted = insert
      ? (
          await tx.run(
            sql`insert or ignore into main.${prompts} (${columnList(prompts.projectId, prompts.messages, prompts.contentHash)})
                select ${projectId}, ${sp.messages}, ${sp.contentHash} from stage.${stagedPrompts} ${sp} order by ${sp.sid}`,
          )
        ).changes
      : null;
    await tx.run(sql`create temp table ${promptIdMap} (sid integer primary key, id integer not null)`);
    await tx.run(
      sql`insert into temp.${promptIdMap} select ${sp.sid}, ${mp.id} from stage.${stagedPrompts} ${sp}
          join main.${prompts} ${mp} on ${mp.projectId} = ${projectId} and ${mp.contentHash} = ${sp.contentHash}`,
    );
    counts.promptsAdded = promptsInserted ?? (await count(sql`stage.${stagedPrompts}`)) - (await count(sql`temp.${promptIdMap}`));
    const responsesInserted = insert
      ? (
          await tx.run(
            sql`insert or ignore into main.${responses} (${columnList(responses.projectId, responses.promptId, responses.system, responses.content, responses.contentHash)})
                select ${projectId}, ${pi.id}, ${sr.system}, ${sr.content}, ${sr.contentHash}
                from stage.${stagedResponses} ${sr} join temp.${promptIdMap} ${pi} on ${pi.sid} = ${sr.promptSid} order by ${sr.sid}`,
          )
        ).changes
      : null;
    await tx.run(sql`create temp table ${responseIdMap} (sid integer primary key, id integer not null)`);
    await tx.run(
      sql`insert into temp.${responseIdMap} select ${sr.sid}, ${mr.id} from stage.${stagedResponses} ${sr} join temp.${promptIdMap} ${pi} on ${pi.sid} = ${sr.promptSid}
          join main.${responses} ${mr} on ${mr.promptId} = ${pi.id} and ${mr.system} = ${sr.system} and ${mr.contentHash} = ${sr.contentHash}`,
    );
    // Responses of prompts new to the project have no live match in a preview: they count as new.
    counts.responsesAdded = responsesInserted ?? (await count(sql`stage.${stagedResponses}`)) - (await count(sql`temp.${responseIdMap}`));
    counts.comparisonsAdded = await count(sql`stage.${stagedComparisons}`);
    if (insert) {
      // In COMPARISON_INSERT_COLUMNS order: project, prompt, judgment (none), winner, loser, tie, tie kind, strength, weight, annotator, label source, group.
      await insertComparisons(
        tx,
        sql`select ${projectId}, ${pi.id}, null, ${wi.id}, ${li.id}, ${sc.isTie}, ${sc.tieKind}, ${sc.strength}, 1, ${sc.annotatorId}, 'imported', ${sc.groupId}
            from stage.${stagedComparisons} ${sc} join temp.${promptIdMap} ${pi} on ${pi.sid} = ${sc.promptSid}
            join temp.${responseIdMap} ${wi} on ${wi.sid} = ${sc.winnerSid} join temp.${responseIdMap} ${li} on ${li.sid} = ${sc.loserSid}
            order by ${sc}.rowid`,
      );
    }
    counts.itemsAdded = (await moveItems(tx, insert)) + (await moveRatedItems(tx, insert));
    await tx.run(sql`drop table temp.${promptIdMap}`);
    await tx.run(sql`drop table temp.${responseIdMap}`);
    return counts;
  };

  /**
   * Items to annotate, in staged order, skipping those the project already has (same prompt, kind and
   * response ids). A staged item whose prompt or responses have no live id yet (a preview) matches no
   * live item, so it counts as new. Staged items are unique and map one-to-one onto live ids, so no two
   * of them can stand for the same live item.
   */
  const moveItems = async (tx: Db, insert: boolean): Promise<number> => {
    const mapped = sql`select ${si.sid} as sid, ${pi.id} as prompt_id, ${si.kind} as kind, ${si.requiredAnnotations} as required_annotations,
        ${liveResponseIds(si.responseSids)} as response_ids
      from stage.${stagedItems} ${si} left join temp.${promptIdMap} ${pi} on ${pi.sid} = ${si.promptSid}`;
    const isNew = sql`not exists (select 1 from main.${items} ${mi} where ${mi.projectId} = ${projectId} and ${mi.promptId} = x.prompt_id and ${mi.kind} = x.kind and ${mi.responseIds} = x.response_ids)`;
    if (!insert) return countRows(tx, sql`(${mapped}) x where ${isNew}`);
    const result = await tx.run(
      sql`insert into main.${items} (${columnList(items.projectId, items.promptId, items.kind, items.responseIds, items.requiredAnnotations, items.status)})
          select ${projectId}, x.prompt_id, x.kind, x.response_ids, x.required_annotations, 'open' from (${mapped}) x where ${isNew} order by x.sid`,
    );
    return result.changes;
  };

  // Imported ratings become a complete rating item with one judgment (no annotator account: label_source 'imported').
  const moveRatedItems = async (tx: Db, insert: boolean): Promise<number> => {
    if (!insert) return countRows(tx, sql`stage.${stagedRatedItems}`);
    let added = 0;
    for (let after = 0; ; ) {
      const page = sql`from stage.${stagedRatedItems} ${sri} left join temp.${promptIdMap} ${pi} on ${pi.sid} = ${sri.promptSid}
        where ${sri.sid} > ${after} order by ${sri.sid} limit ${RATED_PAGE}`;
      const staged = await tx.all<{ sid: number; responseIds: string; ratings: string }>(
        sql`select ${sri.sid} as sid, ${liveResponseIds(sri.responseSids)} as "responseIds", ${sri.ratings} as ratings ${page}`,
      );
      if (staged.length === 0) return added;
      const inserted = await tx.all<{ id: number }>(
        sql`insert into main.${items} (${columnList(items.projectId, items.promptId, items.kind, items.responseIds, items.requiredAnnotations, items.annotationCount, items.status)})
            select ${projectId}, ${pi.id}, 'rating', ${liveResponseIds(sri.responseSids)}, 1, 1, 'complete' ${page} returning ${sql.identifier(items.id.name)} as id`,
      );
      // RETURNING's row order is unspecified, but AUTOINCREMENT ids grow in insertion order (here the sids' order).
      const itemIds = inserted.map((r) => r.id).sort((a, b) => a - b);
      const judgmentRows = staged.map((r, k) => {
        const responseIds = JSON.parse(r.responseIds) as number[];
        const ratings = JSON.parse(r.ratings) as Record<string, number>[];
        return [crypto.randomUUID(), itemIds[k]!, JSON.stringify(Object.fromEntries(responseIds.map((id, j) => [String(id), ratings[j]!]))), r.responseIds];
      });
      // The page's judgments in one statement, as one JSON parameter (drizzle's multi-row VALUES costs tens of µs a row to build).
      await tx.run(
        sql`insert into main.${judgments} (${columnList(judgments.id, judgments.projectId, judgments.itemId, judgments.ratings, judgments.shownOrder, judgments.labelSource)})
            select j.value ->> 0, ${projectId}, j.value ->> 1, j.value ->> 2, j.value ->> 3, 'imported' from jsonb_each(${JSON.stringify(judgmentRows)}) j order by j.key`,
      );
      added += staged.length;
      after = staged[staged.length - 1]!.sid;
    }
  };

  /**
   * One write transaction on the writer connection with the scratch file attached as `stage`. The commit
   * walks the unique indexes of prompts and responses at random (content hashes): the connection's page
   * cache gets room for its length, and its own size back afterwards.
   */
  const inLiveTransaction = <T>(fn: (tx: Db) => Promise<T>): Promise<T> =>
    withWriteTransaction(
      async (tx) => {
        const cacheSize = (await tx.get<{ cache_size: number }>(sql`pragma cache_size`))!.cache_size;
        await tx.run(sql`pragma cache_size = -65536`);
        try {
          return await fn(tx);
        } finally {
          await tx.run(sql.raw(`pragma cache_size = ${Number(cacheSize)}`));
        }
      },
      { attach: { schemaName: 'stage', file } },
    );

  return {
    get rows() {
      return rows;
    },
    write: (row) => writeRow(row),
    preview: async (signal) => {
      flush();
      return inLiveTransaction(async (tx) => {
        signal?.throwIfAborted();
        return moveToLive(tx, false);
      });
    },
    commit: async (signal) => {
      flush();
      let lockedAt = 0;
      const counts = await inLiveTransaction(async (tx) => {
        lockedAt = performance.now();
        signal?.throwIfAborted();
        const moved = await moveToLive(tx, true);
        // The last moment to stop: from here only the COMMIT runs, with no I/O callback (a disconnect) in between.
        signal?.throwIfAborted();
        return moved;
      });
      return { counts, writeLockMs: Math.round(performance.now() - lockedAt) };
    },
    close,
  };
}
