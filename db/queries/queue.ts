/**
 * The job queue over the `jobs` table (docs/architecture.md#jobs). It takes the db handle as an
 * argument, so the web app, the CLI, the workers and the tests share one implementation (and tests can
 * pass their own handle). It lives in db/ because it reads and writes tables; the job kinds, their
 * payload schemas and statuses are domain rules and stay in lib/jobs.
 * Every status change is a compare-and-set: `UPDATE … WHERE id = ? AND status = ?`, checked by `changes`.
 */
import { and, asc, desc, eq, gt, inArray, lt, lte, sql } from 'drizzle-orm';
import { nextRunAt } from '@/lib/jobs/backoff';
import { JOB_DEFINITIONS, type JobKind, type JobPayloadInput } from '@/lib/jobs/registry';
import type { JobStatus } from '@/lib/jobs/statuses';
import { AppError, formatZodIssues } from '@/lib/errors';
import type { Db } from '../client';
import { jobMetrics, jobs, type Job } from '../schema';

export type EnqueueOptions = { projectId?: number | null; createdBy?: string | null; priority?: number; runAt?: Date };

/** Validates the payload against the kind's schema and inserts a queued job. */
export function enqueueJob<K extends JobKind>(db: Db, kind: K, payload: JobPayloadInput<K>, options: EnqueueOptions = {}): Job {
  const definition = JOB_DEFINITIONS[kind];
  const parsed = definition.payload.safeParse(payload);
  if (!parsed.success) throw new AppError('invalid', `Invalid payload for ${kind}: ${formatZodIssues(parsed.error, 'payload').message}`);
  const rows = db
    .insert(jobs)
    .values({
      kind,
      payload: parsed.data,
      priority: options.priority ?? definition.priority,
      maxAttempts: definition.maxAttempts,
      projectId: options.projectId ?? null,
      createdBy: options.createdBy ?? null,
      runAt: options.runAt ?? new Date(),
    })
    .returning()
    .all();
  return rows[0]!;
}

/** Claims the runnable job of highest priority, oldest first, in one IMMEDIATE transaction. */
export function claimNextJob(db: Db, workerId: string, now = new Date()): Job | undefined {
  return db.transaction(
    (tx) => {
      const candidate = tx
        .select({ id: jobs.id })
        .from(jobs)
        .where(and(eq(jobs.status, 'queued'), lte(jobs.runAt, now)))
        .orderBy(desc(jobs.priority), asc(jobs.runAt), asc(jobs.id))
        .limit(1)
        .get();
      if (!candidate) return undefined;
      const claimed = tx
        .update(jobs)
        .set({
          status: 'running',
          attempts: sql`${jobs.attempts} + 1`,
          lockedBy: workerId,
          lockedAt: now,
          heartbeatAt: now,
          startedAt: sql`coalesce(${jobs.startedAt}, ${now.getTime()})`,
          message: null,
        })
        .where(and(eq(jobs.id, candidate.id), eq(jobs.status, 'queued')))
        .returning()
        .all();
      return claimed[0];
    },
    { behavior: 'immediate' },
  );
}

/** Bumps the heartbeat; returns the job's status so the worker can see a cancel request, or null if the lock was lost. */
export function heartbeatJob(db: Db, jobId: number, workerId: string, now = new Date()): JobStatus | null {
  const rows = db
    .update(jobs)
    .set({ heartbeatAt: now })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, workerId), inArray(jobs.status, ['running', 'cancelling'])))
    .returning({ status: jobs.status })
    .all();
  return rows[0]?.status ?? null;
}

export function reportJobProgress(db: Db, jobId: number, workerId: string, progress: number, message?: string): void {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(progress) ? progress : 0));
  db.update(jobs)
    .set({ progress: clamped, message: message ?? null, heartbeatAt: new Date() })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, workerId), inArray(jobs.status, ['running', 'cancelling'])))
    .run();
}

export function saveJobCheckpoint(db: Db, jobId: number, workerId: string, checkpoint: unknown): boolean {
  const result = db
    .update(jobs)
    .set({ checkpoint, heartbeatAt: new Date() })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, workerId), inArray(jobs.status, ['running', 'cancelling'])))
    .run();
  return result.changes === 1;
}

export function addJobMetrics(db: Db, jobId: number, step: number, values: Record<string, number>): void {
  const rows = Object.entries(values)
    .filter(([, v]) => Number.isFinite(v))
    .map(([name, value]) => ({ jobId, step, name, value }));
  if (rows.length > 0) db.insert(jobMetrics).values(rows).run();
}

/** Drops the job's metrics logged after `step`: a resumed job redoes those steps and logs them again. */
export function discardJobMetricsAfter(db: Db, jobId: number, step: number): void {
  db.delete(jobMetrics).where(and(eq(jobMetrics.jobId, jobId), gt(jobMetrics.step, step))).run();
}

export function completeJob(db: Db, jobId: number, workerId: string, result: unknown): boolean {
  const res = db
    .update(jobs)
    .set({ status: 'succeeded', result: result ?? null, progress: 1, finishedAt: new Date(), lockedBy: null, checkpoint: null })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, workerId), inArray(jobs.status, ['running', 'cancelling'])))
    .run();
  return res.changes === 1;
}

/** A failed attempt: back to the queue with backoff while attempts remain, else `failed`. */
export function failJob(db: Db, jobId: number, workerId: string, error: string, now = new Date()): JobStatus | null {
  return db.transaction(
    (tx) => {
      const job = tx.select().from(jobs).where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, workerId))).get();
      if (!job || (job.status !== 'running' && job.status !== 'cancelling')) return null;
      const retry = job.status === 'running' && job.attempts < job.maxAttempts;
      const status: JobStatus = job.status === 'cancelling' ? 'cancelled' : retry ? 'queued' : 'failed';
      tx.update(jobs)
        .set({
          status,
          lastError: error.slice(0, 4000),
          lockedBy: null,
          runAt: retry ? new Date(nextRunAt(job.attempts, now.getTime())) : job.runAt,
          finishedAt: retry ? null : now,
          message: retry ? `Retrying after error: ${error.split('\n')[0]}` : job.message,
        })
        .where(and(eq(jobs.id, jobId), eq(jobs.status, job.status)))
        .run();
      return status;
    },
    { behavior: 'immediate' },
  );
}

/** Cancel: a queued job is cancelled at once; a running one is asked to stop (its AbortSignal fires). */
export function requestJobCancel(db: Db, jobId: number, now = new Date()): JobStatus | null {
  return db.transaction(
    (tx) => {
      const job = tx.select({ status: jobs.status }).from(jobs).where(eq(jobs.id, jobId)).get();
      if (!job) return null;
      if (job.status === 'queued') {
        tx.update(jobs)
          .set({ status: 'cancelled', cancelRequestedAt: now, finishedAt: now, message: 'Cancelled before it started' })
          .where(and(eq(jobs.id, jobId), eq(jobs.status, 'queued')))
          .run();
        return 'cancelled';
      }
      if (job.status === 'running') {
        tx.update(jobs)
          .set({ status: 'cancelling', cancelRequestedAt: now })
          .where(and(eq(jobs.id, jobId), eq(jobs.status, 'running')))
          .run();
        return 'cancelling';
      }
      return job.status;
    },
    { behavior: 'immediate' },
  );
}

/** The handler stopped after a cancel request. */
export function markJobCancelled(db: Db, jobId: number, workerId: string): boolean {
  const res = db
    .update(jobs)
    .set({ status: 'cancelled', finishedAt: new Date(), lockedBy: null, message: 'Cancelled' })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, workerId), eq(jobs.status, 'cancelling')))
    .run();
  return res.changes === 1;
}

/** Jobs whose worker stopped heartbeating (it died): requeued with the attempt counted, or failed/cancelled. */
export function requeueStaleJobs(db: Db, staleMs: number, now = new Date()): { requeued: number[]; failed: number[]; cancelled: number[] } {
  const cutoff = new Date(now.getTime() - staleMs);
  return db.transaction(
    (tx) => {
      const stale = tx
        .select()
        .from(jobs)
        .where(and(inArray(jobs.status, ['running', 'cancelling']), lt(jobs.heartbeatAt, cutoff)))
        .all();
      const out = { requeued: [] as number[], failed: [] as number[], cancelled: [] as number[] };
      for (const job of stale) {
        const note = `Worker ${job.lockedBy ?? '?'} stopped responding (no heartbeat for ${Math.round(staleMs / 1000)} s)`;
        let status: JobStatus;
        if (job.status === 'cancelling') status = 'cancelled';
        else if (job.attempts < job.maxAttempts) status = 'queued';
        else status = 'failed';
        tx.update(jobs)
          .set({
            status,
            lockedBy: null,
            lastError: note,
            message: status === 'queued' ? `${note}; requeued` : note,
            runAt: now,
            finishedAt: status === 'queued' ? null : now,
          })
          .where(and(eq(jobs.id, job.id), eq(jobs.status, job.status)))
          .run();
        (status === 'queued' ? out.requeued : status === 'failed' ? out.failed : out.cancelled).push(job.id);
      }
      return out;
    },
    { behavior: 'immediate' },
  );
}

/** Graceful shutdown: hand a running job back to the queue without spending an attempt (its checkpoint stays). */
export function releaseJob(db: Db, jobId: number, workerId: string): boolean {
  const res = db
    .update(jobs)
    .set({ status: 'queued', attempts: sql`max(${jobs.attempts} - 1, 0)`, lockedBy: null, message: 'Worker shut down; waiting for another worker' })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, workerId), eq(jobs.status, 'running')))
    .run();
  return res.changes === 1;
}
