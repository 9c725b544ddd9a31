/**
 * Load without loss: N simulated annotators (default 100) label pairs for S seconds (default 120)
 * against the server `npm start` runs, over loopback only. Each annotator loops: next task → submit a
 * judgment with a client-generated id; a failed request is retried with the same id (the product's
 * outbox does the same), so a judgment is stored at most once. With --kill-at T the whole server is
 * killed with SIGKILL at T seconds and started again; annotators keep retrying meanwhile.
 * Afterwards the database is checked: every acknowledged judgment is stored exactly once, with its
 * comparison, and PRAGMA integrity_check is ok. With --import-at T a researcher uploads an import of
 * --import-rows new candidate prompts at T seconds (--import-dry-run: a preview that writes nothing), and the
 * annotators' latencies inside the import's window are reported beside those outside it.
 * Bounded in time and count. Writes bench/results/load[-kill|-import].json.
 *   node --import tsx bench/load.ts [--annotators 100] [--seconds 120] [--kill-at 60] [--items 20000] [--import-at 20 --import-rows 100000 [--import-dry-run]]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { descendantsOf } from './lib/proc';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ANNOTATORS = arg('annotators', 100);
const SECONDS = arg('seconds', 120);
const KILL_AT = arg('kill-at', 0);
const ITEMS = arg('items', 20_000);
const IMPORT_AT = arg('import-at', 0);
const IMPORT_ROWS = arg('import-rows', 100_000);
const IMPORT_DRY_RUN = process.argv.includes('--import-dry-run');
const PORT = 3294;
const BASE = `http://127.0.0.1:${PORT}`;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-load-'));
process.env.ARBITER_DATA_DIR = dataDir;
process.env.ARBITER_DEMO = 'false';

// Seed in this process, before the server starts: a project of pair items and N annotators with tokens.
const { closeDb } = await import('@/db/client');
const { createUserWithPassword } = await import('@/db/queries/users');
const { createApiToken } = await import('@/db/queries/api-tokens');
const { createProject, addProjectMember } = await import('@/db/queries/projects');
const { addCandidates } = await import('@/db/queries/candidates');
const { CLI_ACTOR } = await import('@/lib/auth/access');
const seedStarted = Date.now();
const project = await createProject(CLI_ACTOR, { name: 'load' });
for (let k = 0; k < ITEMS; k += 2000) {
  await addCandidates(CLI_ACTOR, project.id, Array.from({ length: Math.min(2000, ITEMS - k) }, (_, i) => ({ prompt: `Question ${k + i}: what is ${k + i} + 1?`, responses: [`${k + i + 1}.`, `It is ${k + i + 2}, probably.`] })));
}
const tokens: string[] = [];
for (let a = 0; a < ANNOTATORS; a++) {
  const user = await createUserWithPassword({ name: `annotator ${a}`, email: `a${a}@load.test`, password: `load-password-${a}`, role: 'annotator' });
  await addProjectMember(project.id, user.id, 'annotator');
  tokens.push((await createApiToken(user.id, { name: 'load' })).token);
}
const researcher = await createUserWithPassword({ name: 'researcher', email: 'researcher@load.test', password: 'load-researcher-password', role: 'admin' });
const researcherToken = (await createApiToken(researcher.id, { name: 'load' })).token;
closeDb();
console.log(`seeded ${ITEMS} items and ${ANNOTATORS} annotators in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

let server: ChildProcess | null = null;
const env = { ...process.env, PORT: String(PORT), HOSTNAME: '127.0.0.1', ARBITER_DATA_DIR: dataDir, ARBITER_WORKERS: '1', ARBITER_DEMO: 'false', ARBITER_ADMIN_EMAIL: 'admin@load.test', ARBITER_ADMIN_PASSWORD: 'load-admin-password' };
async function startServer(): Promise<number> {
  const t = Date.now();
  server = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env, stdio: 'ignore' });
  for (;;) {
    try {
      if ((await fetch(`${BASE}/api/v1/health`)).ok) return (Date.now() - t) / 1000;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
function killServer(signal: NodeJS.Signals) {
  if (!server?.pid) return;
  const pids = [server.pid, ...descendantsOf(server.pid)];
  for (const pid of pids.reverse()) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

const firstStart = await startServer();
console.log(`server up in ${firstStart.toFixed(1)} s`);

const acknowledged = new Set<string>();
const latency = { next: [] as number[], submit: [] as number[] };
/** [ms since start at which the request ended, its latency] of every sample, to split them by the import's window. */
const timeline = { next: [] as [number, number][], submit: [] as [number, number][] };
let errors = 0;
let retries = 0;
let noWork = 0;
const deadline = Date.now() + SECONDS * 1000;
const started = Date.now();

async function call(token: string, url: string, body: unknown): Promise<{ status: number; json: unknown } | null> {
  try {
    const res = await fetch(`${BASE}${url}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    const json = await res.json().catch(() => null);
    return { status: res.status, json };
  } catch {
    return null; // connection refused or reset (the server is down)
  }
}

async function annotator(token: string) {
  while (Date.now() < deadline) {
    let t = performance.now();
    const next = await call(token, `/api/v1/projects/${project.id}/assignments/next`, {});
    if (!next || next.status >= 500) {
      errors++;
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    latency.next.push(performance.now() - t);
    timeline.next.push([Date.now() - started, performance.now() - t]);
    const task = (next.json as { task: { assignmentId: number } | null }).task;
    if (!task) {
      noWork++;
      return;
    }
    const judgment = { id: crypto.randomUUID(), assignmentId: task.assignmentId, winner: Math.random() < 0.5 ? 'a' : 'b' };
    // Retry the same id until the server answers: a judgment is stored at most once.
    for (;;) {
      t = performance.now();
      const res = await call(token, `/api/v1/projects/${project.id}/judgments`, judgment);
      if (res && (res.status === 201 || res.status === 200)) {
        latency.submit.push(performance.now() - t);
        timeline.submit.push([Date.now() - started, performance.now() - t]);
        acknowledged.add(judgment.id);
        break;
      }
      if (res && res.status < 500 && res.status !== 429) {
        if (errors++ === 0) console.error(`first refused submit: ${res.status} ${JSON.stringify(res.json)}`); // refused (e.g. the lease expired while the server was down): the task is served again
        break;
      }
      retries++;
      if (Date.now() > deadline + 30_000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

let downtime: { killedAt: number; upAgainAfter: number } | null = null;
if (KILL_AT > 0) {
  setTimeout(() => void killAndRestart(), KILL_AT * 1000);
}
async function killAndRestart(): Promise<void> {
  const killedAt = (Date.now() - started) / 1000;
  killServer('SIGKILL');
  console.log(`SIGKILL at ${killedAt.toFixed(1)} s with ${acknowledged.size} judgments acknowledged`);
  const upAgainAfter = await startServer();
  downtime = { killedAt, upAgainAfter };
  console.log(`back up after ${upAgainAfter.toFixed(1)} s`);
}
type ImportRun = { rows: number; dryRun: boolean; startedAt: number; endedAt: number; status: number; writeLockMs: number | null; imported: boolean | null };
let importRun: ImportRun | null = null;
const runImportMidway = async () => {
  const body = Array.from({ length: IMPORT_ROWS }, (_, k) => JSON.stringify({ prompt: `Imported question ${k}: what is ${k} - 1?`, responses: [`${k - 1}.`, `About ${k}.`] })).join('\n');
  const startedAt = Date.now() - started;
  const res = await fetch(`${BASE}/api/v1/projects/${project.id}/imports?filename=import.jsonl${IMPORT_DRY_RUN ? '&dryRun=1' : ''}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${researcherToken}`, 'content-type': 'application/octet-stream' },
    body,
  });
  const report = (await res.json().catch(() => null)) as { writeLockMs?: number; imported?: boolean } | null;
  importRun = { rows: IMPORT_ROWS, dryRun: IMPORT_DRY_RUN, startedAt, endedAt: Date.now() - started, status: res.status, writeLockMs: report?.writeLockMs ?? null, imported: report?.imported ?? null };
  console.log('import', importRun);
};
const importDone = IMPORT_AT > 0 ? new Promise<void>((resolve) => setTimeout(() => void runImportMidway().then(resolve), IMPORT_AT * 1000)) : Promise.resolve();
await Promise.all(tokens.map((t) => annotator(t)));
await importDone;
const elapsed = (Date.now() - started) / 1000;
killServer('SIGTERM');
await new Promise((r) => setTimeout(r, 3000));
killServer('SIGKILL');

// The check: every acknowledged judgment exactly once, with its comparison; the file intact.
const db = new Database(path.join(dataDir, 'arbiter.db'), { readonly: true });
const integrity = db.pragma('integrity_check', { simple: true });
const stored = db.prepare('select id from judgments where project_id = ?').pluck().all(project.id) as string[];
const storedSet = new Set(stored);
const missing = [...acknowledged].filter((id) => !storedSet.has(id));
const duplicates = stored.length - storedSet.size;
const withoutComparison = db.prepare('select count(*) from judgments j where j.project_id = ? and not exists (select 1 from comparisons c where c.judgment_id = j.id)').pluck().get(project.id) as number;
db.close();
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? +s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(1) : null;
};
/**
 * p50/p99 of next and submit before the import (from 10 s after the start: the first seconds are the
 * server warming up), during it, and after it (2 s on; the project then holds the imported items too).
 */
function byWindow(run: ImportRun) {
  const within = (xs: [number, number][], from: number, to: number) => xs.filter(([at]) => at >= from && at <= to).map(([, ms]) => ms);
  const summary = (from: number, to: number) => {
    const next = within(timeline.next, from, to);
    const submit = within(timeline.submit, from, to);
    return { next: { n: next.length, p50: pct(next, 0.5), p99: pct(next, 0.99) }, submit: { n: submit.length, p50: pct(submit, 0.5), p99: pct(submit, 0.99) } };
  };
  return { beforeImport: summary(10_000, run.startedAt), duringImport: summary(run.startedAt, run.endedAt), afterImport: summary(run.endedAt + 2000, Infinity) };
}
const result = {
  date: new Date().toISOString(),
  cpus: os.cpus().length,
  annotators: ANNOTATORS,
  seconds: +elapsed.toFixed(1),
  items: ITEMS,
  acknowledged: acknowledged.size,
  judgmentsPerSecond: +(acknowledged.size / elapsed).toFixed(1),
  latencyMs: { next: { p50: pct(latency.next, 0.5), p99: pct(latency.next, 0.99) }, submit: { p50: pct(latency.submit, 0.5), p99: pct(latency.submit, 0.99) } },
  errors,
  retries,
  annotatorsOutOfWork: noWork,
  kill: downtime,
  import: importRun,
  ...(importRun ? { latencyByImportWindowMs: byWindow(importRun) } : {}),
  check: { stored: stored.length, storedNotAcknowledged: stored.length - (acknowledged.size - missing.length), missing: missing.length, duplicates, withoutComparison, integrity },
};
console.log(result);
fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync(`bench/results/load${KILL_AT > 0 ? '-kill' : IMPORT_AT > 0 ? '-import' : ''}.json`, `${JSON.stringify(result, null, 2)}\n`);
fs.rmSync(dataDir, { recursive: true, force: true });
if (missing.length || duplicates || integrity !== 'ok') process.exit(1);
