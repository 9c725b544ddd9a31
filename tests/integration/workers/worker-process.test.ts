import type { ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { eq } from 'drizzle-orm';
import { isPostgres } from '@/db/dialect';
import { databasePath } from '@/lib/env';
import { describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { getPolicy, startAlignment } from '@/db/queries/policies';
import { getProjectForActor } from '@/db/queries/projects';
import { jobs } from '@/db/schema';
import { artifactStore } from '@/lib/artifacts';
import { CLI_ACTOR } from '@/lib/auth/access';
import { enqueueJob } from '@/db/queries/queue';
import { createGeneratedProject } from '../../helpers/projects';
import { collect, spawnTs, waitFor } from '../../helpers/spawn';
import { queryRows } from '../../helpers/sql';

const jobRow = async (id: number) => (await getDb().select().from(jobs).where(eq(jobs.id, id)))[0]!;
/**
 * SIGSTOPs a worker, but not inside a SQLite write transaction: a process paused there holds the database's
 * one write lock, and every other writer waits for it — SQLite cannot take a lock back from a live process.
 * (PostgreSQL ends a session left idle inside a transaction: db/client.ts, idle_in_transaction_session_timeout.)
 */
async function pauseOutsideWriteTransactions(worker: ChildProcess): Promise<void> {
  for (let tries = 0; tries < 50; tries++) {
    worker.kill('SIGSTOP');
    if (isPostgres) return;
    const probe = new Database(databasePath(), { timeout: 100 });
    try {
      probe.exec('BEGIN IMMEDIATE');
      probe.exec('ROLLBACK');
      return;
    } catch {
      worker.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      probe.close();
    }
  }
  throw new Error('the worker held the write lock at every try');
}

const FAST = { ARBITER_HEARTBEAT_MS: '100', ARBITER_WORKER_POLL_MS: '50', ARBITER_STALE_MS: '1000' };

describe('worker process', () => {
  it('kill -9 in the middle of a job, then a restart: another worker recovers it and it completes from its checkpoint', async () => {
    const project = await createGeneratedProject({ prompts: 10_000 });
    const job = await enqueueJob('recompute-stats', { projectId: project.projectId, chunkSize: 100 });

    const first = spawnTs('workers/main.ts', [], FAST);
    const firstDone = collect(first);
    const before = await waitFor(async () => {
      const row = await jobRow(job.id);
      return row.status === 'running' && row.progress >= 0.1 ? row : undefined;
    }, 30_000, 2);
    first.kill('SIGKILL');
    const killed = await firstDone;
    expect(killed.signal).toBe('SIGKILL');
    const atKill = await jobRow(job.id);
    expect(atKill.status).toBe('running'); // nobody settled it: the worker died holding the lock
    expect(atKill.progress).toBeLessThan(1);
    expect(before.lockedBy).toContain(String(first.pid));

    const second = spawnTs('workers/main.ts', [], FAST);
    const secondDone = collect(second);
    await waitFor(async () => (await jobRow(job.id)).status === 'succeeded', 30_000, 20);
    second.kill('SIGTERM');
    const exit = await secondDone;
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toMatch(/recovered stale jobs/);

    const finished = await jobRow(job.id);
    expect(finished.status).toBe('succeeded');
    expect(finished.attempts).toBe(2);
    const result = finished.result as { comparisons: number; resumedFrom: number };
    expect(result.resumedFrom).toBeGreaterThan(0);
    expect(result.comparisons).toBe(project.comparisons);
    expect((await getProjectForActor(CLI_ACTOR, project.projectId)).stats?.comparisons).toBe(project.comparisons);
  });

  it('kill -9 in the middle of alignment training: another worker resumes from the last checkpoint and the policy is ready', async () => {
    const project = await createGeneratedProject({ prompts: 30 });
    const { policy, jobId } = await startAlignment(CLI_ACTOR, project.projectId, { layers: 1, dModel: 32, heads: 2, contextLength: 64, sftEpochs: 3, epochs: 6, batchSize: 8, evalPrompts: 2, maxNewTokens: 8 });
    const env = { ...FAST, ARBITER_ML_BACKEND: 'wasm', ARBITER_STALE_MS: '1500' };
    const first = spawnTs('workers/main.ts', [], env);
    const firstDone = collect(first);
    // Kill as soon as a checkpoint exists (after an SFT epoch or later): mid-training, holding the lock.
    const checkpoint = await waitFor(async () => ((await jobRow(jobId)).checkpoint as { stage?: string; step?: number } | null) ?? undefined, 60_000, 2);
    first.kill('SIGKILL');
    expect((await firstDone).signal).toBe('SIGKILL');
    expect((await jobRow(jobId)).status).toBe('running');
    expect((await getPolicy(CLI_ACTOR, policy.id)).status).toBe('training');

    const second = spawnTs('workers/main.ts', [], env);
    const secondDone = collect(second);
    await waitFor(async () => ['succeeded', 'failed'].includes((await jobRow(jobId)).status) || undefined, 120_000, 50);
    second.kill('SIGTERM');
    const exit = await secondDone;
    expect(await jobRow(jobId)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(exit.stdout).toMatch(/recovered stale jobs/);
    expect(exit.stdout).toMatch(new RegExp(`resuming: (sft|preference) stage, round 1, after step ${checkpoint.step}`));
    expect((await getPolicy(CLI_ACTOR, policy.id)).status).toBe('ready');
    // Every training step is in the metrics exactly once, across both workers.
    const steps = (await queryRows<{ step: number }>("select step from job_metrics where job_id = ? and name = 'loss' order by step", jobId)).map((r) => r.step);
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, k) => k + 1));
  }, 200_000);

  it('SIGTERM during a job: the worker hands the job back and exits cleanly', async () => {
    const project = await createGeneratedProject({ prompts: 6000 });
    const job = await enqueueJob('recompute-stats', { projectId: project.projectId, chunkSize: 100 });
    const worker = spawnTs('workers/main.ts', [], FAST);
    const done = collect(worker);
    await waitFor(async () => (await jobRow(job.id)).progress >= 0.05, 30_000, 2);
    worker.kill('SIGTERM');
    const exit = await done;
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toMatch(/finishing up[\s\S]*Worker shutting down[\s\S]*stopped/);
    expect(await jobRow(job.id)).toMatchObject({ status: 'queued', attempts: 0, lockedBy: null });
  });

  it('SIGSTOP past the stale timeout, then SIGCONT while another worker runs the job: the woken worker writes nothing (fencing)', async () => {
    const project = await createGeneratedProject({ prompts: 30 });
    const { policy, jobId } = await startAlignment(CLI_ACTOR, project.projectId, { layers: 1, dModel: 32, heads: 2, contextLength: 64, sftEpochs: 3, epochs: 6, batchSize: 8, evalPrompts: 2, maxNewTokens: 8 });
    const env = { ...FAST, ARBITER_ML_BACKEND: 'wasm', ARBITER_STALE_MS: '1500' };
    const paused = spawnTs('workers/main.ts', [], env);
    const pausedDone = collect(paused);
    // Pause it mid-training, holding the job: right after a metric row lands (a write just ended, a step is computing).
    const metricsBefore = await waitFor(async () => {
      const [row] = await queryRows<{ n: number }>('select count(*) as n from job_metrics where job_id = ?', jobId);
      return Number(row!.n) >= 3 ? Number(row!.n) : undefined;
    }, 60_000, 2);
    await pauseOutsideWriteTransactions(paused);
    expect(metricsBefore).toBeGreaterThan(0);

    // The other worker's sweep requeues it once the heartbeat is older than the stale timeout, and takes it.
    const owner = spawnTs('workers/main.ts', [], env);
    const ownerDone = collect(owner);
    await waitFor(async () => {
      const row = await jobRow(jobId);
      return row.attempts === 2 && row.status === 'running' && row.lockedBy?.endsWith(`:${owner.pid}`) && (row.checkpoint as { step?: number } | null)?.step;
    }, 60_000, 20);
    // Wake the paused worker while the new owner trains: its next write finds its lease gone.
    paused.kill('SIGCONT');
    await waitFor(async () => ['succeeded', 'failed'].includes((await jobRow(jobId)).status) || undefined, 120_000, 50);
    paused.kill('SIGTERM');
    owner.kill('SIGTERM');
    const [pausedExit, ownerExit] = await Promise.all([pausedDone, ownerDone]);

    expect(await jobRow(jobId)).toMatchObject({ status: 'succeeded', attempts: 2 });
    // Its lease is gone (on PostgreSQL its connection may be gone too: the server ends a session paused inside a transaction).
    expect(pausedExit.stdout).toMatch(/Worker lost its lock on the job|→ lock lost/);
    expect(pausedExit.stdout).not.toMatch(new RegExp(`\\[align-policy #${jobId}\\] succeeded`));
    expect(ownerExit.stdout).toMatch(new RegExp(`\\[align-policy #${jobId}\\] succeeded`));
    const ready = await getPolicy(CLI_ACTOR, policy.id);
    expect(ready).toMatchObject({ status: 'ready', artifactPath: `models/${policy.id}/job${jobId}-a2/policy` });
    // Files are per attempt: the owner published its own (attempt 2); the woken worker's writes went under attempt 1 only
    // (what it put after the owner's cleanup is left for a sweep: no row names it).
    const keys = (await artifactStore().list(`models/${policy.id}`)).map((e) => e.key);
    expect(keys).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => `${ready.artifactPath}/${f}`)));
    expect(keys.filter((k) => !k.startsWith(`models/${policy.id}/job${jobId}-a2/`) && !k.startsWith(`models/${policy.id}/job${jobId}-a1/checkpoints/`))).toEqual([]);
    // Every training step's loss is in the metrics exactly once: the paused attempt added none after it woke.
    const steps = (await queryRows<{ step: number }>("select step from job_metrics where job_id = ? and name = 'loss' order by step", jobId)).map((r) => r.step);
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, k) => k + 1));
  }, 240_000);
});
