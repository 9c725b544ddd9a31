/**
 * The one place that opens SQLite. Every process (web server, workers, CLI, tests) gets its
 * connection here, with WAL, busy_timeout and foreign keys on, and migrations applied first.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { appRoot, databasePath } from '@/lib/env';
import * as schema from './schema';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

const BUSY_TIMEOUT_MS = 5000;

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

/** Opens (creating if needed) the database at `file` and brings its schema up to date. */
export function openDb(file: string): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const client = new Database(file);
  client.pragma('journal_mode = WAL');
  client.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  client.pragma('foreign_keys = ON');
  client.pragma('synchronous = NORMAL');
  const db = drizzle({ client, schema }) as Db;
  migrateSerialised(db, file);
  return db;
}

let shared: Db | undefined;

/** The process-wide connection, opened lazily (never at import time: `next build` imports routes). */
export function getDb(): Db {
  shared ??= openDb(databasePath());
  return shared;
}

export function closeDb(): void {
  shared?.$client.close();
  shared = undefined;
}
