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
const jobRow = (id: number) => db().select().from(jobs).where(eq(jobs.id, id)).get()!;

describe('job queue', () => {
  const { projectId } = createGeneratedProject();

  it('validates the payload with the kind schema and applies defaults', () => {
    // @ts-expect-error a wrong payload type is also a compile error
    expect(() => enqueueJob(db(), 'recompute-stats', { projectId: 'x' })).toThrow(/Invalid payload for recompute-stats: projectId/);
    const job = enqueueJob(db(), 'recompute-stats', { projectId });
    expect(job).toMatchObject({ status: 'queued', attempts: 0, maxAttempts: 3 });
    expect(job.payload).toEqual({ projectId, chunkSize: 5000 });
    requestJobCancel(db(), job.id);
  });

  it('claims the highest priority first, then the oldest, and never a job that is not due', () => {
    const low = enqueueJob(db(), 'recompute-stats', { projectId }, { priority: 0 });
    const high = enqueueJob(db(), 'recompute-stats', { projectId }, { priority: 5 });
    const later = enqueueJob(db(), 'recompute-stats', { projectId }, { priority: 9, runAt: new Date(Date.now() + 60_000) });
    expect(claimNextJob(db(), 'w1')?.id).toBe(high.id);
    expect(claimNextJob(db(), 'w1')?.id).toBe(low.id);
    expect(claimNextJob(db(), 'w1')).toBeUndefined();
    const claimed = jobRow(high.id);
    expect(claimed).toMatchObject({ status: 'running', attempts: 1, lockedBy: 'w1' });
    expect(claimed.heartbeatAt).not.toBeNull();
    for (const id of [low.id, high.id]) completeJob(db(), id, 'w1', null);
    requestJobCancel(db(), later.id);
  });

  it('records heartbeats, clamped progress with a message, and metric rows', () => {
    const job = enqueueJob(db(), 'recompute-stats', { projectId });
    claimNextJob(db(), 'w2');
    expect(heartbeatJob(db(), job.id, 'w2')).toBe('running');
    expect(heartbeatJob(db(), job.id, 'someone-else')).toBeNull();
    reportJobProgress(db(), job.id, 'w2', 1.7, 'nearly');
    expect(jobRow(job.id)).toMatchObject({ progress: 1, message: 'nearly' });
    addJobMetrics(db(), job.id, 3, { loss: 0.5, accuracy: 0.9, bad: Number.NaN });
    const rows = db().select().from(jobMetrics).where(eq(jobMetrics.jobId, job.id)).all();
    expect(rows.map((r) => [r.step, r.name, r.value]).sort()).toEqual([
      [3, 'accuracy', 0.9],
      [3, 'loss', 0.5],
    ]);
    expect(completeJob(db(), job.id, 'w2', { ok: 1 })).toBe(true);
    expect(jobRow(job.id)).toMatchObject({ status: 'succeeded', result: { ok: 1 }, lockedBy: null });
    expect(completeJob(db(), job.id, 'w2', null)).toBe(false);
  });

  it('retries a failed attempt with exponential backoff, then fails for good', () => {
    const job = enqueueJob(db(), 'recompute-stats', { projectId });
    const t0 = new Date('2030-01-01T00:00:00Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    claimNextJob(db(), 'w3', at(0));
    expect(failJob(db(), job.id, 'w3', 'boom 1', at(0))).toBe('queued');
    expect(jobRow(job.id).runAt.getTime()).toBe(at(2000).getTime());
    expect(claimNextJob(db(), 'w3', at(1999))).toBeUndefined();
    expect(claimNextJob(db(), 'w3', at(2000))?.id).toBe(job.id);
    expect(failJob(db(), job.id, 'w3', 'boom 2', at(2000))).toBe('queued');
    expect(jobRow(job.id).runAt.getTime()).toBe(at(6000).getTime());
    claimNextJob(db(), 'w3', at(6000));
    expect(failJob(db(), job.id, 'w3', 'boom 3', at(6000))).toBe('failed');
    expect(jobRow(job.id)).toMatchObject({ status: 'failed', attempts: 3, lastError: 'boom 3' });
  });

  it('cancels a queued job at once and a running one through cancelling', () => {
    const queued = enqueueJob(db(), 'recompute-stats', { projectId });
    expect(requestJobCancel(db(), queued.id)).toBe('cancelled');
    expect(claimNextJob(db(), 'w4')).toBeUndefined();
    const running = enqueueJob(db(), 'recompute-stats', { projectId });
    claimNextJob(db(), 'w4');
    expect(requestJobCancel(db(), running.id)).toBe('cancelling');
    expect(heartbeatJob(db(), running.id, 'w4')).toBe('cancelling');
    expect(markJobCancelled(db(), running.id, 'w4')).toBe(true);
    expect(jobRow(running.id).status).toBe('cancelled');
    expect(requestJobCancel(db(), running.id)).toBe('cancelled');
  });

  it('requeues jobs whose worker stopped heartbeating, counting the attempt', () => {
    const job = enqueueJob(db(), 'recompute-stats', { projectId });
    const t0 = new Date();
    claimNextJob(db(), 'dead-worker', t0);
    expect(requeueStaleJobs(db(), 30_000, new Date(t0.getTime() + 10_000)).requeued).toEqual([]);
    expect(requeueStaleJobs(db(), 30_000, new Date(t0.getTime() + 31_000)).requeued).toEqual([job.id]);
    expect(jobRow(job.id)).toMatchObject({ status: 'queued', attempts: 1, lockedBy: null });
    expect(jobRow(job.id).lastError).toMatch(/stopped responding/);
    // The dead worker cannot settle it any more.
    expect(completeJob(db(), job.id, 'dead-worker', null)).toBe(false);
    const again = claimNextJob(db(), 'w5', new Date(t0.getTime() + 31_000));
    expect(again).toMatchObject({ id: job.id, attempts: 2 });
    completeJob(db(), job.id, 'w5', null);
  });

  it('hands a job back on shutdown without spending an attempt', () => {
    const job = enqueueJob(db(), 'recompute-stats', { projectId });
    claimNextJob(db(), 'w6');
    expect(releaseJob(db(), job.id, 'w6')).toBe(true);
    expect(jobRow(job.id)).toMatchObject({ status: 'queued', attempts: 0, lockedBy: null });
    requestJobCancel(db(), job.id);
  });
});
