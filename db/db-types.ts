/**
 * The database's types, shared by the door (db/client.ts) and the two dialects' connection code
 * (db/sqlite-connections.ts, db/postgres-connections.ts).
 */
import type Database from 'better-sqlite3';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type * as schema from './schema';

/** drizzle over better-sqlite3, with the driver's own client. */
export type SqliteDb = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/**
 * The database as query code sees it: drizzle's builders, typed by the SQLite schema (the PostgreSQL tables
 * have the same JS types, db/schema/index.ts). The driver-specific methods are left out because only one
 * dialect has them: raw SQL goes through `rows`, `firstRow` and `execute` (db/client.ts).
 */
export type Db = Omit<SqliteDb, 'all' | 'get' | 'run' | 'values' | 'transaction' | 'batch' | '$client'>;

/** Runs a transaction's body with `tx` as the connection `db()` returns inside it (db/client.ts keeps which one is open). */
export type RunInTransaction = <T>(tx: Db, fn: (tx: Db) => Promise<T>) => Promise<T>;

/** A serial lock: each acquire resolves once every earlier holder has released. */
export class SerialLock {
  private tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => held);
    return previous.then(() => release);
  }
}

