import type { Job } from '@/db/schema';

/** What a handler gets besides its payload (graphile's Task helpers, plus checkpoints). */
export type JobContext = {
  job: Job;
  workerId: string;
  /** This run's attempt (the job's attempts count at the claim): with workerId, the lease every write below carries. */
  attempt: number;
  /** Fires on cancel, on worker shutdown, or when the worker lost its lock. Check it between steps. */
  signal: AbortSignal;
  /** The checkpoint a previous attempt saved, or null on a first run. */
  checkpoint: unknown;
  /**
   * The job's own writes, each one write transaction (retried while the database is busy). They are
   * asynchronous: a handler awaits each one, so a checkpoint is stored before the step after it begins.
   * Each is fenced by the job's lease: if the job was requeued and taken by another worker while this one
   * was paused (past ARBITER_STALE_MS), the write changes nothing and the job's signal fires ('lock-lost').
   */
  saveCheckpoint(value: unknown): Promise<void>;
  reportProgress(progress: number, message?: string): Promise<void>;
  addMetrics(step: number, values: Record<string, number>): Promise<void>;
  /** Forget metrics after `step` (a resumed job is about to redo those steps). */
  discardMetricsAfter(step: number): Promise<void>;
  /**
   * Publishes the job's results: runs `publish` in one write transaction that first checks the lease (and
   * row-locks the job), so a results row (a model made ready, a leaderboard, item priorities) is written
   * only by the job's current owner. Files go first to keys of this attempt (lib/artifacts), which only the
   * row `publish` writes makes visible. On a lost lease it runs nothing and throws the 'lock-lost' abort.
   */
  fenced<T>(publish: () => Promise<T>): Promise<T>;
  log(message: string): void;
};

export type JobHandler<P> = (payload: P, ctx: JobContext) => Promise<unknown>;

/** Why a job's signal fired. */
export type AbortKind = 'cancel' | 'shutdown' | 'lock-lost';

/**
 * Internal control flow, not an AppError: the job's AbortSignal carries it, and run-once.ts reads `kind` to
 * cancel, release or drop the job. Its message goes to the worker log only.
 */
export class JobAbort extends Error {
  constructor(readonly kind: AbortKind) {
    super(kind === 'cancel' ? 'Cancelled' : kind === 'shutdown' ? 'Worker shutting down' : 'Worker lost its lock on the job');
  }
}
