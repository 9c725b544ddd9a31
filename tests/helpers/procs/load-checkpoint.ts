/**
 * Loads a checkpoint in a process of its own and prints, as one JSON line, the parameters it holds and the
 * process's resident memory: before loading (Node and TensorFlow.js alone), after, and the peak over the
 * process's life (getrusage's maxRSS, which sees inside the synchronous load). Usage: load-checkpoint.ts <dir>
 */
import { initBackend } from '@/lib/ml/backend';
import { loadCheckpoint } from '@/lib/ml/lm/checkpoint';

const dir = process.argv[2]!;
await initBackend({ preference: 'wasm', appRoot: process.cwd() });
const rssBefore = process.memoryUsage().rss;
const started = Date.now();
const { model } = loadCheckpoint(dir);
const seconds = (Date.now() - started) / 1000;
console.log(JSON.stringify({ parameters: model.parameterCount, rssBefore, rssAfter: process.memoryUsage().rss, maxRss: process.resourceUsage().maxRSS * 1024, seconds }));
model.dispose();
