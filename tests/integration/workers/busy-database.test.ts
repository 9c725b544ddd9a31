/**
 * A worker that finds the database write-locked for longer than busy_timeout waits and retries; it used
 * to exit on SQLITE_BUSY ("database is locked") and crash-loop under `npm start`, backing off to 30 s.
 */
import Database from 'better-sqlite3';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { jobs } from '@/db/schema';
import { databasePath } from '@/lib/env';
import { createGeneratedProject } from '../../helpers/projects';
import { collect, spawnTs, waitFor } from '../../helpers/spawn';

const FAST = { ARBITER_HEARTBEAT_MS: '100', ARBITER_WORKER_POLL_MS: '50', ARBITER_STALE_MS: '30000' };

describe('a worker and a busy database', () => {
  it('holds on while another process keeps the write lock past busy_timeout, then runs the job', async () => {
    const project = await createGeneratedProject({ prompts: 20 });
    const worker = spawnTs('workers/main.ts', [], FAST);
    const finished = collect(worker);
    let stdout = '';
    worker.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    await waitFor(() => stdout.includes('ready'), 30_000, 20);

    // Another process (here: this one, on a connection of its own) holds the write lock for 7 s > busy_timeout (5 s).
    const holder = new Database(databasePath());
    holder.exec('BEGIN IMMEDIATE');
    const job = enqueueJobWhileLocked(holder, project.projectId);
    await new Promise((r) => setTimeout(r, 7000));
    expect(worker.exitCode, `the worker exited while the database was locked:\n${stdout}`).toBeNull();
    holder.exec('COMMIT');
    holder.close();

    await waitFor(() => getDb().select().from(jobs).where(eq(jobs.id, job)).get()?.status === 'succeeded', 30_000, 50);
    worker.kill('SIGTERM');
    const exit = await finished;
    expect(exit.code, exit.stderr).toBe(0);
    expect(stdout).toMatch(/database busy; waiting to claim/);
  }, 60_000);
});

/** The job is inserted inside the holder's transaction, so it becomes visible only when the lock is released. */
function enqueueJobWhileLocked(holder: Database.Database, projectId: number): number {
  const info = holder
    .prepare("insert into jobs (kind, payload, priority, max_attempts, project_id, run_at) values ('recompute-stats', ?, 0, 3, ?, ?)")
    .run(JSON.stringify({ projectId }), projectId, Date.now());
  return Number(info.lastInsertRowid);
}
