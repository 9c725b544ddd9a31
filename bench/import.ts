/**
 * Streaming import at scale: writes N preference pairs as JSON Lines (distinct prompts, TRL explicit
 * standard form), imports them through the same path as `arbiter import` (staged, then one transaction), and reports
 * rows per second and the process's peak resident memory (it must not grow with the file).
 * Then exports the same pairs, streamed (canonical TRL files, 10% test split), and reports its time and peak memory.
 * Writes bench/results/import.json.   node --import tsx bench/import.ts [--rows 1000000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const i = process.argv.indexOf('--rows');
const ROWS = i >= 0 ? Number(process.argv[i + 1]) : 1_000_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-import-'));
process.env.ARBITER_DATA_DIR = dir;
const { getDb } = await import('@/db/client');
const { runImport } = await import('@/db/queries/imports');
const { createProject } = await import('@/db/queries/projects');
const { CLI_ACTOR } = await import('@/lib/auth/access');

const file = path.join(dir, 'pairs.jsonl');
let t = performance.now();
const out = fs.createWriteStream(file);
for (let k = 0; k < ROWS; k++) {
  const line = `${JSON.stringify({ prompt: `Question ${k}: explain item ${k % 977} in one paragraph.`, chosen: `A careful answer about ${k} with the details that matter.`, rejected: `A vague answer ${k}.`, margin: (k % 3) + 1 })}\n`;
  if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
}
await new Promise<void>((r) => out.end(() => r()));
const writeSeconds = (performance.now() - t) / 1000;
const bytes = fs.statSync(file).size;

getDb();
const project = await createProject(CLI_ACTOR, { name: 'bench import' });
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
const rssBefore = process.memoryUsage().rss;
t = performance.now();
const report = await runImport(CLI_ACTOR, project.id, file);
const seconds = (performance.now() - t) / 1000;
clearInterval(sampler);
peak = Math.max(peak, process.resourceUsage().maxRSS * 1024);
if (!report.imported || report.counts.comparisonsAdded !== ROWS) throw new Error(`import failed: ${JSON.stringify(report.counts)} ${JSON.stringify(report.errors.slice(0, 3))}`);
// Export the same million pairs, streamed (aggregate, split, validate, write the canonical files + card).
const { writeProjectExport } = await import('@/db/queries/export');
const { DEFAULT_EXPORT_OPTIONS } = await import('@/lib/data/export');
const exportDir = path.join(dir, 'export');
const rssBeforeExport = process.memoryUsage().rss;
let exportPeak = rssBeforeExport;
const sampler2 = setInterval(() => (exportPeak = Math.max(exportPeak, process.memoryUsage().rss)), 50);
t = performance.now();
const summary = await writeProjectExport(project.id, exportDir, { format: 'trl', options: { ...DEFAULT_EXPORT_OPTIONS, testShare: 0.1 } }, { progress: () => {} });
const exportSeconds = (performance.now() - t) / 1000;
clearInterval(sampler2);
if (summary.counts.pairs !== ROWS || !summary.validation.ok) throw new Error(`export failed: ${JSON.stringify(summary.counts)}`);
const lines = fs.readFileSync(path.join(exportDir, 'train.jsonl'), 'utf8').split('\n').length - 1 + fs.readFileSync(path.join(exportDir, 'test.jsonl'), 'utf8').split('\n').length - 1;
if (lines !== ROWS) throw new Error(`export wrote ${lines} rows, expected ${ROWS}`);
const exportMiB = summary.files.reduce((s, f) => s + fs.statSync(path.join(exportDir, f)).size, 0) / 2 ** 20;

const result = {
  date: new Date().toISOString(),
  rows: ROWS,
  fileMiB: +(bytes / 2 ** 20).toFixed(1),
  importSeconds: +seconds.toFixed(1),
  /** The commit alone: how long the live database's write lock was held (parsing and staging hold none). */
  writeLockSeconds: +(report.writeLockMs / 1000).toFixed(1),
  rowsPerSecond: Math.round(ROWS / seconds),
  rssBeforeMiB: Math.round(rssBefore / 2 ** 20),
  peakRssMiB: Math.round(peak / 2 ** 20),
  databaseMiB: +(fs.statSync(path.join(dir, 'arbiter.db')).size / 2 ** 20).toFixed(1),
  writeFileSeconds: +writeSeconds.toFixed(1),
  exportSeconds: +exportSeconds.toFixed(1),
  exportRowsPerSecond: Math.round(ROWS / exportSeconds),
  exportRssBeforeMiB: Math.round(rssBeforeExport / 2 ** 20),
  exportPeakRssMiB: Math.round(exportPeak / 2 ** 20),
  exportMiB: +exportMiB.toFixed(1),
};
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync('bench/results/import.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
