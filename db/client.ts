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
 * in db/sql-dialect.ts.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { aliasedTable, sql, type SQL } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { drizzle as drizzlePostgres, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { appRoot, databasePath, getEnv } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { isBusyError } from './busy';
import { isPostgres } from './dialect';
import * as schema from './schema';

type SqliteDb = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/**
 * The database as query code sees it: drizzle's builders, typed by the SQLite schema (the PostgreSQL tables
 * have the same JS types, db/schema/index.ts). The driver-specific methods are left out because only one
 * dialect has them: raw SQL goes through `rows`, `firstRow` and `execute` below.
 */
export type Db = Omit<SqliteDb, 'all' | 'get' | 'run' | 'values' | 'transaction' | 'batch' | '$client'>;

/** How long a write waits for another writer's lock before it gives up (503). */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * PostgreSQL's counterpart, longer: a waiting transaction costs nothing there (the server queues it; SQLite's
 * writer polls), and its bulk commits hold the all-writers lock longer than SQLite's (a foreign-key check per
 * row: a 30k-row import commits in ~0.5 s on SQLite, 3–5 s on PostgreSQL on this 2-core machine).
 */
export const POSTGRES_LOCK_TIMEOUT_MS = 15_000;

/** Re-exported so query code names aliases one way on both dialects (sqlite-core's and pg-core's `alias` are this). */
export const alias = aliasedTable;

// ---------------------------------------------------------------------------------------------------------
// SQLite
// ---------------------------------------------------------------------------------------------------------

/**
 * drizzle's migrator reads the last applied migration outside its transaction, so two processes
 * migrating a fresh file at once can both apply it. An exclusive transaction on a side file is a
 * cross-process mutex that SQLite gives us for free.
 */
function migrateSerialised(db: SqliteDb, file: string): void {
  const lock = new Database(`${file}.migrate-lock`);
  try {
    lock.pragma('busy_timeout = 60000');
    lock.exec('BEGIN EXCLUSIVE');
    try {
      // The app's root: the working directory, or where the `arbiter` bin says the package lives.
      migrate(db, { migrationsFolder: path.join(appRoot(), 'db', 'migrations') });
    } finally {
      lock.exec('COMMIT');
    }
  } finally {
    lock.close();
  }
}

function connect(file: string, options: { readOnly: boolean }): SqliteDb {
  const client = new Database(file);
  client.pragma('journal_mode = WAL');
  client.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  client.pragma('foreign_keys = ON');
  client.pragma('synchronous = NORMAL');
  if (options.readOnly) client.pragma('query_only = 1');
  return drizzle({ client, schema }) as SqliteDb;
}

/** A serial lock: each acquire resolves once every earlier holder has released. */
class SerialLock {
  private tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => held);
    return previous.then(() => release);
  }
}

type SqliteConnections = { dialect: 'sqlite'; file: string; reader: SqliteDb; writer: SqliteDb; writeLock: SerialLock };

/** Opens (creating if needed) the SQLite database at `file`, brings its schema up to date, and returns both connections. */
export function openConnections(file: string): SqliteConnections {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const writer = connect(file, { readOnly: false });
  migrateSerialised(writer, file);
  // From here the writer waits for other processes' write locks asynchronously (beginImmediate), never by
  // blocking the event loop; the reader needs no lock in WAL mode but for a checkpoint's instant.
  writer.$client.pragma('busy_timeout = 0');
  return { dialect: 'sqlite', file, writer, reader: connect(file, { readOnly: true }), writeLock: new SerialLock() };
}

async function beginImmediate(writer: SqliteDb): Promise<void> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      writer.$client.exec('BEGIN IMMEDIATE');
      return;
    } catch (error) {
      if (!isBusyError(error)) throw error;
      // Another process holds the write lock (a worker, an import's commit): wait without blocking the event
      // loop. Short, jittered waits: a process committing back to back leaves the lock free only briefly, and
      // long sleeps would rarely land in those gaps (two busy queue workers starved each other at 100 ms).
      if (Date.now() - started >= BUSY_TIMEOUT_MS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(20, 1 + attempt) * (0.5 + Math.random())));
    }
  }
}

async function sqliteWriteTransaction<T>(connections: SqliteConnections, fn: (tx: Db) => Promise<T>, attach?: WriteTransactionOptions['attach']): Promise<T> {
  const { writer, writeLock } = connections;
  const release = await writeLock.acquire();
  try {
    // ATTACH is refused inside a transaction, so it goes first and is undone last.
    if (attach) writer.$client.prepare('ATTACH DATABASE ? AS ' + attach.schemaName).run(attach.file);
    try {
      await beginImmediate(writer);
      try {
        const result = await openTransaction.run(writer, () => fn(writer));
        writer.$client.exec('COMMIT');
        return result;
      } catch (error) {
        if (writer.$client.inTransaction) writer.$client.exec('ROLLBACK');
        throw error;
      }
    } finally {
      if (attach) writer.$client.exec('DETACH DATABASE ' + attach.schemaName);
    }
  } finally {
    release();
  }
}

// ---------------------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------------------

// node-postgres hands int8 (count(*), sum of integers, bigint columns) and numeric back as strings, and parses
// json/jsonb. Counts and millisecond times fit a double exactly; JSON stays text in raw rows, as SQLite gives
// it, and drizzle's json columns parse it themselves. Set once for the process (drizzle reads these parsers).
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.JSON, (value) => value);
pg.types.setTypeParser(pg.types.builtins.JSONB, (value) => value);

/** Advisory lock keys (two int4s: a namespace that is Arbiter's, then what is locked). */
const LOCK_NAMESPACE = 0x41524249; // 'ARBI'
const PROJECT_LOCK_NAMESPACE = 0x41524250; // 'ARBP': one lock per project id
const MIGRATION_LOCK = 1;
const ALL_WRITERS_LOCK = 2;

type PostgresConnections = { dialect: 'postgres'; url: string; pool: pg.Pool; reader: Db; admin: pg.Pool; writeLock: SerialLock };

/** The shortest idle-in-transaction limit (ms), whatever ARBITER_STALE_MS says: a transaction may wait on file I/O or a busy event loop. */
const IDLE_IN_TRANSACTION_FLOOR_MS = 10_000;

/** Connections a process keeps to PostgreSQL (ARBITER_DATABASE_POOL_SIZE): web processes × this + workers must stay under max_connections. */
function openPool(url: string, options: { readOnly: boolean; max: number }): pg.Pool {
  const settings = [
    // A process paused inside a transaction (SIGSTOP, a debugger, a partition that keeps the socket open)
    // would hold its row and advisory locks for as long as it is paused: a worker's job could then never be
    // swept back to the queue (the sweep skips locked rows). PostgreSQL ends such a session instead; the
    // paused process finds its connection gone when it wakes, and its lease lost (db/queries/queue.ts).
    `-c idle_in_transaction_session_timeout=${Math.max(getEnv().ARBITER_STALE_MS, IDLE_IN_TRANSACTION_FLOOR_MS)}`,
    // Like SQLite's query_only reader: a statement outside `withWriteTransaction` cannot write.
    ...(options.readOnly ? ['-c default_transaction_read_only=on'] : []),
  ];
  const pool = new pg.Pool({ connectionString: url, max: options.max, options: settings.join(' ') });
  // An idle client that loses its server (a restart, a network drop) emits here; without a listener Node exits.
  pool.on('error', (error) => console.error(`[db] idle PostgreSQL connection failed: ${error.message}`));
  return pool;
}

const drizzleByClient = new WeakMap<pg.Pool | pg.PoolClient, Db>();

/** The drizzle database over one pool or checked-out client, made once (its prepared statements are cached per instance). */
function drizzleOver(client: pg.Pool | pg.PoolClient): Db {
  let database = drizzleByClient.get(client);
  if (!database) {
    database = drizzlePostgres({ client, schema }) as unknown as Db;
    drizzleByClient.set(client, database);
  }
  return database;
}

function openPostgres(url: string): PostgresConnections {
  const pool = openPool(url, { readOnly: true, max: getEnv().ARBITER_DATABASE_POOL_SIZE });
  return { dialect: 'postgres', url, pool, reader: drizzleOver(pool), admin: openPool(url, { readOnly: false, max: 2 }), writeLock: new SerialLock() };
}

/**
 * Applies db/migrations-pg over `client` under a session advisory lock, so processes starting together
 * migrate once (drizzle's migrator reads what was applied before its own transaction starts).
 */
export async function migratePostgresWith(client: pg.Client | pg.PoolClient): Promise<void> {
  await client.query('select pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, MIGRATION_LOCK]);
  try {
    await migratePostgres(drizzlePostgres({ client }), { migrationsFolder: path.join(appRoot(), 'db', 'migrations-pg') });
  } finally {
    await client.query('select pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, MIGRATION_LOCK]);
  }
}

/**
 * A pooled connection, heard while checked out. The pool listens for a client's errors only while it is idle;
 * a server that ends the session of a checked-out one (idle_in_transaction_session_timeout after the process
 * was paused, a restart, a network drop) emits 'error' on it, which unheard would crash the process. The
 * query in flight rejects on its own; the lost client is closed on release instead of going back to the pool.
 */
async function checkOut(pool: pg.Pool): Promise<{ client: pg.PoolClient; release(broken?: Error): void }> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost = error;
  };
  client.on('error', onError);
  return {
    client,
    release: (broken) => {
      client.removeListener('error', onError);
      client.release(broken ?? lost);
    },
  };
}

async function migratePostgresSerialised(connections: PostgresConnections): Promise<void> {
  const { client, release } = await checkOut(connections.admin);
  try {
    await migratePostgresWith(client);
  } finally {
    release();
  }
}

async function postgresWriteTransaction<T>(connections: PostgresConnections, fn: (tx: Db) => Promise<T>, lock: WriteLockScope): Promise<T> {
  // Default writers of this process take turns here before taking a connection, as on SQLite: they keep the
  // order they asked in, and a burst of them waits in memory rather than holding every pooled connection
  // while queued on the server's advisory lock.
  const releaseTurn = lock === 'all-writers' ? await connections.writeLock.acquire() : undefined;
  try {
    return await postgresTransactionOnClient(connections, fn, lock);
  } finally {
    releaseTurn?.();
  }
}

async function postgresTransactionOnClient<T>(connections: PostgresConnections, fn: (tx: Db) => Promise<T>, lock: WriteLockScope): Promise<T> {
  const { client, release } = await checkOut(connections.pool);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN READ WRITE');
    try {
      // The counterpart of SQLite's busy timeout: a lock wait (the advisory lock, a row lock) gives up with 55P03.
      await client.query(`SET LOCAL lock_timeout = ${POSTGRES_LOCK_TIMEOUT_MS}`);
      if (lock === 'all-writers') await client.query('select pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, ALL_WRITERS_LOCK]);
      else if (lock !== 'rows') {
        // Shared on the all-writers lock, so that a default writer (a settings change, an import) still runs
        // alone as on SQLite, while writers of different projects proceed side by side.
        await client.query('select pg_advisory_xact_lock_shared($1, $2)', [LOCK_NAMESPACE, ALL_WRITERS_LOCK]);
        await client.query('select pg_advisory_xact_lock($1, $2)', [PROJECT_LOCK_NAMESPACE, lock.project]);
      }
      const tx = drizzleOver(client);
      const result = await openTransaction.run(tx, () => fn(tx));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    }
  } finally {
    // A client whose rollback failed is in an unknown state: the pool closes it instead of reusing it.
    release(broken);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The door
// ---------------------------------------------------------------------------------------------------------

type Connections = SqliteConnections | PostgresConnections;

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

const openTransaction = new AsyncLocalStorage<Db>();
const openSnapshot = new AsyncLocalStorage<Db>();

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

/**
 * Which other writers a PostgreSQL write transaction waits for (SQLite's BEGIN IMMEDIATE always waits for all):
 *   - 'all-writers' (the default): every other transaction that takes a lock here, as on SQLite;
 *   - { project }: default writers, and writers of the same project (annotation leases, skips and submits);
 *     writers of other projects run beside it;
 *   - 'rows': none; the transaction is correct under READ COMMITTED by row locks and unique keys alone
 *     (the job queue, an API token's last-used time).
 */
export type WriteLockScope = 'all-writers' | 'rows' | { project: number };

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
  if (opened.dialect === 'sqlite') return sqliteWriteTransaction(opened, fn, options.attach);
  if (options.attach) throw new Error('attaching a SQLite file is for the SQLite dialect only');
  return postgresWriteTransaction(opened, fn, options.lock ?? 'all-writers');
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
