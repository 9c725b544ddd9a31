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
 * With --kill-worker-at T a researcher enqueues a recompute-stats job (through the API, chunks of 100, so each
 * runs long and checkpoints) every --jobs-every seconds from the start, and at T one worker process that holds
 * a running job is killed with SIGKILL (`npm start` restarts it); the run ends once every job has settled
 * (the killed one is requeued when its heartbeat is ARBITER_STALE_MS old: --stale-ms, 10 s here), and every
 * acknowledged job must have succeeded, the killed one included. --workers sets ARBITER_WORKERS (default 1).
 * Besides the judgments, the app's invariants are checked: every item's annotation_count equals its
 * judgments, no item over-filled, every submitted assignment has its judgment and every judgment a submitted
 * assignment and one comparison.
 * --dialect sqlite|postgres|both (bench/lib/dialects.ts): sqlite (the default) as always; postgres or both run
 * the same load once per dialect on a fresh database, side by side, where PostgreSQL's storage check is amcheck
 * instead of PRAGMA integrity_check, and write bench/results/load[-kill|-import]-dialects.json.
 * Bounded in time and count. Writes bench/results/load[-kill|-import].json.
 *   node --import tsx bench/load.ts [--annotators 100] [--seconds 120] [--kill-at 60] [--items 20000] [--import-at 20 --import-rows 100000 [--import-dry-run]]
 *     [--kill-worker-at 90 [--jobs-every 5] [--stale-ms 10000] [--workers 1]] [--dialect sqlite|postgres|both]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dialectsFromArgs, measuresHere, openReader, runDialects, storageIntegrity, useDialect, writeChildResult } from './lib/dialects';
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
const KILL_WORKER_AT = arg('kill-worker-at', 0);
const JOBS_EVERY = arg('jobs-every', 5);
const STALE_MS = arg('stale-ms', 10_000);
const WORKERS = arg('workers', 1);
const PORT = 3294;
const BASE = `http://127.0.0.1:${PORT}`;
if (KILL_WORKER_AT > 0 && KILL_WORKER_AT >= SECONDS) throw new Error('--kill-worker-at must fall inside --seconds');
const RESULT_NAME = `load${KILL_AT > 0 || KILL_WORKER_AT > 0 ? '-kill' : IMPORT_AT > 0 ? '-import' : ''}`;

type Result = Record<string, unknown> & { judgmentsPerSecond: number; latencyMs: { next: { p50: number | null; p99: number | null }; submit: { p50: number | null; p99: number | null } } };
const dialects = dialectsFromArgs();
if (!measuresHere(dialects)) {
  // PostgreSQL, or both: one child run per dialect, side by side (bench/lib/dialects.ts).
  const summarize = (r: Record<string, unknown>) => {
    const { judgmentsPerSecond, acknowledged, latencyMs, errors, kill, check, invariants, workerKill } = r as Result;
    return { judgmentsPerSecond, acknowledged, latencyMs, errors, kill, check, invariants, ...(workerKill ? { workerKill } : {}) };
  };
  process.exit(await runDialects({ script: 'bench/load.ts', bench: 'load', dialects, resultFile: `${RESULT_NAME}-dialects.json`, summarize }));
}
const dialect = dialects[0]!;
useDialect(dialect);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-load-'));
process.env.ARBITER_DATA_DIR = dataDir;
process.env.ARBITER_DEMO = 'false';

// Seed in this process, before the server starts: a project of pair items and N annotators with tokens.
const { closeDb, execute, getDb, openDatabase } = await import('@/db/client');
const { sql } = await import('drizzle-orm');
const { createUserWithPassword } = await import('@/db/queries/users');
const { createApiToken } = await import('@/db/queries/api-tokens');
const { createProject, addProjectMember } = await import('@/db/queries/projects');
const { addCandidates } = await import('@/db/queries/candidates');
const { CLI_ACTOR } = await import('@/lib/auth/access');
const seedStarted = Date.now();
await openDatabase(); // PostgreSQL: migrates the fresh database (SQLite migrates on open anyway)
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
// A fresh PostgreSQL database has no planner statistics until autovacuum's first pass (a minute or more after
// the bulk insert); a served database has them, so the bench gathers them before it measures (untimed; in
// 10-annotator smoke runs it made no clear difference). SQLite's planner uses none here.
if (dialect === 'postgres') await execute(sql`analyze`, getDb());
await closeDb();
console.log(`seeded ${ITEMS} items and ${ANNOTATORS} annotators in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

let server: ChildProcess | null = null;
const env = {
  ...process.env,
  PORT: String(PORT),
  HOSTNAME: '127.0.0.1',
  ARBITER_DATA_DIR: dataDir,
  ARBITER_WORKERS: String(WORKERS),
  ARBITER_DEMO: 'false',
  ARBITER_ADMIN_EMAIL: 'admin@load.test',
  ARBITER_ADMIN_PASSWORD: 'load-admin-password',
  // A killed worker's job goes back to the queue this long after its last heartbeat (default 30 s).
  ...(KILL_WORKER_AT > 0 ? { ARBITER_STALE_MS: String(STALE_MS) } : {}),
};
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
// The checks read the database beside the app: the SQLite file, or the PostgreSQL database.
const url = process.env.ARBITER_DATABASE_URL;
const reader = await openReader(dialect === 'postgres' && url ? { dialect, url } : { dialect: 'sqlite', file: path.join(dataDir, 'arbiter.db') });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
/** --kill-worker-at: recompute-stats jobs enqueued through the API while the annotators work, and one worker killed mid-job. */
const enqueuedJobs: number[] = [];
let enqueueFailures = 0;
async function enqueueJobs(): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${BASE}/api/v1/projects/${project.id}/stats`, {
        method: 'POST',
        headers: { authorization: `Bearer ${researcherToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ chunkSize: 100 }),
      });
      const json = (await res.json().catch(() => null)) as { job?: { id: number } } | null;
      if (res.status === 202 && json?.job) enqueuedJobs.push(json.job.id);
      else enqueueFailures++;
    } catch {
      enqueueFailures++; // the server is down (--kill-at): the next one is enqueued later
    }
    await sleep(JOBS_EVERY * 1000);
  }
}
type WorkerKill = { killedAt: number; jobId: number; pid: number; progressAtKill: number; waitedForRunningJobS: number } | { killedAt: null; error: string };
let workerKill: WorkerKill | null = null;
async function killWorkerMidJob(): Promise<void> {
  const looking = Date.now();
  for (;;) {
    // A worker's id is `${hostname}:${pid}` (workers/loop.ts); only a worker of this bench's server is killed.
    const running = await reader.all<{ id: number; locked_by: string; progress: number }>(
      `select id, locked_by, progress from jobs where project_id = ? and kind = 'recompute-stats' and status = 'running' order by id`,
      [project.id],
    );
    const ours = server?.pid ? descendantsOf(server.pid) : [];
    const target = running.find((job) => ours.includes(Number(job.locked_by.split(':').pop())));
    if (target) {
      const pid = Number(target.locked_by.split(':').pop());
      process.kill(pid, 'SIGKILL');
      workerKill = { killedAt: +((Date.now() - started) / 1000).toFixed(1), jobId: target.id, pid, progressAtKill: +Number(target.progress).toFixed(3), waitedForRunningJobS: +((Date.now() - looking) / 1000).toFixed(1) };
      console.log('worker SIGKILL', workerKill);
      return;
    }
    if (Date.now() - looking > 30_000 || Date.now() > deadline) {
      workerKill = { killedAt: null, error: 'no job of this bench was running' };
      console.error('worker kill: no job was running to kill it under');
      return;
    }
    await sleep(50);
  }
}
if (KILL_WORKER_AT > 0) {
  void enqueueJobs();
  setTimeout(() => void killWorkerMidJob(), KILL_WORKER_AT * 1000);
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

/** --kill-worker-at: wait (bounded) until every job of the project has settled, then check each one. */
async function settleJobs() {
  const waiting = Date.now();
  const open = async () => (await reader.all<{ n: number }>(`select cast(count(*) as integer) as n from jobs where project_id = ? and status in ('queued', 'running', 'cancelling')`, [project.id]))[0]!.n;
  while ((await open()) > 0 && Date.now() - waiting < STALE_MS + 120_000) await sleep(500);
  const settledAfterS = +((Date.now() - waiting) / 1000).toFixed(1);
  const rows = await reader.all<{ id: number; status: string; attempts: number; result: string | null }>(
    `select id, status, attempts, cast(result as text) as result from jobs where project_id = ? and kind = 'recompute-stats' order by id`,
    [project.id],
  );
  const byId = new Map(rows.map((row) => [Number(row.id), row]));
  const byStatus: Record<string, number> = {};
  for (const row of rows) byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
  const killedId = workerKill && 'jobId' in workerKill ? workerKill.jobId : null;
  const killed = killedId === null ? undefined : byId.get(killedId);
  const killedResult = killed?.result ? (JSON.parse(killed.result) as { resumedFrom?: number }) : null;
  return {
    staleMs: STALE_MS,
    workers: WORKERS,
    enqueued: enqueuedJobs.length,
    enqueueFailures,
    inDatabase: rows.length,
    byStatus,
    missing: enqueuedJobs.filter((id) => !byId.has(id)).length,
    notSucceeded: rows.filter((row) => row.status !== 'succeeded').length,
    settledAfterS,
    killedJob: killed ? { id: killedId, status: killed.status, attempts: Number(killed.attempts), resumedFrom: killedResult?.resumedFrom ?? null } : null,
  };
}
const jobs = KILL_WORKER_AT > 0 ? await settleJobs() : null;
killServer('SIGTERM');
await new Promise((r) => setTimeout(r, 3000));
killServer('SIGKILL');

// The check: every acknowledged judgment exactly once, with its comparison; the storage intact; the invariants hold.
const { integrity, ok: integrityOk, method: integrityMethod } = await storageIntegrity(reader);
const stored = (await reader.all<{ id: string }>('select id from judgments where project_id = ?', [project.id])).map((row) => row.id);
const storedSet = new Set(stored);
const missing = [...acknowledged].filter((id) => !storedSet.has(id));
const duplicates = stored.length - storedSet.size;
const count = async (query: string) => Number((await reader.all<{ n: number }>(query, [project.id]))[0]!.n);
const withoutComparison = await count('select cast(count(*) as integer) as n from judgments j where j.project_id = ? and not exists (select 1 from comparisons c where c.judgment_id = j.id)');
const invariants = {
  itemsCountMismatch: await count('select cast(count(*) as integer) as n from items i where i.project_id = ? and i.annotation_count <> (select count(*) from judgments j where j.item_id = i.id)'),
  itemsOverfilled: await count('select cast(count(*) as integer) as n from items i where i.project_id = ? and i.is_gold = false and i.annotation_count > i.required_annotations'),
  itemsFullButOpen: await count(`select cast(count(*) as integer) as n from items i where i.project_id = ? and i.is_gold = false and i.annotation_count >= i.required_annotations and i.status = 'open'`),
  submittedWithoutJudgment: await count(
    `select cast(count(*) as integer) as n from assignments a join items i on i.id = a.item_id where i.project_id = ? and a.status = 'submitted' and not exists (select 1 from judgments j where j.assignment_id = a.id)`,
  ),
  judgmentsWithoutSubmittedAssignment: await count(
    `select cast(count(*) as integer) as n from judgments j where j.project_id = ? and not exists (select 1 from assignments a where a.id = j.assignment_id and a.status = 'submitted')`,
  ),
  judgmentsWithoutOneComparison: await count('select cast(count(*) as integer) as n from judgments j where j.project_id = ? and (select count(*) from comparisons c where c.judgment_id = j.id) <> 1'),
};
await reader.close();
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
  ...(KILL_WORKER_AT > 0 ? { workerKill, jobs } : {}),
};
// A dialect run (--dialect postgres|both) also records how the storage was checked and the app's invariants.
const childResult = { dialect, ...result, ...(dialect === 'postgres' ? { analyzedAfterSeeding: true } : {}), integrityMethod, invariants };
console.log(childResult);
if (!writeChildResult(childResult)) {
  fs.mkdirSync('bench/results', { recursive: true });
  fs.writeFileSync(`bench/results/${RESULT_NAME}.json`, `${JSON.stringify(result, null, 2)}\n`);
}
fs.rmSync(dataDir, { recursive: true, force: true });
const invariantsBroken = Object.values(invariants).some((n) => n !== 0);
const jobsLost = jobs !== null && (jobs.missing > 0 || jobs.notSucceeded > 0 || jobs.killedJob?.status !== 'succeeded');
if (invariantsBroken) console.error('invariants broken:', invariants);
if (jobsLost) console.error('jobs lost or unfinished:', jobs);
if (missing.length || duplicates || withoutComparison || !integrityOk || invariantsBroken || jobsLost) process.exit(1);
