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
  reportJobProgress,
  saveJobCheckpoint,
} from '@/db/queries/queue';
import type { Job } from '@/db/schema';
import type { JobStatus } from '@/lib/jobs/statuses';
import { JOB_HANDLERS } from './registry';
import { JobAbort, type JobContext, type JobHandler } from './types';

export type RunOnceOptions = {
  workerId: string;
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
  const job = await retryWhileBusy(() => claimNextJob(workerId), undefined, () => log(`[worker ${workerId}] database busy; waiting to claim`));
  if (!job) return null;

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
      status = await heartbeatJob(job.id, workerId);
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

  const ctx: JobContext = {
    job,
    workerId,
    signal: controller.signal,
    checkpoint: job.checkpoint ?? null,
    // A busy database makes these wait and retry (yielding, so heartbeats go on) instead of failing the job.
    saveCheckpoint: async (value) => {
      await retryWhileBusy(() => saveJobCheckpoint(job.id, workerId, value));
    },
    reportProgress: (progress, message) => retryWhileBusy(() => reportJobProgress(job.id, workerId, progress, message)),
    addMetrics: (step, values) => retryWhileBusy(() => addJobMetrics(job.id, step, values)),
    discardMetricsAfter: (step) => retryWhileBusy(() => discardJobMetricsAfter(job.id, step)),
    log: (message) => log(`${prefix} ${message}`),
  };

  log(`${prefix} started (attempt ${job.attempts}/${job.maxAttempts}) by ${workerId}`);
  try {
    const result = await runHandler(job, ctx);
    if (controller.signal.aborted) throw controller.signal.reason;
    await retryWhileBusy(() => completeJob(job.id, workerId, result));
    log(`${prefix} succeeded`);
    return { jobId: job.id, kind: job.kind, status: 'succeeded' };
  } catch (error) {
    const reason = controller.signal.aborted ? controller.signal.reason : error;
    if (reason instanceof JobAbort) {
      log(`${prefix} ${reason.message}`);
      if (reason.kind === 'cancel') {
        await retryWhileBusy(() => markJobCancelled(job.id, workerId));
        return { jobId: job.id, kind: job.kind, status: 'cancelled' };
      }
      if (reason.kind === 'shutdown') {
        await retryWhileBusy(() => releaseJob(job.id, workerId));
        return { jobId: job.id, kind: job.kind, status: 'released' };
      }
      return { jobId: job.id, kind: job.kind, status: 'lock-lost' };
    }
    const status = await retryWhileBusy(() => failJob(job.id, workerId, describeError(error)));
    log(`${prefix} failed: ${describeError(error).split('\n')[0]} → ${status ?? 'lock lost'}`);
    return { jobId: job.id, kind: job.kind, status: status ?? 'lock-lost' };
  } finally {
    stopped = true;
    clearTimeout(timer);
    // A beat already under way finishes before runOnce returns: nothing of this job's runs after it (or after closeDb).
    await beating;
    options.shutdownSignal?.removeEventListener('abort', onShutdown);
  }
}
