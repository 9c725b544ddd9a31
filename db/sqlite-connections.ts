/**
 * SQLite's connections: each process holds two to the file (WAL, foreign keys on, migrations applied
 * first), a read-only reader and a writer used one transaction at a time (see db/client.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { appRoot } from '@/lib/env';
import { isBusyError } from './busy';
import { SerialLock, type Db, type RunInTransaction, type SqliteDb } from './db-types';
import * as schema from './schema';

/** How long a write waits for another writer's lock before it gives up (503). */
export const BUSY_TIMEOUT_MS = 5000;

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

export function connect(file: string, options: { readOnly: boolean }): SqliteDb {
  const client = new Database(file);
  client.pragma('journal_mode = WAL');
  client.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  client.pragma('foreign_keys = ON');
  client.pragma('synchronous = NORMAL');
  if (options.readOnly) client.pragma('query_only = 1');
  return drizzle({ client, schema }) as SqliteDb;
}

export type SqliteConnections = { dialect: 'sqlite'; file: string; reader: SqliteDb; writer: SqliteDb; writeLock: SerialLock };

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

export async function sqliteWriteTransaction<T>(connections: SqliteConnections, fn: (tx: Db) => Promise<T>, run: RunInTransaction, attach?: { schemaName: string; file: string }): Promise<T> {
  const { writer, writeLock } = connections;
  const release = await writeLock.acquire();
  try {
    // ATTACH is refused inside a transaction, so it goes first and is undone last.
    if (attach) writer.$client.prepare('ATTACH DATABASE ? AS ' + attach.schemaName).run(attach.file);
    try {
      await beginImmediate(writer);
      try {
        const result = await run(writer, fn);
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
