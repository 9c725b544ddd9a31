/**
 * Job-queue throughput on one SQLite file: enqueue rate, and claim+complete rate with 1 and 2 worker
 * processes (each claim is a BEGIN IMMEDIATE transaction). Writes bench/results/queue.json.
 *   node --import tsx bench/queue.ts [--jobs 5000]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const flag = process.argv.indexOf('--jobs');
const N = flag >= 0 ? Number(process.argv[flag + 1]) : 5000;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-queue-'));
process.env.ARBITER_DATA_DIR = dataDir;
const { enqueueJob } = await import('@/db/queries/queue');
const { createDemoProject } = await import('@/db/queries/demo');
const { CLI_ACTOR } = await import('@/lib/auth/access');

const { projectId } = await createDemoProject(CLI_ACTOR, { prompts: 2 });
const result: Record<string, unknown> = { date: new Date().toISOString(), jobs: N };

for (const workers of [1, 2]) {
  let t = performance.now();
  for (let i = 0; i < N; i++) await enqueueJob('recompute-stats', { projectId });
  if (workers === 1) result.enqueuePerSecond = Math.round(N / ((performance.now() - t) / 1000));
  t = performance.now();
  const counts = await Promise.all(
    Array.from({ length: workers }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/procs/claim-all.ts'], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      return new Promise<number>((resolve) => child.on('close', () => resolve((JSON.parse(out.trim()) as number[]).length)));
    }),
  );
  const seconds = (performance.now() - t) / 1000;
  if (counts.reduce((s, c) => s + c, 0) !== N) throw new Error(`claimed ${counts.join('+')} of ${N}`);
  // Includes each process's start-up (~1 s), so it understates the steady rate.
  result[`claimAndCompletePerSecond_${workers}worker`] = Math.round(N / seconds);
  result[`split_${workers}worker`] = counts;
}
fs.rmSync(dataDir, { recursive: true, force: true });
fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync('bench/results/queue.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
