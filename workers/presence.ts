/**
 * A worker's row in the registry (db/queries/workers.ts): registered at start, beaten every
 * ARBITER_HEARTBEAT_MS while the worker lives (idle or running a job), marked stopped on a graceful exit.
 * It reports host, pid, kinds, version, the job it runs, and its TensorFlow.js backend: before any ML job
 * what can be known without loading TensorFlow.js, afterwards the backend in use, and the GPU's name when
 * that is tfjs-node-gpu.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { isBusyError } from '@/db/busy';
import { beatWorker, markWorkerStopped, registerWorker } from '@/db/queries/workers';
import { appRoot, getEnv } from '@/lib/env';
import type { JobKind } from '@/lib/jobs/registry';
import { backendInUse } from '@/lib/ml/backend-in-use';

const NATIVE_PACKAGES = [
  ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu'],
  ['tensorflow', '@tensorflow/tfjs-node'],
] as const;

/** ARBITER_ML_BACKEND, or for `auto` the first native package that resolves (else wasm), marked `auto:`. */
function expectedBackend(): string {
  const env = getEnv();
  if (env.ARBITER_ML_BACKEND !== 'auto') return env.ARBITER_ML_BACKEND;
  const require_ = createRequire(path.join(appRoot(env), 'package.json'));
  for (const [backend, name] of NATIVE_PACKAGES) {
    try {
      require_.resolve(name);
      return `auto:${backend}`;
    } catch {
      // not installed: try the next
    }
  }
  return 'auto:wasm';
}

/** The GPU's name from nvidia-smi (what tfjs-node-gpu runs on: CUDA device 0), or null if it cannot say. */
function gpuName(): string | null {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n')[0]?.trim() || null;
  } catch {
    return null;
  }
}

function packageVersion(): string {
  const require_ = createRequire(path.join(appRoot(getEnv()), 'package.json'));
  return (require_('./package.json') as { version: string }).version;
}

export type Presence = { setCurrentJob(jobId: number | null): void; stop(): Promise<void> };

export async function startPresence(workerId: string, kinds: readonly JobKind[] | null, log: (message: string) => void): Promise<Presence> {
  const env = getEnv();
  await registerWorker({ id: workerId, host: os.hostname(), pid: process.pid, kinds, backend: expectedBackend(), gpu: null, version: packageVersion() });
  let currentJobId: number | null = null;
  let reportedBackend: string | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<void> = Promise.resolve();
  const beat = async () => {
    const backend = backendInUse();
    const update: Parameters<typeof beatWorker>[1] = { currentJobId };
    if (backend && backend !== reportedBackend) {
      update.backend = backend;
      update.gpu = backend === 'tensorflow-gpu' ? gpuName() : null;
    }
    try {
      await beatWorker(workerId, update);
      if (update.backend) reportedBackend = update.backend;
    } catch (error) {
      // A busy database skips a beat (the next one tries again); anything else is worth a line in the log.
      if (!isBusyError(error)) log(`[worker ${workerId}] registry heartbeat failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  // Beats are chained, not an interval: each starts once the previous one settled.
  const schedule = () => {
    timer = setTimeout(() => {
      beating = beating.then(beat).finally(() => {
        if (!stopped) schedule();
      });
    }, env.ARBITER_HEARTBEAT_MS);
  };
  schedule();
  return {
    setCurrentJob(jobId) {
      if (jobId === currentJobId) return;
      currentJobId = jobId;
      // Shown at once on the Workers page rather than a heartbeat later (one extra beat, in the same chain).
      beating = beating.then(beat);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await beating;
      await markWorkerStopped(workerId).catch(() => undefined);
    },
  };
}
