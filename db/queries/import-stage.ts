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
 * 2. **Commit** (synchronous, one transaction): the process's connection to the live database attaches
 *    the scratch file, takes the write lock (`BEGIN IMMEDIATE`), matches staged prompts and
 *    responses to live ones by their unique keys, inserts the new ones with `INSERT … SELECT`, resolves
 *    every reference to a live id, and commits. It never awaits, so nothing else in this process runs
 *    while it is open, and no other request's statement can land inside it; other processes wait for it
 *    on busy_timeout. A dry run, or a file with bad rows, stops after step 1: the live tables are never
 *    written. The alternative, chunked commits with a compensating delete, would show half an import to
 *    annotators and readers while it runs; a scratch file costs one extra write of the data.
 *
 * The rows written are exactly those the single-transaction importer wrote (same dedup rules, same
 * comparisons, same items), so counts and exports are unchanged.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { comparisonsFromRanking } from '@/lib/annotation/derive-comparisons';
import { planItems } from '@/lib/annotation/items-from-candidates';
import { contentHash } from '@/lib/data/content-hash';
import type { ImportedRow } from '@/lib/data/import-formats';
import type { ProjectSettings } from '@/lib/projects/settings';

export type ImportCounts = { rows: number; promptsAdded: number; responsesAdded: number; comparisonsAdded: number; itemsAdded: number };

const STAGE_SCHEMA = `
  create table prompts (sid integer primary key, messages text not null, content_hash text not null unique);
  create table responses (sid integer primary key, prompt_sid integer not null, system text not null, content text not null, content_hash text not null, unique (prompt_sid, system, content_hash));
  create table comparisons (prompt_sid integer not null, winner_sid integer not null, loser_sid integer not null, is_tie integer not null, tie_kind text, strength real, annotator_id text, group_id text);
  -- Items to annotate (candidates), unique as the live importer kept them, and rated items with their imported judgment.
  create table items (sid integer primary key, prompt_sid integer not null, kind text not null, response_sids text not null, required_annotations integer not null, unique (prompt_sid, kind, response_sids));
  create table rated_items (sid integer primary key, prompt_sid integer not null, response_sids text not null, ratings text not null);
`;

/** A scratch store for one import: `write` parsed rows, then `commit` them to the live database (or just `close`). */
export type ImportStage = {
  readonly rows: number;
  write(row: ImportedRow): void;
  /** What committing would add now (the live tables as they are), without writing them. */
  preview(live: Database.Database): ImportCounts;
  /** Moves the staged rows into the live database in one transaction; returns what was added. */
  commit(live: Database.Database): ImportCounts;
  /** Closes and deletes the scratch file (idempotent; every exit path calls it). */
  close(): void;
};

export function openImportStage(file: string, projectId: number, settings: Pick<ProjectSettings, 'tasks' | 'rankingSize' | 'overlap'>): ImportStage {
  const stage = new Database(file);
  // Scratch data, never rolled back (a failed import throws the whole file away): no journal, no fsync.
  stage.pragma('journal_mode = OFF');
  stage.pragma('synchronous = OFF');
  stage.exec(STAGE_SCHEMA);
  // Rows are written in batches of this many, each batch one transaction (one per row would be ~10× slower).
  const BATCH_ROWS = 5000;
  stage.exec('BEGIN');
  const findPrompt = stage.prepare<[string], { sid: number }>('select sid from prompts where content_hash = ?');
  const insertPrompt = stage.prepare<[string, string]>('insert into prompts (messages, content_hash) values (?, ?)');
  const findResponse = stage.prepare<[number, string, string], { sid: number }>('select sid from responses where prompt_sid = ? and system = ? and content_hash = ?');
  const insertResponse = stage.prepare<[number, string, string, string]>('insert into responses (prompt_sid, system, content, content_hash) values (?, ?, ?, ?)');
  const insertComparison = stage.prepare<[number, number, number, number, string | null, number | null, string, string | null]>(
    'insert into comparisons (prompt_sid, winner_sid, loser_sid, is_tie, tie_kind, strength, annotator_id, group_id) values (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertItem = stage.prepare<[number, string, string, number]>('insert or ignore into items (prompt_sid, kind, response_sids, required_annotations) values (?, ?, ?, ?)');
  const insertRatedItem = stage.prepare<[number, string, string]>('insert into rated_items (prompt_sid, response_sids, ratings) values (?, ?, ?)');
  let rows = 0;
  let closed = false;

  const promptSid = (messages: unknown) => {
    const hash = contentHash(messages);
    return findPrompt.get(hash)?.sid ?? Number(insertPrompt.run(JSON.stringify(messages), hash).lastInsertRowid);
  };
  const responseSid = (prompt: number, r: { content: string; system: string }) => {
    const hash = contentHash(r.content);
    return findResponse.get(prompt, r.system, hash)?.sid ?? Number(insertResponse.run(prompt, r.system, r.content, hash).lastInsertRowid);
  };
  // A row that fails half-written (only a ranking naming one response twice can) aborts the whole import.
  const writeRow = (row: ImportedRow) => {
    const p = promptSid(row.messages);
    if (row.kind === 'ratings') {
      const sids = row.responses.map((r) => responseSid(p, r));
      insertRatedItem.run(p, JSON.stringify(sids), JSON.stringify(row.ratings));
    } else if (row.kind === 'ranking') {
      const sids = row.responses.map((r) => responseSid(p, r));
      const groupId = `import-${crypto.randomUUID()}`;
      for (const c of comparisonsFromRanking(row.groups.map((g) => g.map((i) => sids[i]!)))) {
        insertComparison.run(p, c.winnerResponseId, c.loserResponseId, c.isTie ? 1 : 0, c.tieKind, null, row.annotator ?? 'imported', groupId);
      }
    } else if (row.kind === 'comparison') {
      const w = responseSid(p, row.chosen);
      const l = responseSid(p, row.rejected);
      insertComparison.run(p, w, l, row.tie ? 1 : 0, row.tie, row.tie ? 0 : row.strength, row.annotator ?? 'imported', null);
    } else {
      const sids = [...new Set(row.responses.map((r) => responseSid(p, r)))];
      for (const planned of planItems(sids.length, settings)) insertItem.run(p, planned.kind, JSON.stringify(planned.indexes.map((i) => sids[i]!)), settings.overlap);
    }
    rows++;
    if (rows % BATCH_ROWS === 0) stage.exec('COMMIT; BEGIN');
  };
  const flush = () => {
    if (stage.inTransaction) stage.exec('COMMIT');
  };

  /**
   * Runs on the live database's connection with the live tables as `main` and this file as `stage`.
   * Staged rows are matched to live ones by the live tables' unique keys (prompts: project and content
   * hash; responses: prompt, system and content hash), once each, into two temporary maps (scratch id →
   * live id) that every later statement joins on by primary key. Nothing is written to the scratch file.
   * `insert`: add what is new first (inside the caller's write transaction); otherwise only count it.
   */
  const moveToLive = (live: Database.Database, insert: boolean): ImportCounts => {
    const counts: ImportCounts = { rows, promptsAdded: 0, responsesAdded: 0, comparisonsAdded: 0, itemsAdded: 0 };
    const count = (sql: string) => (live.prepare(sql).get() as { n: number }).n;
    // OR IGNORE: a prompt or response already in the project is the one rows refer to (the unique index decides).
    const promptsInserted = insert ? live.prepare('insert or ignore into main.prompts (project_id, messages, content_hash) select ?, messages, content_hash from stage.prompts order by sid').run(projectId).changes : null;
    live.exec('create temp table prompt_ids (sid integer primary key, id integer not null)');
    live.prepare('insert into temp.prompt_ids select sp.sid, mp.id from stage.prompts sp join main.prompts mp on mp.project_id = ? and mp.content_hash = sp.content_hash').run(projectId);
    counts.promptsAdded = promptsInserted ?? count('select count(*) as n from stage.prompts') - count('select count(*) as n from temp.prompt_ids');
    const responsesInserted = insert
      ? live
          .prepare(
            `insert or ignore into main.responses (project_id, prompt_id, system, content, content_hash)
             select ?, pi.id, sr.system, sr.content, sr.content_hash from stage.responses sr join temp.prompt_ids pi on pi.sid = sr.prompt_sid order by sr.sid`,
          )
          .run(projectId).changes
      : null;
    live.exec('create temp table response_ids (sid integer primary key, id integer not null)');
    live.exec(
      `insert into temp.response_ids select sr.sid, mr.id from stage.responses sr join temp.prompt_ids pi on pi.sid = sr.prompt_sid
       join main.responses mr on mr.prompt_id = pi.id and mr.system = sr.system and mr.content_hash = sr.content_hash`,
    );
    // Responses of prompts new to the project have no live match in a preview: they count as new.
    counts.responsesAdded = responsesInserted ?? count('select count(*) as n from stage.responses') - count('select count(*) as n from temp.response_ids');
    counts.comparisonsAdded = count('select count(*) as n from stage.comparisons');
    if (insert) {
      live
        .prepare(
          `insert into main.comparisons (project_id, prompt_id, winner_response_id, loser_response_id, is_tie, tie_kind, strength, weight, annotator_id, label_source, group_id)
           select ?, pi.id, w.id, l.id, c.is_tie, c.tie_kind, c.strength, 1, c.annotator_id, 'imported', c.group_id
           from stage.comparisons c join temp.prompt_ids pi on pi.sid = c.prompt_sid join temp.response_ids w on w.sid = c.winner_sid join temp.response_ids l on l.sid = c.loser_sid
           order by c.rowid`,
        )
        .run(projectId);
    }
    counts.itemsAdded = moveItems(live, insert) + moveRatedItems(live, insert);
    return counts;
  };

  /** A staged prompt's live id, or null where it is not in the live database (yet: a preview). */
  const livePromptOf = (live: Database.Database) => {
    const lookup = live.prepare<[number], { id: number }>('select id from temp.prompt_ids where sid = ?');
    return (sid: number) => lookup.get(sid)?.id ?? null;
  };
  /** Staged responses' live ids (null where not in the live database yet). */
  const liveResponsesOf = (live: Database.Database) => {
    const lookup = live.prepare<[number], { id: number }>('select id from temp.response_ids where sid = ?');
    return (sids: number[]) => sids.map((sid) => lookup.get(sid)?.id ?? null);
  };
  /** Pages through a staged table (better-sqlite3 cannot run other statements while iterating one). */
  function* pages<R extends { sid: number }>(live: Database.Database, sql: string): Generator<R> {
    const page = live.prepare<[number], R>(`${sql} where sid > ? order by sid limit 1000`);
    for (let after = 0; ; ) {
      const batch = page.all(after);
      if (batch.length === 0) return;
      yield* batch;
      after = batch[batch.length - 1]!.sid;
    }
  }

  const moveItems = (live: Database.Database, insert: boolean): number => {
    const responsesOf = liveResponsesOf(live);
    const promptOf = livePromptOf(live);
    const exists = live.prepare('select 1 from main.items where project_id = ? and prompt_id = ? and kind = ? and response_ids = ?');
    const add = live.prepare("insert into main.items (project_id, prompt_id, kind, response_ids, required_annotations, status) values (?, ?, ?, ?, ?, 'open')");
    let added = 0;
    type Staged = { sid: number; prompt_sid: number; kind: string; response_sids: string; required_annotations: number };
    for (const item of pages<Staged>(live, 'select sid, prompt_sid, kind, response_sids, required_annotations from stage.items')) {
      const responseIds = responsesOf(JSON.parse(item.response_sids) as number[]);
      const promptId = promptOf(item.prompt_sid);
      const json = JSON.stringify(responseIds);
      if (promptId !== null && !responseIds.includes(null) && exists.get(projectId, promptId, item.kind, json)) continue;
      if (insert) add.run(projectId, promptId, item.kind, json, item.required_annotations);
      added++;
    }
    return added;
  };

  // Imported ratings become a complete rating item with one judgment (no annotator account: label_source 'imported').
  const moveRatedItems = (live: Database.Database, insert: boolean): number => {
    if (!insert) return (live.prepare('select count(*) as n from stage.rated_items').get() as { n: number }).n;
    const responsesOf = liveResponsesOf(live);
    const promptOf = livePromptOf(live);
    const addItem = live.prepare("insert into main.items (project_id, prompt_id, kind, response_ids, required_annotations, annotation_count, status) values (?, ?, 'rating', ?, 1, 1, 'complete')");
    const addJudgment = live.prepare("insert into main.judgments (id, project_id, item_id, ratings, shown_order, label_source) values (?, ?, ?, ?, ?, 'imported')");
    let added = 0;
    for (const rated of pages<{ sid: number; prompt_sid: number; response_sids: string; ratings: string }>(live, 'select sid, prompt_sid, response_sids, ratings from stage.rated_items')) {
      const responseIds = responsesOf(JSON.parse(rated.response_sids) as number[]);
      const ratings = JSON.parse(rated.ratings) as Record<string, number>[];
      const item = Number(addItem.run(projectId, promptOf(rated.prompt_sid), JSON.stringify(responseIds)).lastInsertRowid);
      addJudgment.run(crypto.randomUUID(), projectId, item, JSON.stringify(Object.fromEntries(responseIds.map((id, k) => [String(id), ratings[k]!]))), JSON.stringify(responseIds));
      added++;
    }
    return added;
  };

  /**
   * The live database's connection — the process's one (db/client.ts), so its settings and any fault
   * apply — with the scratch file attached as `stage` for the length of `fn`. Safe on the shared connection
   * because nothing here awaits: no other request's statement can run between the attach and the detach,
   * or inside the transaction.
   */
  const withLive = <T>(live: Database.Database, fn: (live: Database.Database) => T): T => {
    if (live.inTransaction) throw new Error('an import cannot be moved into the live tables from inside another transaction');
    const cacheSize = live.pragma('cache_size', { simple: true }) as number;
    // The commit walks the unique indexes of prompts and responses at random (content hashes): give them room.
    live.pragma('cache_size = -65536');
    live.prepare('attach database ? as stage').run(file);
    try {
      return fn(live);
    } finally {
      live.exec('drop table if exists temp.prompt_ids; drop table if exists temp.response_ids; detach database stage');
      live.pragma(`cache_size = ${cacheSize}`);
    }
  };

  return {
    get rows() {
      return rows;
    },
    write: (row) => writeRow(row),
    preview: (connection) => {
      flush();
      return withLive(connection, (live) => moveToLive(live, false));
    },
    commit: (connection) => {
      flush();
      return withLive(connection, (live) => {
        live.exec('BEGIN IMMEDIATE');
        try {
          const counts = moveToLive(live, true);
          live.exec('COMMIT');
          return counts;
        } catch (error) {
          // SQLite has already rolled back after some errors (SQLITE_FULL, SQLITE_IOERR): a second ROLLBACK
          // would throw "no transaction is active" and hide the real error.
          if (live.inTransaction) live.exec('ROLLBACK');
          throw error;
        }
      });
    },
    close() {
      if (closed) return;
      closed = true;
      stage.close();
      fs.rmSync(file, { force: true });
    },
  };
}
