/**
 * The one place that opens the database, and the one door every query goes through.
 *
 * Each process holds two connections to the SQLite file (WAL, foreign keys on, migrations applied first):
 *   - a reader (`PRAGMA query_only`): every statement outside a write transaction runs here. A write
 *     attempted on it fails at once, so a write that forgot its transaction cannot slip through;
 *   - a writer, used only inside `withWriteTransaction`, one transaction at a time per process (an async
 *     lock), each one `BEGIN IMMEDIATE` so SQLite also serialises it against other processes.
 * Because the writer is never shared with a statement from outside the transaction, no other request's
 * statement can run inside an open transaction, even though query functions now await between statements
 * (the property issue 21's import fix relied on, kept for the async data layer). The same shape maps onto
 * PostgreSQL later: reads from the pool, a write transaction on one checked-out client.
 *
 * Query functions call `db()`: inside a write transaction it is that transaction's connection (found
 * through AsyncLocalStorage, so helpers called from inside see the transaction's own writes), elsewhere
 * the reader.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { appRoot, databasePath } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { isBusyError } from './busy';
import * as schema from './schema';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/** How long a write waits for another process's write lock before it gives up (503). */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * drizzle's migrator reads the last applied migration outside its transaction, so two processes
 * migrating a fresh file at once can both apply it. An exclusive transaction on a side file is a
 * cross-process mutex that SQLite gives us for free.
 */
function migrateSerialised(db: Db, file: string): void {
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

function connect(file: string, options: { readOnly: boolean }): Db {
  const client = new Database(file);
  client.pragma('journal_mode = WAL');
  client.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  client.pragma('foreign_keys = ON');
  client.pragma('synchronous = NORMAL');
  if (options.readOnly) client.pragma('query_only = 1');
  return drizzle({ client, schema }) as Db;
}

/** A serial lock: each acquire resolves once every earlier holder has released. */
class WriteLock {
  private tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => held);
    return previous.then(() => release);
  }
}

type Connections = { file: string; reader: Db; writer: Db; writeLock: WriteLock };

/** Opens (creating if needed) the database at `file`, brings its schema up to date, and returns both connections. */
export function openConnections(file: string): Connections {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const writer = connect(file, { readOnly: false });
  migrateSerialised(writer, file);
  // From here the writer waits for other processes' write locks asynchronously (beginImmediate), never by
  // blocking the event loop; the reader needs no lock in WAL mode but for a checkpoint's instant.
  writer.$client.pragma('busy_timeout = 0');
  return { file, writer, reader: connect(file, { readOnly: true }), writeLock: new WriteLock() };
}

let shared: Connections | undefined;

/** The process-wide connections, opened lazily (never at import time: `next build` imports routes). */
function connections(): Connections {
  shared ??= openConnections(databasePath());
  return shared;
}

/** Opens the database (migrating it) if this process has not yet. */
export function openDatabase(): void {
  connections();
}

export function closeDb(): void {
  shared?.reader.$client.close();
  shared?.writer.$client.close();
  shared = undefined;
}

const openTransaction = new AsyncLocalStorage<Db>();
const openSnapshot = new AsyncLocalStorage<Db>();

/** The connection for the next statement: the open write transaction's, or else the read-only one. */
export function db(): Db {
  return openTransaction.getStore() ?? openSnapshot.getStore() ?? connections().reader;
}

/**
 * The writer connection itself, outside any transaction: for tests and benchmarks that set up or inspect
 * state directly, and for backups. Product code reads through `db()` and writes through `withWriteTransaction`.
 */
export function getDb(): Db {
  return connections().writer;
}

const preparedByConnection = new WeakMap<Db, Map<unknown, unknown>>();

/**
 * A drizzle prepared statement (`….prepare()` over `sql.placeholder`s), built once per connection and
 * reused: building a query costs drizzle ~30 µs, several times SQLite's own cost of running a small one,
 * so the hot paths (a lease, a submit) prepare theirs. Call it with the connection to run on, `db()` or
 * the transaction's `tx`, and `await statement.execute(values)`.
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

async function beginImmediate(writer: Db): Promise<void> {
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

export type WriteTransactionOptions = {
  /** A SQLite file attached (under this schema name) for the transaction's length: the staged import. */
  attach?: { schemaName: string; file: string };
};

/**
 * Runs `fn` in one write transaction and commits it, or rolls it back if `fn` throws. Writers in this
 * process take turns; the transaction itself is `BEGIN IMMEDIATE`, so writers in other processes wait too
 * (asynchronously, up to BUSY_TIMEOUT_MS, then SQLITE_BUSY). Called inside an open transaction it joins it.
 */
export async function withWriteTransaction<T>(fn: (tx: Db) => Promise<T>, options: WriteTransactionOptions = {}): Promise<T> {
  const joined = openTransaction.getStore();
  if (joined) {
    if (options.attach) throw new AppError('invalid', 'a transaction with an attached file cannot join another one');
    return fn(joined);
  }
  const { writer, writeLock } = connections();
  const release = await writeLock.acquire();
  try {
    // ATTACH is refused inside a transaction, so it goes first and is undone last.
    if (options.attach) writer.$client.prepare('ATTACH DATABASE ? AS ' + options.attach.schemaName).run(options.attach.file);
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
      if (options.attach) writer.$client.exec('DETACH DATABASE ' + options.attach.schemaName);
    }
  } finally {
    release();
  }
}

/**
 * Runs `fn` with every `db()` read seeing one snapshot of the database, however long it takes: a long
 * export reads in pages, and without this a comparison committed between two pages could appear in one
 * file and not another. It gets a connection of its own (the shared reader must keep seeing new commits),
 * with a read transaction open for `fn`'s length. A write transaction started inside it (a job's progress)
 * runs on the writer as anywhere else, and `db()` inside that transaction is the transaction.
 */
export async function withReadSnapshot<T>(fn: () => Promise<T>): Promise<T> {
  if (openTransaction.getStore() || openSnapshot.getStore()) return fn(); // already one snapshot
  const snapshot = connect(connections().file, { readOnly: true });
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

/** Opens a scratch SQLite file of its own (the staged import's), outside the live database. */
export function openScratchDb(file: string, pragmas: string[] = []): Db {
  const client = new Database(file);
  for (const pragma of pragmas) client.pragma(pragma);
  return drizzle({ client }) as unknown as Db;
}

/** Closes a scratch file opened with `openScratchDb` (its owner then deletes it). */
export function closeScratchDb(scratch: Db): void {
  scratch.$client.close();
}

/** Runs the online backup API from the live database into `file` (the backup code's one raw call). */
export function backupTo(file: string): Promise<unknown> {
  return connections().writer.$client.backup(file);
}
