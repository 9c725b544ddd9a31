import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { db, getDb, openConnections, withWriteTransaction } from '@/db/client';
import { jobs, signInAttempts } from '@/db/schema';
import { runTs } from '../../helpers/spawn';

const MIGRATIONS = (JSON.parse(fs.readFileSync('db/migrations/meta/_journal.json', 'utf8')) as { entries: unknown[] }).entries.length;

describe('database', () => {
  it('opens in WAL mode with foreign keys; the reader waits out a checkpoint, the writer waits for other processes asynchronously', () => {
    const writer = getDb().$client;
    expect(writer.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(writer.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(writer.pragma('busy_timeout', { simple: true })).toBe(0);
    expect(db().$client.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db().$client.pragma('query_only', { simple: true })).toBe(1);
  });

  it('enforces foreign keys', () => {
    expect(() => getDb().$client.prepare("insert into prompts (project_id, messages, content_hash) values (99999, '[]', 'x')").run()).toThrow(/FOREIGN KEY/);
  });

  it('migrates a fresh file exactly once when three processes open it at the same moment', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-race-'));
    const results = await Promise.all([1, 2, 3].map(() => runTs('tests/helpers/procs/open-db.ts', [], { ARBITER_DATA_DIR: dir })));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const reports = results.map((r) => JSON.parse(r.stdout.trim()) as { tables: number; migrations: number });
    expect(new Set(reports.map((r) => r.migrations))).toEqual(new Set([MIGRATIONS]));
    expect(reports[0]!.tables).toBeGreaterThanOrEqual(20);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the WAL file small across thousands of autocommit inserts (checkpoints happen)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-wal-'));
    const file = path.join(dir, 'arbiter.db');
    const { reader, writer } = openConnections(file);
    for (let i = 0; i < 4000; i++) writer.insert(jobs).values({ kind: 'recompute-stats', payload: { projectId: 1 }, status: 'cancelled' }).returning().all();
    expect(fs.statSync(`${file}-wal`).size).toBeLessThan(8 * 1024 * 1024);
    reader.$client.close();
    writer.$client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('write transactions (the guarantee issue 21 needs from an async data layer)', () => {
    const attempts = async () => (await db().select().from(signInAttempts)).map((r) => r.email).sort();
    const clear = () => getDb().$client.prepare('delete from sign_in_attempts').run();
    const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

    it('refuses a write outside a transaction: the shared connection is read-only', async () => {
      const write = async () => db().run(sql`insert into sign_in_attempts (email, attempted_at) values ('x@example.com', 1)`);
      await expect(write()).rejects.toMatchObject({ cause: { code: 'SQLITE_READONLY' } });
      expect(await attempts()).toEqual([]);
    });

    it('keeps other requests out of an open transaction while it awaits, and their writes survive its rollback', async () => {
      clear();
      let readDuring: string[] = [];
      const rolledBack = withWriteTransaction(async (tx) => {
        await tx.insert(signInAttempts).values({ email: 'rolled-back@example.com', attemptedAt: new Date() });
        await tick(); // another request runs here
        await tick();
        throw new Error('abandon');
      });
      // Another request, started while the first transaction is open and waiting on a timer:
      const other = (async () => {
        await tick();
        readDuring = await attempts(); // a read does not see the uncommitted row
        await withWriteTransaction(async (tx) => {
          await tx.insert(signInAttempts).values({ email: 'kept@example.com', attemptedAt: new Date() });
        });
      })();
      await expect(rolledBack).rejects.toThrow('abandon');
      await other;
      expect(readDuring).toEqual([]);
      expect(await attempts()).toEqual(['kept@example.com']);
    });

    it('runs writers of one process one after another, in the order they asked', async () => {
      clear();
      const order: string[] = [];
      const write = (name: string) =>
        withWriteTransaction(async (tx) => {
          order.push(`${name}:begin`);
          await tick();
          await tx.insert(signInAttempts).values({ email: `${name}@example.com`, attemptedAt: new Date() });
          order.push(`${name}:commit`);
        });
      await Promise.all([write('a'), write('b'), write('c')]);
      expect(order).toEqual(['a:begin', 'a:commit', 'b:begin', 'b:commit', 'c:begin', 'c:commit']);
      expect(await attempts()).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
    });

    it('joins an open transaction when called inside one, so helpers see its writes and roll back with it', async () => {
      clear();
      const seen = await withWriteTransaction(async () => {
        await withWriteTransaction(async (tx) => tx.insert(signInAttempts).values({ email: 'inner@example.com', attemptedAt: new Date() }));
        return attempts(); // db() inside the transaction is the transaction
      });
      expect(seen).toEqual(['inner@example.com']);
      await expect(
        withWriteTransaction(async () => {
          await withWriteTransaction(async (tx) => tx.insert(signInAttempts).values({ email: 'undone@example.com', attemptedAt: new Date() }));
          throw new Error('outer fails');
        }),
      ).rejects.toThrow('outer fails');
      expect(await attempts()).toEqual(['inner@example.com']);
    });

    it('waits for another process holding the write lock without blocking the event loop, then gives up with SQLITE_BUSY', async () => {
      clear();
      const other = new Database(getDb().$client.name);
      other.exec('BEGIN IMMEDIATE');
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 50);
      const started = Date.now();
      try {
        await expect(withWriteTransaction(async (tx) => tx.insert(signInAttempts).values({ email: 'late@example.com', attemptedAt: new Date() }))).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
      } finally {
        clearInterval(ticker);
        other.exec('ROLLBACK');
        other.close();
      }
      expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
      expect(ticks).toBeGreaterThan(50); // the event loop kept turning while it waited
      // The lock is free again and the next writer goes through.
      await withWriteTransaction(async (tx) => tx.insert(signInAttempts).values({ email: 'after@example.com', attemptedAt: new Date() }));
      expect(await attempts()).toEqual(['after@example.com']);
    }, 15_000);
  });
});
