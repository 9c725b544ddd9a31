import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { getProjectForActor } from '@/db/queries/projects';
import { jobMetrics, jobs } from '@/db/schema';
import { CLI_ACTOR } from '@/lib/auth/access';
import { enqueueJob, requestJobCancel } from '@/db/queries/queue';
import { runOnce } from '@/workers/run-once';
import { createGeneratedProject } from '../../helpers/projects';
import { waitFor } from '../../helpers/spawn';

const quiet = () => undefined;
const jobRow = async (id: number) => (await getDb().select().from(jobs).where(eq(jobs.id, id)))[0]!;

describe('worker runOnce', () => {
  it('returns null when the queue is empty', async () => {
    expect(await runOnce({ workerId: 't', heartbeatMs: 50, log: quiet })).toBeNull();
  });

  it('runs recompute-stats end to end: progress, metrics, result and the project summary', async () => {
    const project = await createGeneratedProject({ prompts: 30 });
    const job = await enqueueJob('recompute-stats', { projectId: project.projectId, chunkSize: 100 });
    expect(await runOnce({ workerId: 't', heartbeatMs: 50, log: quiet })).toEqual({ jobId: job.id, kind: 'recompute-stats', status: 'succeeded' });
    const done = await jobRow(job.id);
    expect(done).toMatchObject({ status: 'succeeded', progress: 1, attempts: 1, checkpoint: null });
    expect(done.result).toMatchObject({ comparisons: project.comparisons, judgments: project.judgments, resumedFrom: 0 });
    const steps = (await getDb().select().from(jobMetrics).where(eq(jobMetrics.jobId, job.id))).filter((m) => m.name === 'comparisons');
    expect(steps.length).toBe(Math.ceil(project.comparisons / 100));
    expect(steps.at(-1)!.value).toBe(project.comparisons);
    const stats = (await getProjectForActor(CLI_ACTOR, project.projectId)).stats!;
    expect(stats.comparisons).toBe(project.comparisons);
    expect(stats.systems.reduce((s, x) => s + x.battles, 0)).toBe(2 * project.comparisons);
  });

  it('retries a job whose handler throws, recording the error', async () => {
    const job = await enqueueJob('recompute-stats', { projectId: 987654 });
    const result = await runOnce({ workerId: 't', heartbeatMs: 50, log: quiet });
    expect(result?.status).toBe('queued');
    expect((await jobRow(job.id)).lastError).toMatch(/project 987654 does not exist/);
    await requestJobCancel(job.id);
  });

  it('fails a job whose stored payload no longer matches its schema, without crashing', async () => {
    const job = await enqueueJob('recompute-stats', { projectId: 1 });
    await getDb().update(jobs).set({ payload: { projectId: 'oops' }, maxAttempts: 1 }).where(eq(jobs.id, job.id));
    expect((await runOnce({ workerId: 't', heartbeatMs: 50, log: quiet }))?.status).toBe('failed');
    expect((await jobRow(job.id)).lastError).toMatch(/invalid payload: projectId/);
  });

  it('stops a running job through its AbortSignal when cancelled', async () => {
    const project = await createGeneratedProject({ prompts: 3000 });
    const job = await enqueueJob('recompute-stats', { projectId: project.projectId, chunkSize: 100 });
    const running = runOnce({ workerId: 't', heartbeatMs: 20, log: quiet });
    await waitFor(async () => (await jobRow(job.id)).progress > 0.05, 10_000);
    await requestJobCancel(job.id);
    expect((await running)?.status).toBe('cancelled');
    const row = await jobRow(job.id);
    expect(row.status).toBe('cancelled');
    expect(row.progress).toBeLessThan(1);
  });

  it('hands the job back when the worker is shutting down', async () => {
    const project = await createGeneratedProject({ prompts: 3000 });
    const job = await enqueueJob('recompute-stats', { projectId: project.projectId, chunkSize: 100 });
    const shutdown = new AbortController();
    const running = runOnce({ workerId: 't', heartbeatMs: 20, log: quiet, shutdownSignal: shutdown.signal });
    await waitFor(async () => (await jobRow(job.id)).progress > 0.05, 10_000);
    shutdown.abort();
    expect((await running)?.status).toBe('released');
    expect(await jobRow(job.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect((await jobRow(job.id)).checkpoint).toMatchObject({ lastId: expect.any(Number) });
    // The next run resumes from the checkpoint instead of starting over.
    expect((await runOnce({ workerId: 't2', heartbeatMs: 50, log: quiet }))?.status).toBe('succeeded');
    const result = (await jobRow(job.id)).result as { resumedFrom: number; comparisons: number };
    expect(result.resumedFrom).toBeGreaterThan(0);
    expect(result.comparisons).toBe(project.comparisons);
  });
});
