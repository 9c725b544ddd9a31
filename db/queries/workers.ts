/**
 * The worker registry (db/schema/*\/workers.ts): who is there to run jobs, for the admin Workers page,
 * `arbiter workers`, GET /api/v1/workers, and a queued job's "waiting for a worker that runs …". The queue
 * never reads it to decide anything: a job's own lease and heartbeat do (db/queries/queue.ts).
 * A worker is live while its heartbeat is younger than ARBITER_STALE_MS, the same limit after which the
 * queue takes its job back.
 */
import { and, desc, eq, gte, isNull, lt } from 'drizzle-orm';
import { getEnv } from '@/lib/env';
import type { JobKind } from '@/lib/jobs/registry';
import type { LiveWorkerKinds } from '@/lib/jobs/waiting-for';
import { db, withWriteTransaction, type WriteTransactionOptions } from '../client';
import { workers, type WorkerRow } from '../schema';

/** Registry writes touch only the worker's own row: row locks suffice on PostgreSQL. */
const ROWS: WriteTransactionOptions = { lock: 'rows' };
/** Rows of workers that stopped or died this long ago are pruned. */
const PRUNE_AFTER_MS = 24 * 60 * 60 * 1000;

export type WorkerRegistration = {
  id: string;
  host: string;
  pid: number;
  kinds: readonly JobKind[] | null;
  backend: string | null;
  gpu: string | null;
  version: string;
};

export type WorkerState = 'live' | 'stopped' | 'unresponsive';
export type WorkerView = WorkerRow & { state: WorkerState; lastSeenMs: number };

/** Registers (or re-registers, after a restart with the same host:pid) a worker, and prunes long-gone rows. */
export async function registerWorker(worker: WorkerRegistration, now = new Date()): Promise<void> {
  const values = { ...worker, kinds: worker.kinds ? [...worker.kinds] : null, startedAt: now, heartbeatAt: now, currentJobId: null, stoppedAt: null };
  await withWriteTransaction(async (tx) => {
    await tx.insert(workers).values(values).onConflictDoUpdate({ target: workers.id, set: values });
    await tx.delete(workers).where(lt(workers.heartbeatAt, new Date(now.getTime() - PRUNE_AFTER_MS)));
  }, ROWS);
}

/** A worker's heartbeat, with the job it runs now and what it learned of its ML backend. */
export async function beatWorker(id: string, update: { currentJobId: number | null; backend?: string | null; gpu?: string | null }, now = new Date()): Promise<void> {
  const set: Partial<typeof workers.$inferInsert> = { heartbeatAt: now, currentJobId: update.currentJobId, stoppedAt: null };
  if (update.backend !== undefined) set.backend = update.backend;
  if (update.gpu !== undefined) set.gpu = update.gpu;
  await withWriteTransaction((tx) => tx.update(workers).set(set).where(eq(workers.id, id)), ROWS);
}

/** A graceful stop: the row stays (shown as stopped) until pruned. */
export async function markWorkerStopped(id: string, now = new Date()): Promise<void> {
  await withWriteTransaction((tx) => tx.update(workers).set({ stoppedAt: now, currentJobId: null }).where(eq(workers.id, id)), ROWS);
}

function stateOf(row: WorkerRow, now: number, staleMs: number): WorkerState {
  if (row.stoppedAt) return 'stopped';
  return now - row.heartbeatAt.getTime() <= staleMs ? 'live' : 'unresponsive';
}

/** Every registered worker, live ones first, then by last heartbeat. */
export async function listWorkers(now = new Date()): Promise<WorkerView[]> {
  const staleMs = getEnv().ARBITER_STALE_MS;
  const rows = await db().select().from(workers).orderBy(desc(workers.heartbeatAt));
  const order: Record<WorkerState, number> = { live: 0, unresponsive: 1, stopped: 2 };
  return rows
    .map((row) => ({ ...row, state: stateOf(row, now.getTime(), staleMs), lastSeenMs: Math.max(0, now.getTime() - row.heartbeatAt.getTime()) }))
    .sort((a, b) => order[a.state] - order[b.state]);
}

/** The kinds live workers run: `all` if any runs every kind. */
export async function liveWorkerKinds(now = new Date()): Promise<LiveWorkerKinds> {
  const cutoff = new Date(now.getTime() - getEnv().ARBITER_STALE_MS);
  const rows = await db()
    .select({ kinds: workers.kinds })
    .from(workers)
    .where(and(isNull(workers.stoppedAt), gte(workers.heartbeatAt, cutoff)));
  return { any: rows.length > 0, all: rows.some((r) => r.kinds === null), kinds: new Set(rows.flatMap((r) => r.kinds ?? [])) };
}
