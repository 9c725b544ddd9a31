/**
 * Job-queue throughput: enqueue rate, and claim+complete rate with 1 and 2 worker processes (--workers 1,2,4
 * for others). On SQLite (the default) all share one file and each claim is a BEGIN IMMEDIATE transaction;
 * on PostgreSQL a claim row-locks its job (FOR UPDATE SKIP LOCKED) and workers do not wait for each other.
 * Every job must be claimed exactly once. Writes bench/results/queue.json.
 * --dialect postgres|both (bench/lib/dialects.ts) runs it once per dialect on a fresh database, side by side,
 * with 1, 2 and 4 workers unless --workers says otherwise, and writes bench/results/queue-dialects.json; its runs
 * also give the steady rate (claimAndCompleteSteadyPerSecond_*: from the round's first claim to its last
 * completion, by the jobs' own times), which leaves out the worker processes' start-up.
 *   node --import tsx bench/queue.ts [--jobs 5000] [--workers 1,2] [--dialect sqlite|postgres|both]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dialectsFromArgs, measuresHere, runDialects, stringArg, useDialect, writeChildResult } from './lib/dialects';

const flag = process.argv.indexOf('--jobs');
const N = flag >= 0 ? Number(process.argv[flag + 1]) : 5000;
const dialects = dialectsFromArgs();
// The figures issue 15 asks of each dialect; a plain SQLite run keeps its two (and queue.json's fields).
const legacy = dialects.length === 1 && dialects[0] === 'sqlite' && stringArg('bench-child') === undefined;
const WORKERS = (stringArg('workers') ?? (legacy ? '1,2' : '1,2,4')).split(',').map(Number);
if (WORKERS.some((w) => !Number.isInteger(w) || w < 1)) throw new Error(`--workers takes counts such as 1,2,4 (got ${stringArg('workers')})`);

if (!measuresHere(dialects)) {
  const summarize = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([key]) => key === 'enqueuePerSecond' || key.startsWith('claimAndComplete')));
  process.exit(await runDialects({ script: 'bench/queue.ts', bench: 'queue', dialects, resultFile: 'queue-dialects.json', summarize }));
}
const dialect = dialects[0]!;
useDialect(dialect);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-queue-'));
process.env.ARBITER_DATA_DIR = dataDir;
const { closeDb, execute, firstRow, getDb, openDatabase } = await import('@/db/client');
const { sql } = await import('drizzle-orm');
const { enqueueJob } = await import('@/db/queries/queue');
const { createDemoProject } = await import('@/db/queries/demo');
const { CLI_ACTOR } = await import('@/lib/auth/access');

await openDatabase(); // PostgreSQL: migrates the fresh database (SQLite migrates on open anyway)
const { projectId } = await createDemoProject(CLI_ACTOR, { prompts: 2 });
const result: Record<string, unknown> = { date: new Date().toISOString(), jobs: N };
/** From the first claim to the last completion (the jobs' own times): the rate without the processes' start-up. */
const steady: Record<string, number> = {};

for (const workers of WORKERS) {
  let t = performance.now();
  let firstId = 0;
  let lastId = 0;
  for (let i = 0; i < N; i++) {
    lastId = (await enqueueJob('recompute-stats', { projectId })).id;
    firstId ||= lastId;
  }
  if (workers === WORKERS[0]) result.enqueuePerSecond = Math.round(N / ((performance.now() - t) / 1000));
  // PostgreSQL: planner statistics for the jobs just inserted, as autovacuum keeps them on a served database (untimed).
  if (dialect === 'postgres') await execute(sql`analyze jobs`, getDb());
  t = performance.now();
  const claimed = await Promise.all(
    Array.from({ length: workers }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/procs/claim-all.ts'], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      return new Promise<number[]>((resolve) => child.on('close', () => resolve(JSON.parse(out.trim()) as number[])));
    }),
  );
  const seconds = (performance.now() - t) / 1000;
  const counts = claimed.map((ids) => ids.length);
  if (counts.reduce((s, c) => s + c, 0) !== N) throw new Error(`claimed ${counts.join('+')} of ${N}`);
  if (new Set(claimed.flat()).size !== N) throw new Error(`a job was claimed twice (${new Set(claimed.flat()).size} distinct of ${N})`);
  // Includes each process's start-up (~1 s), so it understates the steady rate.
  result[`claimAndCompletePerSecond_${workers}worker`] = Math.round(N / seconds);
  result[`split_${workers}worker`] = counts;
  const span = await firstRow<{ first: number; last: number }>(sql`select min(started_at) as first, max(finished_at) as last from jobs where id between ${firstId} and ${lastId}`);
  steady[`claimAndCompleteSteadyPerSecond_${workers}worker`] = Math.round(N / ((Number(span!.last) - Number(span!.first)) / 1000));
}
await closeDb();
fs.rmSync(dataDir, { recursive: true, force: true });
if (!writeChildResult({ dialect, ...result, ...steady, ...(dialect === 'postgres' ? { analyzedBeforeClaims: true } : {}) })) {
  fs.mkdirSync('bench/results', { recursive: true });
  fs.writeFileSync('bench/results/queue.json', `${JSON.stringify(result, null, 2)}\n`);
}
console.log(JSON.stringify({ ...result, ...steady }, null, 2));
