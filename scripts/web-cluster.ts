/**
 * Several web server processes behind one port (ARBITER_WEB_PROCESSES > 1): the web server's entry
 * (scripts/web-server-entry.mjs) becomes a node:cluster primary that forks that many children, each running
 * scripts/web-server.ts's runWebServer on the same HOSTNAME:PORT. The listening socket is the primary's,
 * and it hands each new connection to the next child in turn (cluster's round-robin scheduling). Node 20's
 * http.Server has no `reusePort` (it came in Node 22.12 and 23.1), so cluster is how processes share a
 * port there.
 *
 * The primary loads neither Next nor the database: it supervises. A child that dies is forked again with
 * the launcher's backoff (scripts/restart-backoff.ts), while the others keep answering; a child that dies
 * before it was ever ready (a port taken, a bad configuration) would fail the same way again, so the
 * primary stops them all and exits 1. SIGINT/SIGTERM are passed to every child, which closes gracefully
 * (runWebServer), and the primary exits once they are gone. It tells its own parent (scripts/start.ts)
 * `{ type: 'ready' }` once every child has been ready.
 *
 * Nothing a request depends on is held by one process (docs/architecture.md, "Several web processes"):
 * sessions, rate limits and job state are in the database, and the job event streams read it.
 */
import cluster, { type Worker } from 'node:cluster';
import { getEnv, loadEnvFiles } from '@/lib/env';
import { restartBackoff } from './restart-backoff';

/** ARBITER_WEB_PROCESSES, read after .env.local and .env as the web server itself reads its settings. */
export function webProcessCount(): number {
  loadEnvFiles();
  return getEnv().ARBITER_WEB_PROCESSES;
}

/** After this long, children that have not closed on SIGTERM are killed (they give open requests 5 s; the launcher waits 10 s). */
const FORCE_STOP_MS = 8000;

/** Runs `processes` web server children on one port until SIGINT/SIGTERM; see the top of this file. */
export function runWebCluster(processes: number): void {
  const env = getEnv();
  const address = `http://${env.HOSTNAME}:${env.PORT}`;
  // Round-robin in the primary is Node's default everywhere but Windows; said here so it holds there too.
  cluster.schedulingPolicy = cluster.SCHED_RR;

  const running = new Map<Worker, number>();
  const readyOnce = new Set<number>();
  let stopping = false;

  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const worker of running.keys()) worker.process.kill('SIGTERM');
    const force = setTimeout(() => {
      for (const worker of running.keys()) worker.process.kill('SIGKILL');
    }, FORCE_STOP_MS);
    const wait = setInterval(() => {
      if (running.size > 0) return;
      clearInterval(wait);
      clearTimeout(force);
      process.exit(code);
    }, 50);
  };

  /** Slot k (1…processes) is one web process, forked again whenever it dies. */
  const supervise = (slot: number) => {
    const nextDelay = restartBackoff();
    let everReady = false;
    const start = () => {
      const startedAt = Date.now();
      const worker = cluster.fork();
      running.set(worker, slot);
      worker.on('message', (message: { type?: unknown } | null) => {
        if (message?.type !== 'ready') return;
        everReady = true;
        if (readyOnce.has(slot)) return;
        readyOnce.add(slot);
        if (readyOnce.size < processes) return;
        const pids = [...running.keys()].map((w) => w.process.pid).join(', ');
        console.log(` ✓ ${processes} web processes ready on ${address} (pids ${pids}; primary ${process.pid})`);
        process.send?.({ type: 'ready' });
      });
      worker.on('exit', (code, signal) => {
        running.delete(worker);
        if (stopping) return;
        console.error(`web process ${worker.process.pid} exited (${signal ?? code})`);
        if (!everReady) {
          console.error(`web process ${slot} of ${processes} failed to start; stopping the others`);
          return stop(1);
        }
        const delay = nextDelay(Date.now() - startedAt);
        console.error(`restarting web process ${slot} of ${processes} in ${delay / 1000} s`);
        setTimeout(() => !stopping && start(), delay);
      });
    };
    start();
  };

  for (let slot = 1; slot <= processes; slot++) supervise(slot);
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
}
