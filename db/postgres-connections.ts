/**
 * PostgreSQL's connections: a read-only pool, a small pool for migrations and set-up, and write
 * transactions on a checked-out client under advisory locks (see db/client.ts and WriteLockScope).
 */
import path from 'node:path';
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { appRoot, getEnv } from '@/lib/env';
import { SerialLock, type Db, type RunInTransaction } from './db-types';
import * as schema from './schema';

/**
 * PostgreSQL's counterpart, longer: a waiting transaction costs nothing there (the server queues it; SQLite's
 * writer polls), and its bulk commits hold the all-writers lock longer than SQLite's (a foreign-key check per
 * row: a 30k-row import commits in ~0.5 s on SQLite, 3–5 s on PostgreSQL on this 2-core machine).
 */
export const POSTGRES_LOCK_TIMEOUT_MS = 15_000;

/**
 * Which other writers a PostgreSQL write transaction waits for (SQLite's BEGIN IMMEDIATE always waits for all):
 *   - 'all-writers' (the default): every other transaction that takes a lock here, as on SQLite;
 *   - { project }: default writers, and writers of the same project (annotation leases, skips and submits);
 *     writers of other projects run beside it;
 *   - 'rows': none; the transaction is correct under READ COMMITTED by row locks and unique keys alone
 *     (the job queue, an API token's last-used time).
 */
export type WriteLockScope = 'all-writers' | 'rows' | { project: number };

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

export type PostgresConnections = { dialect: 'postgres'; url: string; pool: pg.Pool; reader: Db; admin: pg.Pool; writeLock: SerialLock };

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
export function drizzleOver(client: pg.Pool | pg.PoolClient): Db {
  let database = drizzleByClient.get(client);
  if (!database) {
    database = drizzlePostgres({ client, schema }) as unknown as Db;
    drizzleByClient.set(client, database);
  }
  return database;
}

export function openPostgres(url: string): PostgresConnections {
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
export async function checkOut(pool: pg.Pool): Promise<{ client: pg.PoolClient; release(broken?: Error): void }> {
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

export async function migratePostgresSerialised(connections: PostgresConnections): Promise<void> {
  const { client, release } = await checkOut(connections.admin);
  try {
    await migratePostgresWith(client);
  } finally {
    release();
  }
}

export async function postgresWriteTransaction<T>(connections: PostgresConnections, fn: (tx: Db) => Promise<T>, run: RunInTransaction, lock: WriteLockScope): Promise<T> {
  // Default writers of this process take turns here before taking a connection, as on SQLite: they keep the
  // order they asked in, and a burst of them waits in memory rather than holding every pooled connection
  // while queued on the server's advisory lock.
  const releaseTurn = lock === 'all-writers' ? await connections.writeLock.acquire() : undefined;
  try {
    return await postgresTransactionOnClient(connections, fn, run, lock);
  } finally {
    releaseTurn?.();
  }
}

async function postgresTransactionOnClient<T>(connections: PostgresConnections, fn: (tx: Db) => Promise<T>, run: RunInTransaction, lock: WriteLockScope): Promise<T> {
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
      const result = await run(tx, fn);
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
