/**
 * The importer's scratch store, and the one write transaction that moves it into the live database.
 *
 * Why two phases: an import used to hold `BEGIN IMMEDIATE` on the web server's one connection while it
 * streamed the file, so every request served meanwhile wrote *inside* the import's transaction, and a
 * rollback (a dry run, a bad row) silently erased judgments, tokens and sign-ins that had been answered
 * 201. Now:
 *
 * 1. **Stage** (async, no lock on the live database): parsed rows go into a SQLite file of the import's
 *    own, `<data>/uploads/<pid>-<uuid>.stage.db` (journal and fsync off: it is thrown away), whatever the
 *    live database is. Prompts and responses are deduplicated by content hash within the file, under the
 *    same unique keys as the live tables; comparisons and items refer to staged rows by their scratch ids
 *    (`sid`). The file's tables are in import-scratch.ts.
 * 2. **Commit** (one write transaction, `withWriteTransaction`): staged prompts and responses are matched
 *    to live ones by their unique keys, the new ones inserted, every reference resolved to a live id, and
 *    the transaction committed. How depends on the dialect:
 *    - SQLite (import-commit-sqlite.ts): the writer connection attaches the scratch file, takes the write
 *      lock (`BEGIN IMMEDIATE`) and moves everything with `INSERT … SELECT`. The writer is used by this
 *      transaction alone (db/client.ts): no other request's statement can land inside it, however often it
 *      awaits; other writers of this process wait for the process's write lock, other processes for SQLite's.
 *    - PostgreSQL (import-commit-pg.ts): the scratch file cannot be attached, so the commit reads it in
 *      pages and sends each page as one JSON parameter to an `INSERT … SELECT`, on the transaction's own
 *      client, under the default (all-writers) lock.
 *    A dry run, or a file with bad rows, stops after step 1: the live tables are never written (its counts
 *    come from matching the file against them). The alternative, chunked commits with a compensating
 *    delete, would show half an import to annotators and readers while it runs; a scratch file costs one
 *    extra write of the data.
 *
 * The rows written are exactly those the single-transaction importer wrote (same dedup rules, same
 * comparisons, same items), so counts and exports are unchanged, and the same on both dialects.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { eq, sql } from 'drizzle-orm';
import { comparisonsFromRanking } from '@/lib/annotation/derive-comparisons';
import { planItems } from '@/lib/annotation/items-from-candidates';
import { contentHash } from '@/lib/data/content-hash';
import type { ImportedRow } from '@/lib/data/import-formats';
import type { ProjectSettings } from '@/lib/projects/settings';
import { closeScratchDb, openScratchDb, type ScratchDb } from '../client';
import { isPostgres } from '../dialect';
import { postgresMover } from './import-commit-pg';
import { sqliteMover } from './import-commit-sqlite';
import { STAGE_SCHEMA, stagedComparisons, stagedItems, stagedPrompts, stagedRatedItems, stagedResponses, type ImportCounts } from './import-scratch';

export type { ImportCounts };

/** How the staged rows reach the live database: the dialect's own path (both read this same scratch file). */
const live = isPostgres ? postgresMover : sqliteMover;

/**
 * A statement parameter bound as given. A bare `sql.placeholder` as an insert value is wrapped in the
 * column's encoder (the identity for these text and number columns), which costs drizzle type checks per
 * value per row: over a second of the staging loop's time on a million rows.
 */
const slot = (name: string) => sql`${sql.placeholder(name)}`;

/** A scratch store for one import: `write` parsed rows, then `commit` them to the live database (or just `close`). */
export type ImportStage = {
  readonly rows: number;
  write(row: ImportedRow): void;
  /**
   * What committing would add now (the live tables as they are, one consistent state of them), without
   * writing them. On SQLite it too runs in a write transaction, as briefly as the commit: only the writer
   * may hold the temporary id maps (the reader is query-only); on PostgreSQL in a read-only snapshot.
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

function stageRows(stage: ScratchDb, file: string, projectId: number, settings: Pick<ProjectSettings, 'tasks' | 'rankingSize' | 'overlap'>, close: () => void): ImportStage {
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

  return {
    get rows() {
      return rows;
    },
    write: (row) => writeRow(row),
    preview: async (signal) => {
      flush();
      return live.preview({ stage, file, projectId, rows }, signal);
    },
    commit: async (signal) => {
      flush();
      return live.commit({ stage, file, projectId, rows }, signal);
    },
    close,
  };
}
