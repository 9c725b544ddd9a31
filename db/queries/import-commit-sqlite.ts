/**
 * The staged import's way into a live SQLite database: the writer connection attaches the scratch file
 * as `stage` for one write transaction (`BEGIN IMMEDIATE`), matches staged prompts and responses to live
 * ones by their unique keys, inserts the new ones with `INSERT … SELECT`, resolves every reference to a
 * live id, and commits. SQLite-only SQL (ATTACH, `temp.` tables, `insert or ignore`, `json_group_array`,
 * pragmas) is at home here; the PostgreSQL counterpart is import-commit-pg.ts.
 */
import crypto from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { integer, sqliteTable, type SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { alias, execute, firstRow, rows, withWriteTransaction, type Db } from '../client';
import { items, judgments, prompts, responses } from '../schema';
import { insertComparisons } from './comparisons';
import { stagedComparisons, stagedItems, stagedPrompts, stagedRatedItems, stagedResponses, type ImportCounts, type LiveMover, type StagedImport } from './import-scratch';

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

/** A column list for `insert into t (…)`: bare column names. */
const columnList = (...columns: SQLiteColumn[]) => sql.join(columns.map((column) => sql.identifier(column.name)), sql`, `);

/** The live ids of a staged JSON array of response sids, as a JSON array in the same order (null where unmatched). */
const liveResponseIds = (responseSids: SQLiteColumn) =>
  sql`(select json_group_array(${ri.id} order by je.key) from json_each(${responseSids}) je left join temp.${responseIdMap} ${ri} on ${ri.sid} = je.value)`;

const countRows = async (tx: Db, from: SQL) => (await firstRow<{ n: number }>(sql`select count(*) as n from ${from}`, tx))!.n;

/** Rated items are read back in pages of this many (one batch of inserts each). */
const RATED_PAGE = 1000;

/**
 * Runs on the writer connection, inside the write transaction, with the live tables as `main` and the
 * scratch file as `stage`. Staged rows are matched to live ones by the live tables' unique keys (prompts:
 * project and content hash; responses: prompt, system and content hash), once each, into two temporary
 * maps (scratch id → live id) that every later statement joins on by primary key. Nothing is written to
 * the scratch file. `insert`: add what is new first; otherwise only count it.
 */
async function moveToLive(tx: Db, { projectId, rows: stagedRows }: StagedImport, insert: boolean): Promise<ImportCounts> {
  const counts: ImportCounts = { rows: stagedRows, promptsAdded: 0, responsesAdded: 0, comparisonsAdded: 0, itemsAdded: 0 };
  const count = (from: SQL) => countRows(tx, from);
  // OR IGNORE: a prompt or response already in the project is the one rows refer to (the unique index decides).
  const promptsInserted = insert
    ? await execute(
        sql`insert or ignore into main.${prompts} (${columnList(prompts.projectId, prompts.messages, prompts.contentHash)})
            select ${projectId}, ${sp.messages}, ${sp.contentHash} from stage.${stagedPrompts} ${sp} order by ${sp.sid}`,
        tx,
      )
    : null;
  await execute(sql`create temp table ${promptIdMap} (sid integer primary key, id integer not null)`, tx);
  await execute(
    sql`insert into temp.${promptIdMap} select ${sp.sid}, ${mp.id} from stage.${stagedPrompts} ${sp}
        join main.${prompts} ${mp} on ${mp.projectId} = ${projectId} and ${mp.contentHash} = ${sp.contentHash}`,
    tx,
  );
  counts.promptsAdded = promptsInserted ?? (await count(sql`stage.${stagedPrompts}`)) - (await count(sql`temp.${promptIdMap}`));
  const responsesInserted = insert
    ? await execute(
        sql`insert or ignore into main.${responses} (${columnList(responses.projectId, responses.promptId, responses.system, responses.content, responses.contentHash)})
            select ${projectId}, ${pi.id}, ${sr.system}, ${sr.content}, ${sr.contentHash}
            from stage.${stagedResponses} ${sr} join temp.${promptIdMap} ${pi} on ${pi.sid} = ${sr.promptSid} order by ${sr.sid}`,
        tx,
      )
    : null;
  await execute(sql`create temp table ${responseIdMap} (sid integer primary key, id integer not null)`, tx);
  await execute(
    sql`insert into temp.${responseIdMap} select ${sr.sid}, ${mr.id} from stage.${stagedResponses} ${sr} join temp.${promptIdMap} ${pi} on ${pi.sid} = ${sr.promptSid}
        join main.${responses} ${mr} on ${mr.promptId} = ${pi.id} and ${mr.system} = ${sr.system} and ${mr.contentHash} = ${sr.contentHash}`,
    tx,
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
  counts.itemsAdded = (await moveItems(tx, projectId, insert)) + (await moveRatedItems(tx, projectId, insert));
  await execute(sql`drop table temp.${promptIdMap}`, tx);
  await execute(sql`drop table temp.${responseIdMap}`, tx);
  return counts;
}

/**
 * Items to annotate, in staged order, skipping those the project already has (same prompt, kind and
 * response ids). A staged item whose prompt or responses have no live id yet (a preview) matches no
 * live item, so it counts as new. Staged items are unique and map one-to-one onto live ids, so no two
 * of them can stand for the same live item.
 */
async function moveItems(tx: Db, projectId: number, insert: boolean): Promise<number> {
  const mapped = sql`select ${si.sid} as sid, ${pi.id} as prompt_id, ${si.kind} as kind, ${si.requiredAnnotations} as required_annotations,
      ${liveResponseIds(si.responseSids)} as response_ids
    from stage.${stagedItems} ${si} left join temp.${promptIdMap} ${pi} on ${pi.sid} = ${si.promptSid}`;
  const isNew = sql`not exists (select 1 from main.${items} ${mi} where ${mi.projectId} = ${projectId} and ${mi.promptId} = x.prompt_id and ${mi.kind} = x.kind and ${mi.responseIds} = x.response_ids)`;
  if (!insert) return countRows(tx, sql`(${mapped}) x where ${isNew}`);
  return execute(
    sql`insert into main.${items} (${columnList(items.projectId, items.promptId, items.kind, items.responseIds, items.requiredAnnotations, items.status)})
        select ${projectId}, x.prompt_id, x.kind, x.response_ids, x.required_annotations, 'open' from (${mapped}) x where ${isNew} order by x.sid`,
    tx,
  );
}

/** Imported ratings become a complete rating item with one judgment (no annotator account: label_source 'imported'). */
async function moveRatedItems(tx: Db, projectId: number, insert: boolean): Promise<number> {
  if (!insert) return countRows(tx, sql`stage.${stagedRatedItems}`);
  let added = 0;
  for (let after = 0; ; ) {
    const page = sql`from stage.${stagedRatedItems} ${sri} left join temp.${promptIdMap} ${pi} on ${pi.sid} = ${sri.promptSid}
      where ${sri.sid} > ${after} order by ${sri.sid} limit ${RATED_PAGE}`;
    const staged = await rows<{ sid: number; responseIds: string; ratings: string }>(
      sql`select ${sri.sid} as sid, ${liveResponseIds(sri.responseSids)} as "responseIds", ${sri.ratings} as ratings ${page}`,
      tx,
    );
    if (staged.length === 0) return added;
    const inserted = await rows<{ id: number }>(
      sql`insert into main.${items} (${columnList(items.projectId, items.promptId, items.kind, items.responseIds, items.requiredAnnotations, items.annotationCount, items.status)})
          select ${projectId}, ${pi.id}, 'rating', ${liveResponseIds(sri.responseSids)}, 1, 1, 'complete' ${page} returning ${sql.identifier(items.id.name)} as id`,
      tx,
    );
    // RETURNING's row order is unspecified, but AUTOINCREMENT ids grow in insertion order (here the sids' order).
    const itemIds = inserted.map((r) => r.id).sort((a, b) => a - b);
    const judgmentRows = staged.map((r, k) => {
      const responseIds = JSON.parse(r.responseIds) as number[];
      const ratings = JSON.parse(r.ratings) as Record<string, number>[];
      return [crypto.randomUUID(), itemIds[k]!, JSON.stringify(Object.fromEntries(responseIds.map((id, j) => [String(id), ratings[j]!]))), r.responseIds];
    });
    // The page's judgments in one statement, as one JSON parameter (drizzle's multi-row VALUES costs tens of µs a row to build).
    await execute(
      sql`insert into main.${judgments} (${columnList(judgments.id, judgments.projectId, judgments.itemId, judgments.ratings, judgments.shownOrder, judgments.labelSource)})
          select j.value ->> 0, ${projectId}, j.value ->> 1, j.value ->> 2, j.value ->> 3, 'imported' from jsonb_each(${JSON.stringify(judgmentRows)}) j order by j.key`,
      tx,
    );
    added += staged.length;
    after = staged[staged.length - 1]!.sid;
  }
}

/**
 * One write transaction on the writer connection with the scratch file attached as `stage`. The commit
 * walks the unique indexes of prompts and responses at random (content hashes): the connection's page
 * cache gets room for its length, and its own size back afterwards.
 */
const inLiveTransaction = <T>(file: string, fn: (tx: Db) => Promise<T>): Promise<T> =>
  withWriteTransaction(
    async (tx) => {
      const cacheSize = (await firstRow<{ cache_size: number }>(sql`pragma cache_size`, tx))!.cache_size;
      await execute(sql`pragma cache_size = -65536`, tx);
      try {
        return await fn(tx);
      } finally {
        await execute(sql.raw(`pragma cache_size = ${Number(cacheSize)}`), tx);
      }
    },
    { attach: { schemaName: 'stage', file } },
  );

export const sqliteMover: LiveMover = {
  /**
   * What committing would add now, without writing the live tables. It too runs in a write transaction,
   * as briefly as the commit: only the writer may hold the temporary id maps (the reader is query-only),
   * and the counts come from one consistent state of the live tables.
   */
  preview: (staged, signal) =>
    inLiveTransaction(staged.file, async (tx) => {
      signal?.throwIfAborted();
      return moveToLive(tx, staged, false);
    }),
  commit: async (staged, signal) => {
    let lockedAt = 0;
    const counts = await inLiveTransaction(staged.file, async (tx) => {
      lockedAt = performance.now();
      signal?.throwIfAborted();
      const moved = await moveToLive(tx, staged, true);
      // The last moment to stop: from here only the COMMIT runs, with no I/O callback (a disconnect) in between.
      signal?.throwIfAborted();
      return moved;
    });
    return { counts, writeLockMs: Math.round(performance.now() - lockedAt) };
  },
};
