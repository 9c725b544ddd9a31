/**
 * The assignment engine on one SQLite file: latency of lease (next task) and submit with a large
 * pool of items, in one process and with 3 annotator processes racing. Writes bench/results/annotation.json.
 *   node --import tsx bench/annotation.ts [--items 100000] [--judgments 3000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ITEMS = arg('items', 100_000);
const JUDGMENTS = arg('judgments', 3000);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-annotation-'));
process.env.ARBITER_DATA_DIR = dataDir;
const { getDb } = await import('@/db/client');
const { annotatorProgress, leaseNextTask } = await import('@/db/queries/annotation');
const { submitJudgment } = await import('@/db/queries/judgment-submit');
const { addCandidates } = await import('@/db/queries/candidates');
const { addProjectMember, createProject } = await import('@/db/queries/projects');
const { CLI_ACTOR } = await import('@/lib/auth/access');
const { createUserWithPassword } = await import('@/db/queries/users');

getDb();
const project = await createProject(CLI_ACTOR, { name: 'bench', settings: { tasks: ['pairwise'], overlap: 3 } });
let t = performance.now();
const batch = 10_000;
for (let start = 0; start < ITEMS; start += batch) {
  const rows = Array.from({ length: Math.min(batch, ITEMS - start) }, (_, k) => ({ prompt: `prompt ${start + k}`, responses: [`answer A ${start + k}`, `answer B ${start + k}`] }));
  await addCandidates(CLI_ACTOR, project.id, rows);
}
const addSeconds = (performance.now() - t) / 1000;
console.log(`added ${ITEMS} items in ${addSeconds.toFixed(1)} s`);

const users: { id: string; role: 'annotator'; name: string; email: string; via: 'session' }[] = [];
for (let i = 0; i < 9; i++) {
  const u = await createUserWithPassword({ name: `bench ${i}`, email: `bench${i}@example.com`, password: 'bench-password', role: 'annotator' });
  await addProjectMember(project.id, u.id, 'annotator');
  users.push({ id: u.id, role: 'annotator', name: u.name, email: u.email, via: 'session' });
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const lease: number[] = [];
const submit: number[] = [];
t = performance.now();
for (let i = 0; i < JUDGMENTS; i++) {
  const actor = users[i % 3]!;
  let s = performance.now();
  const task = (await leaseNextTask(actor, project.id))!;
  lease.push(performance.now() - s);
  s = performance.now();
  await submitJudgment(actor, project.id, { id: crypto.randomUUID(), assignmentId: task.assignmentId, winner: 'a', timeSpentMs: 1000 });
  submit.push(performance.now() - s);
}
const oneProcessSeconds = (performance.now() - t) / 1000;
lease.sort((a, b) => a - b);
submit.sort((a, b) => a - b);
// The API answers every lease and submit with the caller's progress (done / remaining).
const progress: number[] = [];
for (let i = 0; i < 200; i++) {
  const s = performance.now();
  await annotatorProgress(users[i % 3]!, project.id);
  progress.push(performance.now() - s);
}
progress.sort((a, b) => a - b);

console.log(`one process: ${JUDGMENTS} lease+submit in ${oneProcessSeconds.toFixed(2)} s; lease p50 ${quantile(lease, 0.5).toFixed(2)} ms p99 ${quantile(lease, 0.99).toFixed(2)} ms; submit p50 ${quantile(submit, 0.5).toFixed(2)} ms p99 ${quantile(submit, 0.99).toFixed(2)} ms`);

// Three processes, two annotators each, racing on the same file (the test suite's annotate-all loop, bounded by --limit).
const perProc = Math.floor(JUDGMENTS / 3);
t = performance.now();
const counts = await Promise.all(
  [3, 5, 7].map((k) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/procs/annotate-all.ts', String(project.id), users[k]!.id, users[k + 1]!.id], {
      env: { ...process.env, ARBITER_TEST_LIMIT: String(perProc) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    return new Promise<number>((resolve) => child.on('close', () => resolve((JSON.parse(out.trim().split('\n').at(-1)!) as number[]).length)));
  }),
);
const racingSeconds = (performance.now() - t) / 1000;
const over = getDb().$client.prepare('select count(*) as n from items where project_id = ? and annotation_count > required_annotations').get(project.id) as { n: number };
if (over.n !== 0) throw new Error(`${over.n} items over-filled`);

const result = {
  date: new Date().toISOString(),
  items: ITEMS,
  overlap: 3,
  addCandidatesPerSecond: Math.round(ITEMS / addSeconds),
  oneProcess: {
    judgments: JUDGMENTS,
    perSecond: Math.round(JUDGMENTS / oneProcessSeconds),
    leaseMs: { p50: +quantile(lease, 0.5).toFixed(2), p99: +quantile(lease, 0.99).toFixed(2) },
    submitMs: { p50: +quantile(submit, 0.5).toFixed(2), p99: +quantile(submit, 0.99).toFixed(2) },
    progressMs: { p50: +quantile(progress, 0.5).toFixed(2), p99: +quantile(progress, 0.99).toFixed(2) },
  },
  threeProcesses: { judgments: counts.reduce((s, c) => s + c, 0), perSecond: Math.round(counts.reduce((s, c) => s + c, 0) / racingSeconds), split: counts, overFilledItems: over.n, note: 'includes each process start-up (~1 s)' },
};
fs.rmSync(dataDir, { recursive: true, force: true });
fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync('bench/results/annotation.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
