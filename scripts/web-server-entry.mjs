/**
 * Entry of the web server (scripts/web-server.ts): `node scripts/web-server-entry.mjs [--dev]`.
 * Plain JavaScript on purpose. Under `node --import tsx`, tsx's hooks wrap every one of the hundreds
 * of modules Next's server loads, and the source-map support tsx turns on makes Node parse the source
 * map of each of them: measured here, that was ~1 s more CPU before the first answer than `next start`
 * on 2 cores. So Next is loaded by Node alone, tsx's CommonJS hooks are registered just long enough to
 * compile Arbiter's own TypeScript, and removed (source maps off again) before Next prepares.
 *
 * With ARBITER_WEB_PROCESSES above 1 (not under --dev, where each process would run its own compiler over
 * one .next), this process is a node:cluster primary (scripts/web-cluster.ts) that never loads Next, and
 * each child it forks runs this same file as one web server.
 */
import cluster from 'node:cluster';
import { createRequire } from 'node:module';
import { register } from 'tsx/cjs/api';

const started = Date.now();
const dev = process.argv.includes('--dev');
const require = createRequire(import.meta.url);
// As the `next` binary does for `next start` / `next dev` (next/src/bin/next.ts), before Next loads.
process.env.NODE_ENV ??= dev ? 'development' : 'production';

function fail(error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

/** Whether this process serves requests itself: a cluster child, --dev, or ARBITER_WEB_PROCESSES=1; else it starts the cluster. */
function servesItself() {
  if (!cluster.isPrimary || dev) return true;
  const unregister = register();
  const { webProcessCount, runWebCluster } = require('./web-cluster.ts');
  unregister();
  const count = webProcessCount();
  if (count === 1) return true;
  runWebCluster(count);
  return false;
}

let serve = false;
try {
  serve = servesItself();
} catch (error) {
  fail(error);
}
if (serve) {
  const { default: next } = await import('next');
  const unregister = register();
  const { runWebServer } = require('./web-server.ts');
  unregister();
  await runWebServer({ next, dev, started }).catch(fail);
}
