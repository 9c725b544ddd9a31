/**
 * The worker loop: migrate, register in the worker registry, requeue jobs of dead workers, then claim → run →
 * settle until SIGTERM/SIGINT (the current job is handed back; a second signal exits at once).
 * Run several on one database, on any hosts that reach it: each claim is one transaction (IMMEDIATE on SQLite,
 * FOR UPDATE SKIP LOCKED on PostgreSQL), of the kinds the worker runs (--kinds).
 * An idle worker polls every ARBITER_WORKER_POLL_MS on SQLite; on PostgreSQL it waits for a job notification
 * (db/notify.ts), and at most until the next queued job's run_at (a retry's backoff, which no notification marks)
 * or IDLE_FALLBACK_MS, in case a notification was missed.
 */
import os from 'node:os';
import { retryWhileBusy } from '@/db/busy';
import { closeDb, openDatabase } from '@/db/client';
import { getEnv } from '@/lib/env';
import { nextQueuedRunAt, requeueStaleJobs } from '@/db/queries/queue';
import { openJobWaker } from '@/db/notify';
import type { JobKind } from '@/lib/jobs/registry';
import { startPresence } from './presence';
import { runOnce } from './run-once';

/** On PostgreSQL, the longest an idle worker waits without a notification before it looks again. */
const IDLE_FALLBACK_MS = 30_000;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

export async function runWorker(options: { workerId?: string; exitWhenIdle?: boolean; kinds?: readonly JobKind[] | null } = {}): Promise<void> {
  const env = getEnv();
  const workerId = options.workerId ?? `${os.hostname()}:${process.pid}`;
  const kinds = options.kinds ?? null;
  const log = (message: string) => console.log(message);
  await openDatabase();
  const presence = await startPresence(workerId, kinds, log);
  const waker = options.exitWhenIdle ? undefined : await openJobWaker(kinds ?? undefined);
  const shutdown = new AbortController();
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // A terminal Ctrl-C reaches both `npm start` (which forwards SIGTERM) and the worker: a signal
    // within a second of the first is the same request; a later one means "exit now".
    if (firstSignalAt && Date.now() - firstSignalAt > 1000) process.exit(130);
    if (firstSignalAt) return;
    firstSignalAt = Date.now();
    console.log(`[worker ${workerId}] ${signal}: finishing up`);
    shutdown.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let lastSweep = 0;
  const sweep = async () => {
    const swept = await retryWhileBusy(
      () => requeueStaleJobs(env.ARBITER_STALE_MS),
      undefined,
      () => console.log(`[worker ${workerId}] database busy; waiting to sweep stale jobs`),
    );
    if (swept.requeued.length + swept.failed.length + swept.cancelled.length > 0) console.log(`[worker ${workerId}] recovered stale jobs`, swept);
    lastSweep = Date.now();
  };
  // The first sweep runs before the worker says it is ready: from then on it only claims (and sweeps now and then).
  await sweep();
  const waiting = waker ? 'waits for job notifications' : `polls every ${env.ARBITER_WORKER_POLL_MS} ms`;
  console.log(`[worker ${workerId}] ready (kinds: ${kinds ? kinds.join(', ') : 'all'}; ${waiting}; heartbeat ${env.ARBITER_HEARTBEAT_MS} ms)`);
  while (!shutdown.signal.aborted) {
    if (Date.now() - lastSweep > env.ARBITER_STALE_MS / 2) await sweep();
    const ran = await runOnce({ workerId, kinds, heartbeatMs: env.ARBITER_HEARTBEAT_MS, shutdownSignal: shutdown.signal, onJob: (id) => presence.setCurrentJob(id), log });
    if (!ran) {
      if (options.exitWhenIdle) break;
      if (waker) {
        // Wake for a notification, the next due retry, the next sweep, or the fallback, whichever is first.
        const next = await nextQueuedRunAt(kinds);
        // (A job due now that a claim skipped was row-locked by another claimer: look again shortly, never spin.)
        const untilDue = next ? Math.max(50, next.getTime() - Date.now()) : IDLE_FALLBACK_MS;
        const untilSweep = Math.max(0, lastSweep + env.ARBITER_STALE_MS / 2 - Date.now());
        await waker.wait(Math.min(untilDue, untilSweep, IDLE_FALLBACK_MS), shutdown.signal);
      } else await sleep(env.ARBITER_WORKER_POLL_MS, shutdown.signal);
    }
  }
  waker?.close();
  await presence.stop();
  await closeDb();
  console.log(`[worker ${workerId}] stopped`);
}
