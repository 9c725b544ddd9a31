import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { jobMetrics, jobs } from '@/db/schema';
import {
  addJobMetrics,
  claimNextJob,
  completeJob,
  enqueueJob,
  failJob,
  heartbeatJob,
  markJobCancelled,
  releaseJob,
  reportJobProgress,
  requestJobCancel,
  requeueStaleJobs,
} from '@/db/queries/queue';
import { createGeneratedProject } from '../../helpers/projects';

const db = () => getDb();
const jobRow = async (id: number) => (await db().select().from(jobs).where(eq(jobs.id, id)))[0]!;

describe('job queue', async () => {
  const { projectId } = await createGeneratedProject();

  it('validates the payload with the kind schema and applies defaults', async () => {
    // @ts-expect-error a wrong payload type is also a compile error
    await expect(enqueueJob('recompute-stats', { projectId: 'x' })).rejects.toThrow(/Invalid payload for recompute-stats: projectId/);
    const job = await enqueueJob('recompute-stats', { projectId });
    expect(job).toMatchObject({ status: 'queued', attempts: 0, maxAttempts: 3 });
    expect(job.payload).toEqual({ projectId, chunkSize: 5000 });
    await requestJobCancel(job.id);
  });

  it('claims the highest priority first, then the oldest, and never a job that is not due', async () => {
    const low = await enqueueJob('recompute-stats', { projectId }, { priority: 0 });
    const high = await enqueueJob('recompute-stats', { projectId }, { priority: 5 });
    const later = await enqueueJob('recompute-stats', { projectId }, { priority: 9, runAt: new Date(Date.now() + 60_000) });
    expect((await claimNextJob('w1'))?.id).toBe(high.id);
    expect((await claimNextJob('w1'))?.id).toBe(low.id);
    expect(await claimNextJob('w1')).toBeUndefined();
    const claimed = await jobRow(high.id);
    expect(claimed).toMatchObject({ status: 'running', attempts: 1, lockedBy: 'w1' });
    expect(claimed.heartbeatAt).not.toBeNull();
    for (const id of [low.id, high.id]) await completeJob(id, 'w1', null);
    await requestJobCancel(later.id);
  });

  it('records heartbeats, clamped progress with a message, and metric rows', async () => {
    const job = await enqueueJob('recompute-stats', { projectId });
    await claimNextJob('w2');
    expect(await heartbeatJob(job.id, 'w2')).toBe('running');
    expect(await heartbeatJob(job.id, 'someone-else')).toBeNull();
    await reportJobProgress(job.id, 'w2', 1.7, 'nearly');
    expect(await jobRow(job.id)).toMatchObject({ progress: 1, message: 'nearly' });
    await addJobMetrics(job.id, 3, { loss: 0.5, accuracy: 0.9, bad: Number.NaN });
    const rows = await db().select().from(jobMetrics).where(eq(jobMetrics.jobId, job.id));
    expect(rows.map((r) => [r.step, r.name, r.value]).sort()).toEqual([
      [3, 'accuracy', 0.9],
      [3, 'loss', 0.5],
    ]);
    expect(await completeJob(job.id, 'w2', { ok: 1 })).toBe(true);
    expect(await jobRow(job.id)).toMatchObject({ status: 'succeeded', result: { ok: 1 }, lockedBy: null });
    expect(await completeJob(job.id, 'w2', null)).toBe(false);
  });

  it('retries a failed attempt with exponential backoff, then fails for good', async () => {
    const job = await enqueueJob('recompute-stats', { projectId });
    const t0 = new Date('2030-01-01T00:00:00Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    await claimNextJob('w3', at(0));
    expect(await failJob(job.id, 'w3', 'boom 1', at(0))).toBe('queued');
    expect((await jobRow(job.id)).runAt.getTime()).toBe(at(2000).getTime());
    expect(await claimNextJob('w3', at(1999))).toBeUndefined();
    expect((await claimNextJob('w3', at(2000)))?.id).toBe(job.id);
    expect(await failJob(job.id, 'w3', 'boom 2', at(2000))).toBe('queued');
    expect((await jobRow(job.id)).runAt.getTime()).toBe(at(6000).getTime());
    await claimNextJob('w3', at(6000));
    expect(await failJob(job.id, 'w3', 'boom 3', at(6000))).toBe('failed');
    expect(await jobRow(job.id)).toMatchObject({ status: 'failed', attempts: 3, lastError: 'boom 3' });
  });

  it('cancels a queued job at once and a running one through cancelling', async () => {
    const queued = await enqueueJob('recompute-stats', { projectId });
    expect(await requestJobCancel(queued.id)).toBe('cancelled');
    expect(await claimNextJob('w4')).toBeUndefined();
    const running = await enqueueJob('recompute-stats', { projectId });
    await claimNextJob('w4');
    expect(await requestJobCancel(running.id)).toBe('cancelling');
    expect(await heartbeatJob(running.id, 'w4')).toBe('cancelling');
    expect(await markJobCancelled(running.id, 'w4')).toBe(true);
    expect((await jobRow(running.id)).status).toBe('cancelled');
    expect(await requestJobCancel(running.id)).toBe('cancelled');
  });

  it('requeues jobs whose worker stopped heartbeating, counting the attempt', async () => {
    const job = await enqueueJob('recompute-stats', { projectId });
    const t0 = new Date();
    await claimNextJob('dead-worker', t0);
    expect((await requeueStaleJobs(30_000, new Date(t0.getTime() + 10_000))).requeued).toEqual([]);
    expect((await requeueStaleJobs(30_000, new Date(t0.getTime() + 31_000))).requeued).toEqual([job.id]);
    expect(await jobRow(job.id)).toMatchObject({ status: 'queued', attempts: 1, lockedBy: null });
    expect((await jobRow(job.id)).lastError).toMatch(/stopped responding/);
    // The dead worker cannot settle it any more.
    expect(await completeJob(job.id, 'dead-worker', null)).toBe(false);
    const again = await claimNextJob('w5', new Date(t0.getTime() + 31_000));
    expect(again).toMatchObject({ id: job.id, attempts: 2 });
    await completeJob(job.id, 'w5', null);
  });

  it('hands a job back on shutdown without spending an attempt', async () => {
    const job = await enqueueJob('recompute-stats', { projectId });
    await claimNextJob('w6');
    expect(await releaseJob(job.id, 'w6')).toBe(true);
    expect(await jobRow(job.id)).toMatchObject({ status: 'queued', attempts: 0, lockedBy: null });
    await requestJobCancel(job.id);
  });
});
