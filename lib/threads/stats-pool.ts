/**
 * A second thread for the statistics kernels (the Bradley–Terry bootstrap), so a leaderboard uses both
 * cores of a small machine. The one place in lib/ that starts threads and writes a file: the thread's
 * code is `stats-thread.ts` bundled once by esbuild into the OS temp folder (named by its content hash;
 * a worker thread cannot load TypeScript itself). Where that is impossible (one CPU, no esbuild, a
 * failed bundle) the calling thread claims every round itself — same results, since every round has
 * its own random stream.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BtBootstrapInput, BtBootstrapRounds, BtRoundRunner } from '@/lib/stats/bt-leaderboard';
import { appRoot, getEnv } from '@/lib/env';

type Reply = ({ id: number; ok: true } & BtBootstrapRounds) | { id: number; ok: false; error: string };

let worker: Promise<Worker | null> | null = null;
let ready: Worker | null = null;
let nextId = 1;
const pending = new Map<number, { resolve: (r: BtBootstrapRounds) => void; reject: (e: Error) => void }>();

async function bundle(): Promise<string> {
  const root = appRoot();
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'lib', 'threads', 'stats-thread.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    absWorkingDir: root,
    tsconfig: path.join(root, 'tsconfig.json'),
    logLevel: 'silent',
  });
  await esbuild.stop(); // its service process would keep a CLI run alive
  const code = result.outputFiles[0]!.text;
  const file = path.join(os.tmpdir(), `arbiter-stats-thread-${crypto.createHash('sha256').update(code).digest('hex').slice(0, 16)}.cjs`);
  if (!fs.existsSync(file)) {
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, code);
    fs.renameSync(partial, file);
  }
  return file;
}

async function start(): Promise<Worker | null> {
  if (os.availableParallelism() < 2 || !getEnv().ARBITER_STATS_THREADS) return null;
  try {
    const w = new Worker(await bundle());
    w.unref();
    w.on('message', (reply: Reply) => {
      const entry = pending.get(reply.id);
      if (!entry) return;
      pending.delete(reply.id);
      if (pending.size === 0) w.unref();
      if (reply.ok) entry.resolve({ samples: reply.samples, rounds: reply.rounds, degenerate: reply.degenerate });
      else entry.reject(new Error(reply.error));
    });
    w.on('error', (error) => {
      for (const entry of pending.values()) entry.reject(error);
      pending.clear();
      worker = null;
      ready = null;
    });
    ready = w;
    return w;
  } catch (error) {
    console.warn(`[stats] no second thread (${error instanceof Error ? error.message : String(error)}); bootstrap rounds run on one thread`);
    return null;
  }
}

/** Claims and runs bootstrap rounds on the statistics thread; the caller claims the rest itself. */
export const runBtRoundsInThread: BtRoundRunner = (input: BtBootstrapInput, next: Int32Array, rounds: number) => {
  // Post synchronously when the thread is up: the caller goes on to compute its own share at once,
  // and a post deferred to a microtask would only happen after that share (no overlap at all).
  if (ready) return post(ready, input, next, rounds);
  // The thread starts in the background (bundle + start ≈ 0.3 s, once per process); until it is up the
  // caller claims every round itself.
  worker ??= start();
  return Promise.resolve({ samples: [], rounds: [], degenerate: 0 });
};

function post(w: Worker, input: BtBootstrapInput, next: Int32Array, rounds: number): Promise<BtBootstrapRounds> {
  const id = nextId++;
  return new Promise<BtBootstrapRounds>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ id, input, next, rounds });
  });
}

/** Starts the thread now and waits until it is up (benchmarks, long-lived workers). */
export async function warmStatsThread(): Promise<boolean> {
  worker ??= start();
  return (await worker) !== null;
}

/** Stops the thread (tests, benchmarks). */
export async function stopStatsThread(): Promise<void> {
  const w = await worker;
  worker = null;
  ready = null;
  await w?.terminate();
}
