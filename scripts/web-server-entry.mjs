/**
 * Entry of the web server (scripts/web-server.ts): `node scripts/web-server-entry.mjs [--dev]`.
 * Plain JavaScript on purpose. Under `node --import tsx`, tsx's hooks wrap every one of the hundreds
 * of modules Next's server loads, and the source-map support tsx turns on makes Node parse the source
 * map of each of them: measured here, that was ~1 s more CPU before the first answer than `next start`
 * on 2 cores. So Next is loaded by Node alone, tsx's CommonJS hooks are registered just long enough to
 * compile Arbiter's own TypeScript, and removed (source maps off again) before Next prepares.
 */
import { createRequire } from 'node:module';
import { register } from 'tsx/cjs/api';

const started = Date.now();
const dev = process.argv.includes('--dev');
// As the `next` binary does for `next start` / `next dev` (next/src/bin/next.ts), before Next loads.
process.env.NODE_ENV ??= dev ? 'development' : 'production';
const { default: next } = await import('next');
const unregister = register();
const { runWebServer } = createRequire(import.meta.url)('./web-server.ts');
unregister();
await runWebServer({ next, dev, started }).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
