/**
 * PostgreSQL's side of the data layer (the PostgreSQL pass only; vitest.config.ts): migrations serialised by
 * an advisory lock when processes open a fresh database together, a write that waits for another writer's
 * lock without blocking the event loop and then gives up as "busy", and the lock scopes: writers of different
 * projects run side by side, a default writer runs alone. The SQLite counterparts are in sqlite-file.test.ts.
 */
import fs from 'node:fs';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { execute, POSTGRES_LOCK_TIMEOUT_MS, projectLock, rows, withWriteTransaction } from '@/db/client';
import { isBusyError } from '@/db/busy';
import { signInAttempts } from '@/db/schema';
import { dropTestDatabase } from '../../helpers/postgres';
import { runTs } from '../../helpers/spawn';
import { queryRows } from '../../helpers/sql';

const MIGRATIONS = (JSON.parse(fs.readFileSync('db/migrations-pg/meta/_journal.json', 'utf8')) as { entries: unknown[] }).entries.length;
const url = () => process.env.ARBITER_DATABASE_URL!;
const tick = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));

describe('database (PostgreSQL)', () => {
  it('migrates an empty database exactly once when three processes open it at the same moment', async () => {
    const server = new pg.Client({ connectionString: url() });
    await server.connect();
    const name = `fresh_${process.pid}`;
    const fresh = new URL(url());
    fresh.pathname = `/${name}`;
    try {
      await server.query(`drop database if exists ${name} with (force)`);
      await server.query(`create database ${name}`);
      const results = await Promise.all([1, 2, 3].map(() => runTs('tests/helpers/procs/open-db.ts', [], { ARBITER_DATABASE_URL: fresh.toString() })));
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const reports = results.map((r) => JSON.parse(r.stdout.trim()) as { tables: number; migrations: number });
      expect(new Set(reports.map((r) => r.migrations))).toEqual(new Set([MIGRATIONS]));
      expect(reports[0]!.tables).toBeGreaterThanOrEqual(20);
    } finally {
      await dropTestDatabase(fresh.toString());
      await server.end();
    }
  });

  it('a write waits for a writer holding the lock without blocking the event loop, then gives up as busy', async () => {
    // Another host's transaction holds the all-writers lock (db/client.ts's namespace 'ARBI', key 2).
    const other = new pg.Client({ connectionString: url() });
    await other.connect();
    await other.query('begin');
    await other.query('select pg_advisory_xact_lock($1, $2)', [0x41524249, 2]);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 50);
    const started = Date.now();
    let failure: unknown;
    try {
      await withWriteTransaction((tx) => tx.insert(signInAttempts).values({ email: 'late@example.com', attemptedAt: new Date() })).catch((error: unknown) => (failure = error));
    } finally {
      clearInterval(ticker);
      await other.query('rollback');
      await other.end();
    }
    expect(isBusyError(failure)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(POSTGRES_LOCK_TIMEOUT_MS - 100);
    expect(ticks).toBeGreaterThan(50);
    await withWriteTransaction((tx) => tx.insert(signInAttempts).values({ email: 'after@example.com', attemptedAt: new Date() }));
    expect((await queryRows<{ email: string }>('select email from sign_in_attempts')).map((r) => r.email)).toEqual(['after@example.com']);
  }, 30_000);

  it('lets writers of two projects run side by side, and runs a default writer alone', async () => {
    const order: string[] = [];
    const hold = (label: string, lock: Parameters<typeof withWriteTransaction>[1]) =>
      withWriteTransaction(async (tx) => {
        order.push(`${label} in`);
        await execute(sql`select pg_sleep(0.3)`, tx);
        order.push(`${label} out`);
      }, lock);
    // Projects 1 and 2 overlap; the default writer waits for both and holds the others off until it is done.
    const first = Promise.all([hold('p1', { lock: projectLock(1) }), hold('p2', { lock: projectLock(2) })]);
    await tick(100);
    const all = hold('all', {});
    await tick(100);
    const third = hold('p3', { lock: projectLock(3) });
    await Promise.all([first, all, third]);
    expect(order.slice(0, 2).sort()).toEqual(['p1 in', 'p2 in']);
    expect(order.indexOf('all in')).toBeGreaterThan(Math.max(order.indexOf('p1 out'), order.indexOf('p2 out')));
    expect(order.indexOf('all out')).toBe(order.indexOf('all in') + 1);
    expect(order.indexOf('p3 in')).toBeGreaterThan(order.indexOf('all out'));
    // The same project: one after the other.
    const same: string[] = [];
    await Promise.all(
      ['a', 'b'].map((label) =>
        withWriteTransaction(
          async (tx) => {
            same.push(`${label} in`);
            await execute(sql`select pg_sleep(0.2)`, tx);
            same.push(`${label} out`);
          },
          { lock: projectLock(7) },
        ),
      ),
    );
    expect(same[1]).toMatch(/out$/);
  });

  it('reads the serving order of a lease off its index, with no sort (the index matches ORDER BY priority DESC)', async () => {
    // With the sort made prohibitive, a plan that still sorts is one the index cannot serve: as it was while
    // the index said DESC NULLS LAST and the query DESC (NULLS FIRST on PostgreSQL), 40 ms per lease at 17,000 items.
    const plans: string[] = [];
    await withWriteTransaction(async (tx) => {
      await execute(sql`set local enable_sort = off`, tx);
      for (const order of [sql`priority desc, annotation_count asc, id asc`, sql`priority desc, id asc`]) {
        const plan = await rows<{ 'QUERY PLAN': string }>(sql`explain select id from items where project_id = 1 and status = 'open' and is_gold = false order by ${order} limit 1`, tx);
        plans.push(plan.map((r) => r['QUERY PLAN']).join('\n'));
      }
    });
    expect(plans[0]).toMatch(/items_serve_least_idx/);
    expect(plans[1]).toMatch(/items_serve_fixed_idx/);
    for (const plan of plans) expect(plan).not.toMatch(/Sort/);
  });

  it('goes on when the server ends a session idle inside a transaction (as after a pause): that transaction fails, the process and the pool live', async () => {
    let backend: number | undefined;
    const attempt = withWriteTransaction(
      async (tx) => {
        backend = (await rows<{ pid: number }>(sql`select pg_backend_pid() as pid`, tx))[0]!.pid;
        // Idle inside the transaction while another session ends this one, as idle_in_transaction_session_timeout does.
        await new Promise((resolve) => setTimeout(resolve, 500));
        await execute(sql`select 1`, tx);
      },
      { lock: 'rows' },
    );
    const outcome = attempt.then(
      () => 'committed',
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    while (backend === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    await queryRows('select pg_terminate_backend(?)', backend);
    expect(await outcome).not.toBe('committed');
    // The lost connection was not put back: the next transactions run.
    for (let k = 0; k < 3; k++) expect(await withWriteTransaction((tx) => rows<{ one: number }>(sql`select 1 as one`, tx), { lock: 'rows' })).toEqual([{ one: 1 }]);
  });
});
