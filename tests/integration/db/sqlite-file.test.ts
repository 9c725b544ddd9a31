/**
 * The SQLite file itself (the SQLite pass only; vitest.config.ts): its pragmas, the migration race of
 * processes opening a fresh file, its WAL, and a writer of another process holding the file's write lock.
 * PostgreSQL's counterparts are in postgres.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { db, getDb, openConnections, withWriteTransaction } from '@/db/client';
import { jobs, signInAttempts } from '@/db/schema';
import { runTs } from '../../helpers/spawn';
import { execSql } from '../../helpers/sql';

const MIGRATIONS = (JSON.parse(fs.readFileSync('db/migrations/meta/_journal.json', 'utf8')) as { entries: unknown[] }).entries.length;

describe('database (SQLite)', () => {
  describe('the SQLite file', () => {
    it('opens in WAL mode with foreign keys; the reader waits out a checkpoint, the writer waits for other processes asynchronously', () => {
      const writer = getDb().$client;
      const reader = (db() as unknown as ReturnType<typeof getDb>).$client;
      expect(writer.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(writer.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(writer.pragma('busy_timeout', { simple: true })).toBe(0);
      expect(reader.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(reader.pragma('query_only', { simple: true })).toBe(1);
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
  });

  describe('another process holding the SQLite write lock', () => {
    const attempts = async () => (await db().select().from(signInAttempts)).map((r) => r.email).sort();
    const clear = () => execSql('delete from sign_in_attempts');

    it('waits for another process holding the write lock without blocking the event loop, then gives up with SQLITE_BUSY', async () => {
      await clear();
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
