import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getDb, openDb } from '@/db/client';
import { jobs } from '@/db/schema';
import { runTs } from '../../helpers/spawn';

const MIGRATIONS = (JSON.parse(fs.readFileSync('db/migrations/meta/_journal.json', 'utf8')) as { entries: unknown[] }).entries.length;

describe('database', () => {
  it('opens in WAL mode with foreign keys and a busy timeout', () => {
    const client = getDb().$client;
    expect(client.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(client.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(client.pragma('busy_timeout', { simple: true })).toBe(5000);
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
    const db = openDb(file);
    for (let i = 0; i < 4000; i++) db.insert(jobs).values({ kind: 'recompute-stats', payload: { projectId: 1 }, status: 'cancelled' }).returning().all();
    expect(fs.statSync(`${file}-wal`).size).toBeLessThan(8 * 1024 * 1024);
    db.$client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
