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
  leaseOf,
  markJobCancelled,
  nextQueuedRunAt,
  releaseJob,
  reportJobProgress,
  requestJobCancel,
  requeueStaleJobs,
  withJobLease,
  type JobLease,
} from '@/db/queries/queue';
import { createGeneratedProject } from '../../helpers/projects';

const db = () => getDb();
/** Claims the next job for `workerId` and returns its lease (the test expects one to be there). */
const claim = async (workerId: string, now?: Date): Promise<JobLease> => leaseOf((await claimNextJob(workerId, { now }))!, workerId);
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
    const first = await claim('w1');
    const second = await claim('w1');
    expect([first.jobId, second.jobId]).toEqual([high.id, low.id]);
    expect(await claimNextJob('w1')).toBeUndefined();
    const claimed = await jobRow(high.id);
    expect(claimed).toMatchObject({ status: 'running', attempts: 1, lockedBy: 'w1' });
    expect(claimed.heartbeatAt).not.toBeNull();
    for (const lease of [first, second]) await completeJob(lease, null);
    await requestJobCancel(later.id);
  });

  it('records heartbeats, clamped progress with a message, and metric rows', async () => {
    const job = await enqueueJob('recompute-stats', { projectId });
    const lease = await claim('w2');
    expect(lease).toEqual({ jobId: job.id, workerId: 'w2', attempt: 1 });
    expect(await heartbeatJob(lease)).toBe('running');
    expect(await heartbeatJob({ ...lease, workerId: 'someone-else' })).toBeNull();
    expect(await reportJobProgress(lease, 1.7, 'nearly')).toBe(true);
    expect(await jobRow(job.id)).toMatchObject({ progress: 1, message: 'nearly' });
    expect(await addJobMetrics(lease, 3, { loss: 0.5, accuracy: 0.9, bad: Number.NaN })).toBe(true);
    const rows = await db().select().from(jobMetrics).where(eq(jobMetrics.jobId, job.id));
    expect(rows.map((r) => [r.step, r.name, r.value]).sort()).toEqual([
      [3, 'accuracy', 0.9],
      [3, 'loss', 0.5],
    ]);
    expect(await completeJob(lease, { ok: 1 })).toBe(true);
    expect(await jobRow(job.id)).toMatchObject({ status: 'succeeded', result: { ok: 1 }, lockedBy: null });
    expect(await completeJob(lease, null)).toBe(false);
  });

  it('retries a failed attempt with exponential backoff, then fails for good', async () => {
    const job = await enqueueJob('recompute-stats', { projectId });
    const t0 = new Date('2030-01-01T00:00:00Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    expect(await failJob(await claim('w3', at(0)), 'boom 1', at(0))).toBe('queued');
    expect((await jobRow(job.id)).runAt.getTime()).toBe(at(2000).getTime());
    expect((await nextQueuedRunAt(['recompute-stats']))?.getTime()).toBe(at(2000).getTime());
    expect(await claimNextJob('w3', { now: at(1999) })).toBeUndefined();
    const second = await claim('w3', at(2000));
    expect(second.jobId).toBe(job.id);
    expect(await failJob(second, 'boom 2', at(2000))).toBe('queued');
    expect((await jobRow(job.id)).runAt.getTime()).toBe(at(6000).getTime());
    expect(await failJob(await claim('w3', at(6000)), 'boom 3', at(6000))).toBe('failed');
    expect(await jobRow(job.id)).toMatchObject({ status: 'failed', attempts: 3, lastError: 'boom 3' });
  });

  it('cancels a queued job at once and a running one through cancelling', async () => {
    const queued = await enqueueJob('recompute-stats', { projectId });
    expect(await requestJobCancel(queued.id)).toBe('cancelled');
    expect(await claimNextJob('w4')).toBeUndefined();
    const running = await enqueueJob('recompute-stats', { projectId });
    const lease = await claim('w4');
    expect(await requestJobCancel(running.id)).toBe('cancelling');
    expect(await heartbeatJob(lease)).toBe('cancelling');
    expect(await markJobCancelled(lease)).toBe(true);
    expect((await jobRow(running.id)).status).toBe('cancelled');
    expect(await requestJobCancel(running.id)).toBe('cancelled');
  });

  it('requeues jobs whose worker stopped heartbeating, counting the attempt', async () => {
    const job = await enqueueJob('recompute-stats', { projectId });
    const t0 = new Date();
    const dead = await claim('dead-worker', t0);
    expect((await requeueStaleJobs(30_000, new Date(t0.getTime() + 10_000))).requeued).toEqual([]);
    expect((await requeueStaleJobs(30_000, new Date(t0.getTime() + 31_000))).requeued).toEqual([job.id]);
    expect(await jobRow(job.id)).toMatchObject({ status: 'queued', attempts: 1, lockedBy: null });
    expect((await jobRow(job.id)).lastError).toMatch(/stopped responding/);
    // The dead worker cannot settle it any more.
    expect(await completeJob(dead, null)).toBe(false);
    const again = await claimNextJob('w5', { now: new Date(t0.getTime() + 31_000) });
    expect(again).toMatchObject({ id: job.id, attempts: 2 });
    await completeJob(leaseOf(again!, 'w5'), null);
  });

  it('hands a job back on shutdown without spending an attempt', async () => {
    const job = await enqueueJob('recompute-stats', { projectId });
    expect(await releaseJob(await claim('w6'))).toBe(true);
    expect(await jobRow(job.id)).toMatchObject({ status: 'queued', attempts: 0, lockedBy: null });
    await requestJobCancel(job.id);
  });

  it('fences a paused worker: after its job was requeued and claimed again, its old lease writes nothing', async () => {
    const job = await enqueueJob('recompute-stats', { projectId });
    const t0 = new Date();
    // The same worker id claims it again after the requeue: only the attempt tells the two leases apart.
    const paused = await claim('host-a:42', t0);
    expect((await requeueStaleJobs(30_000, new Date(t0.getTime() + 31_000))).requeued).toEqual([job.id]);
    const owner = await claim('host-a:42', new Date(t0.getTime() + 31_000));
    expect(owner).toEqual({ ...paused, attempt: paused.attempt + 1 });
    expect(await reportJobProgress(owner, 0.25, 'new owner')).toBe(true);
    expect(await addJobMetrics(owner, 1, { loss: 1 })).toBe(true);

    // The paused attempt wakes up and tries every kind of write.
    expect(await heartbeatJob(paused)).toBeNull();
    expect(await reportJobProgress(paused, 0.9, 'old owner')).toBe(false);
    expect(await addJobMetrics(paused, 1, { loss: 99 })).toBe(false);
    let published = false;
    expect(await withJobLease(paused, async () => (published = true))).toEqual({ held: false });
    expect(published).toBe(false);
    expect(await failJob(paused, 'old owner failed')).toBeNull();
    expect(await completeJob(paused, { from: 'old owner' })).toBe(false);
    expect(await releaseJob(paused)).toBe(false);

    expect(await jobRow(job.id)).toMatchObject({ status: 'running', progress: 0.25, message: 'new owner', attempts: 2 });
    const metrics = await db().select().from(jobMetrics).where(eq(jobMetrics.jobId, job.id));
    expect(metrics.map((m) => m.value)).toEqual([1]);
    expect(await withJobLease(owner, () => Promise.resolve('published'))).toEqual({ held: true, value: 'published' });
    expect(await completeJob(owner, { from: 'new owner' })).toBe(true);
    expect((await jobRow(job.id)).result).toEqual({ from: 'new owner' });
  });

  it('claims only the kinds a worker runs', async () => {
    const stats = await enqueueJob('recompute-stats', { projectId });
    const board = await enqueueJob('compute-leaderboard', { projectId });
    expect(await claimNextJob('gpu', { kinds: ['train-reward-model'] })).toBeUndefined();
    expect(await claimNextJob('none', { kinds: [] })).toBeUndefined();
    const claimed = await claimNextJob('boards', { kinds: ['compute-leaderboard', 'train-reward-model'] });
    expect(claimed?.id).toBe(board.id);
    expect((await claimNextJob('any'))?.id).toBe(stats.id);
  });
});
