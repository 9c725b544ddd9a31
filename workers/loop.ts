/**
 * The worker loop: migrate, requeue jobs of dead workers, then claim → run → settle until
 * SIGTERM/SIGINT (the current job is handed back; a second signal exits at once).
 * Run several on one database: each claims in its own IMMEDIATE transaction.
 */
import os from 'node:os';
import { retryWhileBusy } from '@/db/busy';
import { closeDb, openDatabase } from '@/db/client';
import { getEnv } from '@/lib/env';
import { requeueStaleJobs } from '@/db/queries/queue';
import { runOnce } from './run-once';

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

export async function runWorker(options: { workerId?: string; exitWhenIdle?: boolean } = {}): Promise<void> {
  const env = getEnv();
  const workerId = options.workerId ?? `${os.hostname()}:${process.pid}`;
  await openDatabase();
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
  console.log(`[worker ${workerId}] ready (poll ${env.ARBITER_WORKER_POLL_MS} ms, heartbeat ${env.ARBITER_HEARTBEAT_MS} ms)`);
  while (!shutdown.signal.aborted) {
    if (Date.now() - lastSweep > env.ARBITER_STALE_MS / 2) await sweep();
    const ran = await runOnce({ workerId, heartbeatMs: env.ARBITER_HEARTBEAT_MS, shutdownSignal: shutdown.signal });
    if (!ran) {
      if (options.exitWhenIdle) break;
      await sleep(env.ARBITER_WORKER_POLL_MS, shutdown.signal);
    }
  }
  await closeDb();
  console.log(`[worker ${workerId}] stopped`);
}
