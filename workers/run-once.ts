/**
 * Claims one job and runs it to a settled state: succeeded, retried/failed, cancelled, or released
 * (shutdown). Heartbeats on a timer while the handler runs (one at a time); a heartbeat that sees
 * `cancelling` fires the job's AbortSignal.
 */
import { isBusyError, retryWhileBusy } from '@/db/busy';
import { AppError, formatZodIssues } from '@/lib/errors';
import { JOB_DEFINITIONS, isJobKind, type JobKind, type JobPayload } from '@/lib/jobs/registry';
import {
  addJobMetrics,
  discardJobMetricsAfter,
  claimNextJob,
  completeJob,
  failJob,
  heartbeatJob,
  markJobCancelled,
  releaseJob,
  leaseOf,
  reportJobProgress,
  saveJobCheckpoint,
  withJobLease,
} from '@/db/queries/queue';
import type { Job } from '@/db/schema';
import type { JobStatus } from '@/lib/jobs/statuses';
import { JOB_HANDLERS } from './registry';
import { JobAbort, type JobContext, type JobHandler } from './types';

export type RunOnceOptions = {
  workerId: string;
  /** The job kinds this worker claims (--kinds); every kind when absent. */
  kinds?: readonly JobKind[] | null;
  /** Told the job it runs (its id), and null when it is done: the worker registry's `current_job_id`. */
  onJob?: (jobId: number | null) => void;
  heartbeatMs: number;
  /** Fired by the worker loop on SIGTERM/SIGINT. */
  shutdownSignal?: AbortSignal;
  log?: (message: string) => void;
};

export type RunOnceResult = { jobId: number; kind: string; status: JobStatus | 'released' | 'lock-lost' } | null;

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const frame = error.stack?.split('\n').find((l) => l.trim().startsWith('at '));
    return frame ? `${error.message}\n${frame.trim()}` : error.message;
  }
  return String(error);
}

async function runHandler(job: Job, ctx: JobContext): Promise<unknown> {
  if (!isJobKind(job.kind)) throw new Error(`no handler for job kind '${job.kind}'`);
  const kind: JobKind = job.kind;
  const parsed = JOB_DEFINITIONS[kind].payload.safeParse(job.payload);
  if (!parsed.success) throw new AppError('invalid', `invalid payload: ${formatZodIssues(parsed.error, 'payload').message}`);
  // The registry pairs each kind with its handler (checked in workers/registry.ts); TypeScript cannot
  // correlate the two lookups through a union of kinds, hence the widening here.
  const handler = JOB_HANDLERS[kind] as JobHandler<JobPayload<typeof kind>>;
  return handler(parsed.data as JobPayload<typeof kind>, ctx);
}

export async function runOnce(options: RunOnceOptions): Promise<RunOnceResult> {
  const { workerId } = options;
  const log = options.log ?? ((m: string) => console.log(m));
  if (options.shutdownSignal?.aborted) return null;
  const job = await retryWhileBusy(() => claimNextJob(workerId, { kinds: options.kinds }), undefined, () => log(`[worker ${workerId}] database busy; waiting to claim`));
  if (!job) return null;
  options.onJob?.(job.id);
  const lease = leaseOf(job, workerId);

  const prefix = `[${job.kind} #${job.id}]`;
  const controller = new AbortController();
  const abort = (kind: JobAbort['kind']) => !controller.signal.aborted && controller.abort(new JobAbort(kind));
  const onShutdown = () => abort('shutdown');
  options.shutdownSignal?.addEventListener('abort', onShutdown);
  // The heartbeat is asynchronous (a write transaction that may wait for the write lock), so it is not an
  // interval: each beat is scheduled once the previous one has settled, and beats never overlap.
  const beat = async () => {
    let status: JobStatus | null;
    try {
      status = await heartbeatJob(lease);
    } catch (error) {
      // A busy database skips this beat; the next one tries again (the stale timeout is many beats long).
      // Any other error is logged and the beats go on: if the lock was really lost, a later beat says so.
      if (!isBusyError(error)) log(`${prefix} heartbeat failed: ${describeError(error).split('\n')[0]}`);
      return;
    }
    if (status === 'cancelling') abort('cancel');
    else if (status === null) abort('lock-lost');
  };
  let stopped = false;
  let beating: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const scheduleBeat = () => {
    timer = setTimeout(() => {
      beating = beat().finally(() => {
        if (!stopped) scheduleBeat();
      });
    }, options.heartbeatMs);
  };
  scheduleBeat();

  // Every write of the job goes through its lease (the fencing token): one that finds the lease lost wrote
  // nothing, and stops the handler — its job was requeued while this worker was paused, and belongs to another.
  const leaseLost = (): never => {
    abort('lock-lost');
    throw controller.signal.reason;
  };
  const fencedWrite = async (write: () => Promise<boolean>): Promise<void> => {
    // A busy database makes these wait and retry (yielding, so heartbeats go on) instead of failing the job.
    if (!(await retryWhileBusy(write))) leaseLost();
  };
  const ctx: JobContext = {
    job,
    workerId,
    attempt: lease.attempt,
    signal: controller.signal,
    checkpoint: job.checkpoint ?? null,
    saveCheckpoint: (value) => fencedWrite(() => saveJobCheckpoint(lease, value)),
    reportProgress: (progress, message) => fencedWrite(() => reportJobProgress(lease, progress, message)),
    addMetrics: (step, values) => fencedWrite(() => addJobMetrics(lease, step, values)),
    discardMetricsAfter: (step) => fencedWrite(() => discardJobMetricsAfter(lease, step)),
    fenced: async (publish) => {
      const outcome = await retryWhileBusy(() => withJobLease(lease, publish));
      return outcome.held ? outcome.value : leaseLost();
    },
    log: (message) => log(`${prefix} ${message}`),
  };

  log(`${prefix} started (attempt ${job.attempts}/${job.maxAttempts}) by ${workerId}`);
  try {
    // A retry with no checkpoint starts over: the metrics an earlier attempt logged would show its steps twice.
    // (A handler resuming from a checkpoint drops those logged after it: ctx.discardMetricsAfter.)
    if (job.attempts > 1 && job.checkpoint === null) await fencedWrite(() => discardJobMetricsAfter(lease, null));
    const result = await runHandler(job, ctx);
    if (controller.signal.aborted) throw controller.signal.reason;
    if (!(await retryWhileBusy(() => completeJob(lease, result)))) {
      log(`${prefix} finished, but its lease was lost meanwhile: the result is dropped`);
      return { jobId: job.id, kind: job.kind, status: 'lock-lost' };
    }
    log(`${prefix} succeeded`);
    return { jobId: job.id, kind: job.kind, status: 'succeeded' };
  } catch (error) {
    const reason = controller.signal.aborted ? controller.signal.reason : error;
    if (reason instanceof JobAbort) {
      log(`${prefix} ${reason.message}`);
      if (reason.kind === 'cancel') {
        await retryWhileBusy(() => markJobCancelled(lease));
        return { jobId: job.id, kind: job.kind, status: 'cancelled' };
      }
      if (reason.kind === 'shutdown') {
        await retryWhileBusy(() => releaseJob(lease));
        return { jobId: job.id, kind: job.kind, status: 'released' };
      }
      return { jobId: job.id, kind: job.kind, status: 'lock-lost' };
    }
    const status = await retryWhileBusy(() => failJob(lease, describeError(error)));
    log(`${prefix} failed: ${describeError(error).split('\n')[0]} → ${status ?? 'lock lost'}`);
    return { jobId: job.id, kind: job.kind, status: status ?? 'lock-lost' };
  } finally {
    stopped = true;
    clearTimeout(timer);
    // A beat already under way finishes before runOnce returns: nothing of this job's runs after it (or after closeDb).
    await beating;
    options.shutdownSignal?.removeEventListener('abort', onShutdown);
    options.onJob?.(null);
  }
}
