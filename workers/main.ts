/**
 * Entry point of a worker process: `npm run worker` (add --exit-when-idle to drain the queue and stop;
 * --kinds a,b, or ARBITER_WORKER_KINDS, to claim only those job kinds).
 */
import { getEnv, loadEnvFiles } from '@/lib/env';
import { workerKinds } from './kinds';
import { runWorker } from './loop';

loadEnvFiles();

Promise.resolve()
  .then(() => runWorker({ exitWhenIdle: process.argv.includes('--exit-when-idle'), kinds: workerKinds(process.argv.slice(2), getEnv().ARBITER_WORKER_KINDS) }))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
