/** Entry point of a worker process: `npm run worker` (add --exit-when-idle to drain the queue and stop). */
import { loadEnvFiles } from '@/lib/env';
import { runWorker } from './loop';

loadEnvFiles();

runWorker({ exitWhenIdle: process.argv.includes('--exit-when-idle') }).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
