/**
 * The one place that opens the database, and the one door every query goes through. Two dialects share it
 * (db/dialect.ts): the embedded SQLite file (the default) and PostgreSQL (ARBITER_DATABASE_URL).
 *
 * SQLite: each process holds two connections to the file (WAL, foreign keys on, migrations applied first):
 *   - a reader (`PRAGMA query_only`): every statement outside a write transaction runs here. A write
 *     attempted on it fails at once, so a write that forgot its transaction cannot slip through;
 *   - a writer, used only inside `withWriteTransaction`, one transaction at a time per process (an async
 *     lock), each one `BEGIN IMMEDIATE` so SQLite also serialises it against other processes.
 * Because the writer is never shared with a statement from outside the transaction, no other request's
 * statement can run inside an open transaction, even though query functions await between statements
 * (the property issue 21's import fix relied on).
 *
 * PostgreSQL: the same shape on a connection pool. Reads run on the pool, whose sessions default to
 * read-only transactions (the counterpart of `query_only`). A write transaction checks one client out,
 * runs `BEGIN READ WRITE` on it, and takes a transaction-level advisory lock (see WriteLockScope): by
 * default one lock shared by every writer, which keeps SQLite's one-writer-at-a-time semantics for the
 * code written against them; the hot paths (annotation leases and submits, the job queue) lock narrower
 * and rely on row locks and unique keys, which READ COMMITTED makes necessary.
 *
 * Query functions call `db()`: inside a write transaction it is that transaction's connection (found
 * through AsyncLocalStorage, so helpers called from inside see the transaction's own writes), elsewhere
 * the reader. Query code is written once: drizzle builders over the schema (db/schema/index.ts picks the
 * dialect's tables), raw SQL through `rows` / `firstRow` / `execute`, and the SQL that differs by dialect
 * in db/sql-dialect.ts. Each dialect's connection code is in its own file (db/sqlite-connections.ts,
 * db/postgres-connections.ts); this file is the door.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import Database from 'better-sqlite3';
import { aliasedTable, sql, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { databasePath, getEnv } from '@/lib/env';
import { AppError } from '@/lib/errors';
import type { Db, RunInTransaction, SqliteDb } from './db-types';
import { isPostgres } from './dialect';
import { checkOut, drizzleOver, migratePostgresSerialised, openPostgres, postgresWriteTransaction, type PostgresConnections, type WriteLockScope } from './postgres-connections';
import { connect, openConnections, sqliteWriteTransaction, type SqliteConnections } from './sqlite-connections';

export type { Db } from './db-types';
export { BUSY_TIMEOUT_MS, openConnections } from './sqlite-connections';
export { migratePostgresWith, POSTGRES_LOCK_TIMEOUT_MS, type WriteLockScope } from './postgres-connections';

/** Re-exported so query code names aliases one way on both dialects (sqlite-core's and pg-core's `alias` are this). */
export const alias = aliasedTable;

type Connections = SqliteConnections | PostgresConnections;

const openTransaction = new AsyncLocalStorage<Db>();
const openSnapshot = new AsyncLocalStorage<Db>();
/** A transaction's body runs with its connection as the one `db()` returns. */
const runInTransaction: RunInTransaction = (tx, fn) => openTransaction.run(tx, () => fn(tx));

let shared: Connections | undefined;
let migrated: Promise<void> | undefined;

/** The process-wide connections, opened lazily (never at import time: `next build` imports routes). */
function connections(): Connections {
  if (!shared) {
    const url = getEnv().ARBITER_DATABASE_URL;
    shared = isPostgres && url ? openPostgres(url) : openConnections(databasePath());
  }
  return shared;
}

/**
 * Opens the database and brings its schema up to date, once per process. Every entry point (web server,
 * worker, CLI) awaits it before its first query: SQLite migrates synchronously on open, PostgreSQL cannot.
 */
export async function openDatabase(): Promise<void> {
  const opened = connections();
  if (opened.dialect === 'postgres') await (migrated ??= migratePostgresSerialised(opened));
}

export async function closeDb(): Promise<void> {
  const closing = shared;
  shared = undefined;
  migrated = undefined;
  if (!closing) return;
  if (closing.dialect === 'sqlite') {
    closing.reader.$client.close();
    closing.writer.$client.close();
  } else {
    await Promise.all([closing.pool.end(), closing.admin.end()]);
  }
}


/** The connection for the next statement: the open write transaction's, or else the read-only one. */
export function db(): Db {
  return openTransaction.getStore() ?? openSnapshot.getStore() ?? connections().reader;
}

/**
 * A connection outside any transaction that may write: for tests and benchmarks that set up or inspect
 * state directly, and for backups. Product code reads through `db()` and writes through `withWriteTransaction`.
 * On SQLite it is the writer connection (its `$client` is better-sqlite3's); on PostgreSQL a small pool
 * without the read-only default, typed as SQLite's for the tests written against it (no `$client` there).
 */
export function getDb(): SqliteDb {
  const opened = connections();
  return (opened.dialect === 'sqlite' ? opened.writer : drizzleOver(opened.admin)) as SqliteDb;
}

/** Rows of a raw query (drizzle `sql`), as plain objects keyed by the column aliases. */
export async function rows<T>(query: SQL, on: Db = db()): Promise<T[]> {
  if (isPostgres) return (await (on as unknown as NodePgDatabase).execute(query)).rows as T[];
  return (on as SqliteDb).all<T>(query);
}

/** The first row of a raw query, or undefined. */
export async function firstRow<T>(query: SQL, on: Db = db()): Promise<T | undefined> {
  return (await rows<T>(query, on))[0];
}

/** Runs a raw statement; returns how many rows it changed. */
export async function execute(query: SQL, on: Db = db()): Promise<number> {
  if (isPostgres) return (await (on as unknown as NodePgDatabase).execute(query)).rowCount ?? 0;
  return (on as SqliteDb).run(query).changes;
}

/** How many rows an awaited insert/update/delete builder touched (SQLite reports `changes`, node-postgres `rowCount`). */
export function changedRows(result: unknown): number {
  const outcome = result as { changes?: number; rowCount?: number | null };
  return outcome.changes ?? outcome.rowCount ?? 0;
}

const preparedByConnection = new WeakMap<Db, Map<unknown, unknown>>();

/**
 * A drizzle prepared statement (`….prepare()` over `sql.placeholder`s), built once per connection and
 * reused: building a query costs drizzle ~30 µs, several times SQLite's own cost of running a small one,
 * so the hot paths (a lease, a submit) prepare theirs. Call it with the connection to run on, `db()` or
 * the transaction's `tx`, and `await statement.execute(values)`. (On PostgreSQL the statement is unnamed:
 * drizzle keeps the built SQL, the server plans it per call.)
 */
export function prepareOnce<T>(build: (connection: Db) => T): (connection: Db) => T {
  return (connection) => {
    let prepared = preparedByConnection.get(connection);
    if (!prepared) preparedByConnection.set(connection, (prepared = new Map()));
    let statement = prepared.get(build) as T | undefined;
    if (statement === undefined) prepared.set(build, (statement = build(connection)));
    return statement;
  };
}

/**
 * A placeholder bound exactly as given, past the column's mapping: for SET values in prepared statements
 * (drizzle's update types take SQL, not a bare placeholder) and for nullable JSON columns (their mapping
 * would store a null as the text 'null').
 */
export const bound = (name: string) => sql`${sql.placeholder(name)}`;

export const projectLock = (projectId: number): WriteLockScope => ({ project: projectId });

export type WriteTransactionOptions = {
  /** PostgreSQL: which writers to serialise with (ignored on SQLite). */
  lock?: WriteLockScope;
  /** SQLite only: a file attached (under this schema name) for the transaction's length: the staged import. */
  attach?: { schemaName: string; file: string };
};

/**
 * Runs `fn` in one write transaction and commits it, or rolls it back if `fn` throws. On SQLite writers in
 * this process take turns and the transaction is `BEGIN IMMEDIATE`, so writers in other processes wait too
 * (asynchronously, up to BUSY_TIMEOUT_MS, then SQLITE_BUSY); on PostgreSQL it waits for the writers its lock
 * scope names. Called inside an open transaction it joins it.
 */
export async function withWriteTransaction<T>(fn: (tx: Db) => Promise<T>, options: WriteTransactionOptions = {}): Promise<T> {
  const joined = openTransaction.getStore();
  if (joined) {
    if (options.attach) throw new AppError('invalid', 'a transaction with an attached file cannot join another one');
    return fn(joined);
  }
  const opened = connections();
  if (opened.dialect === 'sqlite') return sqliteWriteTransaction(opened, fn, runInTransaction, options.attach);
  if (options.attach) throw new Error('attaching a SQLite file is for the SQLite dialect only');
  return postgresWriteTransaction(opened, fn, runInTransaction, options.lock ?? 'all-writers');
}

/**
 * Runs `fn` with every `db()` read seeing one snapshot of the database, however long it takes: a long
 * export reads in pages, and without this a comparison committed between two pages could appear in one
 * file and not another. It gets a connection of its own (the shared reader must keep seeing new commits),
 * with a read transaction open for `fn`'s length (REPEATABLE READ on PostgreSQL). A write transaction started
 * inside it (a job's progress) runs on the writer as anywhere else, and `db()` inside that transaction is the
 * transaction.
 */
export async function withReadSnapshot<T>(fn: () => Promise<T>): Promise<T> {
  if (openTransaction.getStore() || openSnapshot.getStore()) return fn(); // already one snapshot
  const opened = connections();
  if (opened.dialect === 'postgres') {
    const { client, release } = await checkOut(opened.pool);
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await openSnapshot.run(drizzleOver(client), fn);
      } finally {
        await client.query('COMMIT');
      }
    } finally {
      release();
    }
  }
  const snapshot = connect(opened.file, { readOnly: true });
  try {
    snapshot.$client.exec('BEGIN');
    // A deferred transaction takes its snapshot at its first read: take it now.
    snapshot.$client.prepare('select count(*) from __drizzle_migrations').get();
    return await openSnapshot.run(snapshot, fn);
  } finally {
    if (snapshot.$client.inTransaction) snapshot.$client.exec('COMMIT');
    snapshot.$client.close();
  }
}

/** A scratch SQLite file (the staged import's): always SQLite, whatever the live database is. */
export type ScratchDb = SqliteDb;

/** Opens a scratch SQLite file of its own (the staged import's), outside the live database. */
export function openScratchDb(file: string, pragmas: string[] = []): ScratchDb {
  const client = new Database(file);
  for (const pragma of pragmas) client.pragma(pragma);
  return drizzle({ client }) as unknown as ScratchDb;
}

/** Closes a scratch file opened with `openScratchDb` (its owner then deletes it). */
export function closeScratchDb(scratch: ScratchDb): void {
  scratch.$client.close();
}

/** Runs the online backup API from the live SQLite database into `file` (the backup code's one raw call). */
export function backupTo(file: string): Promise<unknown> {
  const opened = connections();
  if (opened.dialect !== 'sqlite') throw new Error('the SQLite online backup applies to the SQLite dialect only');
  return opened.writer.$client.backup(file);
}

/** How many migrations the database has applied (drizzle's journal: `__drizzle_migrations`, in schema `drizzle` on PostgreSQL). */
export async function appliedMigrationCount(): Promise<number> {
  const journal = isPostgres ? sql`drizzle.__drizzle_migrations` : sql`__drizzle_migrations`;
  const row = await firstRow<{ n: number }>(sql`select count(*) as n from ${journal}`);
  return row?.n ?? 0;
}

/** Where the data lives, for messages: the SQLite file's path, or the PostgreSQL URL without its password. */
export function describeDatabase(): string {
  const url = getEnv().ARBITER_DATABASE_URL;
  if (!isPostgres || !url) return databasePath();
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return `PostgreSQL ${parsed.toString()}`;
}
