/**
 * The job queue over the `jobs` table (docs/architecture.md#jobs). The web app, the CLI, the workers and
 * the tests share this one implementation. It lives in db/ because it reads and writes tables; the job
 * kinds, their payload schemas and statuses are domain rules and stay in lib/jobs.
 * Every write is a `withWriteTransaction` and every status change a compare-and-set (`UPDATE … WHERE id = ?
 * AND status = ?`, and `locked_by = ?` for the worker's own transitions), checked by the rows it changed.
 * On SQLite each transaction is BEGIN IMMEDIATE, so nothing runs between a read and the write it decides.
 * On PostgreSQL (READ COMMITTED) the queue's transactions take no advisory lock (`lock: 'rows'`, so workers
 * and the web app do not queue behind each other or behind unrelated writers) and are correct on row locks:
 *   - a claim selects its job `FOR UPDATE SKIP LOCKED`: two workers never take one job, nor wait for each other;
 *   - a single guarded UPDATE (heartbeat, progress, checkpoint, complete, cancelled, release) is atomic on its
 *     own: a row changed meanwhile is re-checked against the WHERE after the other transaction commits;
 *   - a read that decides a write (fail, cancel, the stale sweep) reads `FOR UPDATE`, so the row cannot change
 *     until the write commits (the sweep skips rows another transaction holds: that job's worker is busy with
 *     it, so it is alive, or another sweeper has it).
 */
import { and, asc, desc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import { nextRunAt } from '@/lib/jobs/backoff';
import { JOB_DEFINITIONS, type JobKind, type JobPayloadInput } from '@/lib/jobs/registry';
import type { JobStatus } from '@/lib/jobs/statuses';
import { AppError, formatZodIssues } from '@/lib/errors';
import { bound, changedRows, db, prepareOnce, type Db, withWriteTransaction, type WriteTransactionOptions } from '../client';
import { jobMetrics, jobs, type Job } from '../schema';
import { forUpdate, greatest } from '../sql-dialect';

/** The queue's transactions rely on row locks and compare-and-set, not on an advisory lock (see above). */
const ROWS: WriteTransactionOptions = { lock: 'rows' };

const LOCK_HELD = ['running', 'cancelling'] as const;

// The queue's hot statements, prepared once per connection (db/client.ts, prepareOnce): building them on
// every enqueue, claim and completion cost the 2-worker queue bench ~10%.
const insertJob = prepareOnce((d) =>
  d
    .insert(jobs)
    .values({
      kind: sql.placeholder('kind'),
      payload: sql.placeholder('payload'),
      priority: sql.placeholder('priority'),
      maxAttempts: sql.placeholder('maxAttempts'),
      projectId: sql.placeholder('projectId'),
      createdBy: sql.placeholder('createdBy'),
      runAt: sql.placeholder('runAt'),
    })
    .returning()
    .prepare(),
);
const nextQueued = prepareOnce((d) =>
  forUpdate(
    d
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.status, 'queued'), sql`${jobs.runAt} <= ${sql.placeholder('now')}`))
      .orderBy(desc(jobs.priority), asc(jobs.runAt), asc(jobs.id))
      .limit(1),
    { skipLocked: true },
  ).prepare(),
);
const markClaimed = prepareOnce((d) =>
  d
    .update(jobs)
    .set({
      status: 'running',
      attempts: sql`${jobs.attempts} + 1`,
      lockedBy: bound('workerId'),
      lockedAt: bound('now'),
      heartbeatAt: bound('now'),
      startedAt: sql`coalesce(${jobs.startedAt}, ${sql.placeholder('now')})`,
      message: null,
    })
    .where(and(sql`${jobs.id} = ${sql.placeholder('id')}`, eq(jobs.status, 'queued')))
    .returning()
    .prepare(),
);
/**
 * A worker's hold on a job: the fencing token every one of its writes carries (Kleppmann, "How to do
 * distributed locking", 2016). `attempt` is the job's attempts count at the claim, which only grows: a
 * worker paused past the stale timeout (SIGSTOP, a network partition) whose job was requeued and claimed
 * again holds an older token, and each of its writes then changes nothing — even if the same worker id
 * claimed the job again meanwhile.
 */
export type JobLease = { jobId: number; workerId: string; attempt: number };

export const leaseOf = (job: Job, workerId: string): JobLease => ({ jobId: job.id, workerId, attempt: job.attempts });

const leaseHeld = (lease: JobLease) =>
  and(eq(jobs.id, lease.jobId), eq(jobs.lockedBy, lease.workerId), eq(jobs.attempts, lease.attempt), inArray(jobs.status, [...LOCK_HELD]));
const leaseHeldPrepared = () =>
  and(
    sql`${jobs.id} = ${sql.placeholder('id')}`,
    sql`${jobs.lockedBy} = ${sql.placeholder('workerId')}`,
    sql`${jobs.attempts} = ${sql.placeholder('attempt')}`,
    inArray(jobs.status, [...LOCK_HELD]),
  );
const beat = prepareOnce((d) => d.update(jobs).set({ heartbeatAt: bound('now') }).where(leaseHeldPrepared()).returning({ status: jobs.status }).prepare());
const markSucceeded = prepareOnce((d) =>
  d
    .update(jobs)
    .set({ status: 'succeeded', result: bound('result'), progress: 1, finishedAt: bound('now'), lockedBy: null, checkpoint: null })
    .where(leaseHeldPrepared())
    .prepare(),
);

export type EnqueueOptions = { projectId?: number | null; createdBy?: string | null; priority?: number; runAt?: Date };

/** Validates the payload against the kind's schema and inserts a queued job (joining the caller's transaction, if any). */
export async function enqueueJob<K extends JobKind>(kind: K, payload: JobPayloadInput<K>, options: EnqueueOptions = {}): Promise<Job> {
  const definition = JOB_DEFINITIONS[kind];
  const parsed = definition.payload.safeParse(payload);
  if (!parsed.success) throw new AppError('invalid', `Invalid payload for ${kind}: ${formatZodIssues(parsed.error, 'payload').message}`);
  const rows = await withWriteTransaction((tx) =>
    insertJob(tx).execute({
      kind,
      payload: parsed.data,
      priority: options.priority ?? definition.priority,
      maxAttempts: definition.maxAttempts,
      projectId: options.projectId ?? null,
      createdBy: options.createdBy ?? null,
      runAt: options.runAt ?? new Date(),
    }),
    ROWS,
  );
  return rows[0]!;
}

export type ClaimOptions = {
  /** Only these kinds (a worker started with --kinds); all kinds when absent. */
  kinds?: readonly JobKind[] | null;
  now?: Date;
};

/** The runnable job of highest priority, oldest first, among `kinds`: what claimNextJob's prepared statement selects, for a worker of some kinds. */
const nextQueuedOfKinds = (tx: Db, kinds: readonly JobKind[], now: Date) =>
  forUpdate(
    tx
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.status, 'queued'), sql`${jobs.runAt} <= ${now.getTime()}`, inArray(jobs.kind, [...kinds])))
      .orderBy(desc(jobs.priority), asc(jobs.runAt), asc(jobs.id))
      .limit(1),
    { skipLocked: true },
  );

/**
 * Claims the runnable job of highest priority, oldest first, in one write transaction: IMMEDIATE on SQLite;
 * on PostgreSQL the candidate is row-locked (`FOR UPDATE SKIP LOCKED`), so concurrent claims take different jobs.
 * The claimed job's `attempts` (counted here) is the attempt of its lease (leaseOf).
 */
export async function claimNextJob(workerId: string, options: ClaimOptions = {}): Promise<Job | undefined> {
  const now = options.now ?? new Date();
  const kinds = options.kinds ?? null;
  if (kinds && kinds.length === 0) return undefined;
  return withWriteTransaction(async (tx) => {
    const [candidate] = kinds ? await nextQueuedOfKinds(tx, kinds, now) : await nextQueued(tx).execute({ now: now.getTime() });
    if (!candidate) return undefined;
    const claimed = await markClaimed(tx).execute({ id: candidate.id, workerId, now: now.getTime() });
    return claimed[0];
  }, ROWS);
}

/** When the next queued job (of `kinds`) becomes runnable, or null if none is queued: how long an idle worker may sleep. */
export async function nextQueuedRunAt(kinds: readonly JobKind[] | null = null): Promise<Date | null> {
  const [row] = await db()
    .select({ runAt: sql<number | string | null>`min(${jobs.runAt})` })
    .from(jobs)
    .where(and(eq(jobs.status, 'queued'), kinds ? inArray(jobs.kind, [...kinds]) : undefined));
  return row?.runAt === null || row?.runAt === undefined ? null : new Date(Number(row.runAt));
}

/** Bumps the heartbeat; returns the job's status so the worker can see a cancel request, or null if the lease was lost. */
export async function heartbeatJob(lease: JobLease, now = new Date()): Promise<JobStatus | null> {
  const rows = await withWriteTransaction((tx) => beat(tx).execute({ id: lease.jobId, workerId: lease.workerId, attempt: lease.attempt, now: now.getTime() }), ROWS);
  return rows[0]?.status ?? null;
}

/** Progress and its message; false (nothing written) if the lease was lost. */
export async function reportJobProgress(lease: JobLease, progress: number, message?: string): Promise<boolean> {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(progress) ? progress : 0));
  const result = await withWriteTransaction((tx) => tx.update(jobs).set({ progress: clamped, message: message ?? null, heartbeatAt: new Date() }).where(leaseHeld(lease)), ROWS);
  return changedRows(result) === 1;
}

export async function saveJobCheckpoint(lease: JobLease, checkpoint: unknown): Promise<boolean> {
  const result = await withWriteTransaction((tx) => tx.update(jobs).set({ checkpoint, heartbeatAt: new Date() }).where(leaseHeld(lease)), ROWS);
  return changedRows(result) === 1;
}

/**
 * Runs `fn` in one write transaction that first row-locks the job and checks the lease still holds (the
 * lock keeps a stale sweep or a cancel from changing it until `fn` commits). `fn`'s own write transactions
 * join this one. Returns `{ held: false }`, having run nothing, when the lease was lost: how a job's
 * results (a model's files, a leaderboard, priorities) and metrics are published only by the job's owner.
 */
export async function withJobLease<T>(lease: JobLease, fn: () => Promise<T>): Promise<{ held: true; value: T } | { held: false }> {
  return withWriteTransaction(async (tx) => {
    const [held] = await forUpdate(tx.select({ id: jobs.id }).from(jobs).where(leaseHeld(lease)).limit(1));
    if (!held) return { held: false };
    return { held: true, value: await fn() };
  });
}

/** A training step's metrics (non-finite values dropped); false (nothing written) if the lease was lost. */
export async function addJobMetrics(lease: JobLease, step: number, values: Record<string, number>): Promise<boolean> {
  const rows = Object.entries(values)
    .filter(([, v]) => Number.isFinite(v))
    .map(([name, value]) => ({ jobId: lease.jobId, step, name, value }));
  return withJobLeaseRows(lease, async (tx) => {
    if (rows.length > 0) await tx.insert(jobMetrics).values(rows);
  });
}

/** Drops the job's metrics logged after `step` (all of them for null): a resumed job redoes those steps and logs them again. */
export async function discardJobMetricsAfter(lease: JobLease, step: number | null): Promise<boolean> {
  return withJobLeaseRows(lease, async (tx) => {
    await tx.delete(jobMetrics).where(and(eq(jobMetrics.jobId, lease.jobId), step === null ? undefined : gt(jobMetrics.step, step)));
  });
}

/** withJobLease for the queue's own writes to job tables: row locks only (see the top of this file). */
async function withJobLeaseRows(lease: JobLease, fn: (tx: Db) => Promise<void>): Promise<boolean> {
  return withWriteTransaction(async (tx) => {
    const [held] = await forUpdate(tx.select({ id: jobs.id }).from(jobs).where(leaseHeld(lease)).limit(1));
    if (!held) return false;
    await fn(tx);
    return true;
  }, ROWS);
}

export async function completeJob(lease: JobLease, result: unknown): Promise<boolean> {
  // The result is bound as is (prepared statement), so it is encoded here as the json column would: null stays SQL NULL.
  const encoded = result === undefined || result === null ? null : JSON.stringify(result);
  const res = await withWriteTransaction(
    (tx) => markSucceeded(tx).execute({ id: lease.jobId, workerId: lease.workerId, attempt: lease.attempt, result: encoded, now: Date.now() }),
    ROWS,
  );
  return changedRows(res) === 1;
}

/** A failed attempt: back to the queue with backoff while attempts remain, else `failed`. */
export async function failJob(lease: JobLease, error: string, now = new Date()): Promise<JobStatus | null> {
  return withWriteTransaction(async (tx) => {
    const [job] = await forUpdate(tx.select().from(jobs).where(leaseHeld(lease)).limit(1));
    if (!job || (job.status !== 'running' && job.status !== 'cancelling')) return null;
    const retry = job.status === 'running' && job.attempts < job.maxAttempts;
    const status: JobStatus = job.status === 'cancelling' ? 'cancelled' : retry ? 'queued' : 'failed';
    await tx
      .update(jobs)
      .set({
        status,
        lastError: error.slice(0, 4000),
        lockedBy: null,
        runAt: retry ? new Date(nextRunAt(job.attempts, now.getTime())) : job.runAt,
        finishedAt: retry ? null : now,
        message: retry ? `Retrying after error: ${error.split('\n')[0]}` : job.message,
      })
      .where(and(eq(jobs.id, lease.jobId), eq(jobs.status, job.status)));
    return status;
  }, ROWS);
}

/** Cancel: a queued job is cancelled at once; a running one is asked to stop (its AbortSignal fires). */
export async function requestJobCancel(jobId: number, now = new Date()): Promise<JobStatus | null> {
  return withWriteTransaction(async (tx) => {
    const [job] = await forUpdate(tx.select({ status: jobs.status }).from(jobs).where(eq(jobs.id, jobId)).limit(1));
    if (!job) return null;
    if (job.status === 'queued') {
      await tx
        .update(jobs)
        .set({ status: 'cancelled', cancelRequestedAt: now, finishedAt: now, message: 'Cancelled before it started' })
        .where(and(eq(jobs.id, jobId), eq(jobs.status, 'queued')));
      return 'cancelled';
    }
    if (job.status === 'running') {
      await tx
        .update(jobs)
        .set({ status: 'cancelling', cancelRequestedAt: now })
        .where(and(eq(jobs.id, jobId), eq(jobs.status, 'running')));
      return 'cancelling';
    }
    return job.status;
  }, ROWS);
}

/** The handler stopped after a cancel request. */
export async function markJobCancelled(lease: JobLease): Promise<boolean> {
  const res = await withWriteTransaction((tx) =>
    tx
      .update(jobs)
      .set({ status: 'cancelled', finishedAt: new Date(), lockedBy: null, message: 'Cancelled' })
      .where(and(leaseHeld(lease), eq(jobs.status, 'cancelling'))),
    ROWS,
  );
  return changedRows(res) === 1;
}

/** Jobs whose worker stopped heartbeating (it died): requeued with the attempt counted, or failed/cancelled. */
export async function requeueStaleJobs(staleMs: number, now = new Date()): Promise<{ requeued: number[]; failed: number[]; cancelled: number[] }> {
  const cutoff = new Date(now.getTime() - staleMs);
  return withWriteTransaction(async (tx) => {
    const stale = await forUpdate(
      tx
        .select()
        .from(jobs)
        .where(and(inArray(jobs.status, ['running', 'cancelling']), lt(jobs.heartbeatAt, cutoff))),
      { skipLocked: true },
    );
    const out = { requeued: [] as number[], failed: [] as number[], cancelled: [] as number[] };
    for (const job of stale) {
      const note = `Worker ${job.lockedBy ?? '?'} stopped responding (no heartbeat for ${Math.round(staleMs / 1000)} s)`;
      let status: JobStatus;
      if (job.status === 'cancelling') status = 'cancelled';
      else if (job.attempts < job.maxAttempts) status = 'queued';
      else status = 'failed';
      await tx
        .update(jobs)
        .set({
          status,
          lockedBy: null,
          lastError: note,
          message: status === 'queued' ? `${note}; requeued` : note,
          runAt: now,
          finishedAt: status === 'queued' ? null : now,
        })
        .where(and(eq(jobs.id, job.id), eq(jobs.status, job.status)));
      (status === 'queued' ? out.requeued : status === 'failed' ? out.failed : out.cancelled).push(job.id);
    }
    return out;
  }, ROWS);
}

/** Graceful shutdown: hand a running job back to the queue without spending an attempt (its checkpoint stays). */
export async function releaseJob(lease: JobLease): Promise<boolean> {
  const res = await withWriteTransaction((tx) =>
    tx
      .update(jobs)
      .set({ status: 'queued', attempts: greatest(sql`${jobs.attempts} - 1`, 0), lockedBy: null, message: 'Worker shut down; waiting for another worker' })
      .where(and(leaseHeld(lease), eq(jobs.status, 'running'))),
    ROWS,
  );
  return changedRows(res) === 1;
}
