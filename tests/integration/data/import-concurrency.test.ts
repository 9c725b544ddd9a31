/**
 * Regression test for a data-loss bug: an import used to hold BEGIN IMMEDIATE on the web server's one
 * connection while it streamed the file, so requests served meanwhile wrote inside the import's
 * transaction, and when the import rolled back (a dry run, a bad row, an error) their acknowledged
 * writes vanished. Here a slow import runs — through the REST route, or as a CLI process that is killed
 * — while an annotator leases and submits judgments, mints API tokens and signs in. Every write that
 * was acknowledged must be stored afterwards, the import's rows must not be (or must all be, for an
 * import that commits), and no task may be handed out for an item that exists only inside the import.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { POST as importFile } from '@/app/api/v1/projects/[id]/imports/route';
import { POST as nextTask } from '@/app/api/v1/projects/[id]/assignments/next/route';
import { POST as submitJudgment } from '@/app/api/v1/projects/[id]/judgments/route';
import { POST as createToken } from '@/app/api/v1/tokens/route';
import { createApiToken } from '@/db/queries/api-tokens';
import { getAuth, resetAuth } from '@/db/queries/auth';
import { addCandidates } from '@/db/queries/candidates';
import { addProjectMember, createProject } from '@/db/queries/projects';
import { dataDir, resetEnvCache } from '@/lib/env';
import { createActor } from '../../helpers/actors';
import { apiRequest, params } from '../../helpers/http';
import { spawnTs, collect, waitFor } from '../../helpers/spawn';
import { queryRow } from '../../helpers/sql';

// Sign-ins here are many and from one address: the per-IP limit is not what this test is about.
process.env.ARBITER_SIGNIN_RATE_LIMIT = '100000';
resetEnvCache();
resetAuth();

const IMPORTED_ROWS = 30_000;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (res: Response) => (await res.json()) as Record<string, any>;
const count = async (sql: string, ...args: unknown[]) => (await queryRow<{ n: number }>(sql, ...args))!.n;
const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

describe('writes acknowledged while an import runs are never lost', async () => {
  const researcher = await createActor('researcher');
  const annotator = await createActor('annotator');
  const researcherToken = (await createApiToken(researcher.id, { name: 'r' })).token;
  const annotatorToken = (await createApiToken(annotator.id, { name: 'a' })).token;
  const project = await createProject(researcher, { name: 'import races', settings: { tasks: ['pairwise'], overlap: 1 } });
  await addProjectMember(project.id, annotator.id, 'annotator');
  // Enough open items for the annotator to keep answering through every scenario.
  await addCandidates(
    researcher,
    project.id,
    Array.from({ length: 400 }, (_, k) => ({ prompt: `existing prompt ${k}`, responses: [`left ${k}`, `right ${k}`] })),
  );
  const p = params({ id: String(project.id) });

  /** A candidates file of IMPORTED_ROWS new prompts, optionally ending in a bad row. */
  const importBody = (tag: string, badLast: boolean) => {
    const lines = Array.from({ length: IMPORTED_ROWS }, (_, k) => JSON.stringify({ prompt: `${tag} prompt ${k}`, responses: [`${tag} a ${k}`, `${tag} b ${k}`] }));
    if (badLast) lines.push(JSON.stringify({ prompt: `${tag} broken`, responses: [] }));
    return Buffer.from(`${lines.join('\n')}\n`);
  };
  const importRequest = (body: Buffer, query: string, signal?: AbortSignal) =>
    importFile(
      new Request(`http://localhost:3000/api/v1/projects/${project.id}/imports?filename=import.jsonl&${query}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${researcherToken}`, 'content-type': 'application/octet-stream' },
        body: new Uint8Array(body),
        signal,
      }),
      p,
    );

  type Acknowledged = { judgments: string[]; tokens: number[]; sessions: string[]; itemsHanded: number[]; latenciesMs: number[] };

  /** One annotator's round: lease, submit; then mint a token; every third round also sign in. */
  async function writeRound(ack: Acknowledged, round: number): Promise<void> {
    const started = performance.now();
    const leased = await nextTask(apiRequest('/x', { method: 'POST', token: annotatorToken }), p);
    expect(leased.status).toBe(200);
    const task = (await json(leased)).task;
    if (task) {
      ack.itemsHanded.push(task.itemId);
      const id = crypto.randomUUID();
      const submitted = await submitJudgment(apiRequest('/x', { method: 'POST', token: annotatorToken, body: { id, assignmentId: task.assignmentId, winner: 'a' } }), p);
      expect(submitted.status).toBe(201);
      ack.judgments.push(id);
    }
    ack.latenciesMs.push(performance.now() - started);
    const minted = await createToken(apiRequest('/x', { method: 'POST', token: annotatorToken, body: { name: `during import ${round}` } }), params({}));
    expect(minted.status).toBe(201);
    ack.tokens.push((await json(minted)).id);
    if (round % 3 === 0) {
      const signedIn = await getAuth().handler(
        new Request('http://localhost:3000/api/auth/sign-in/email', {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
          body: JSON.stringify({ email: annotator.email, password: annotator.password }),
        }),
      );
      expect(signedIn.status).toBe(200);
      ack.sessions.push((await json(signedIn)).token);
    }
  }

  /** Runs write rounds until `done` settles; returns what was acknowledged (rounds overlapping the import). */
  async function writeWhile(done: Promise<unknown>): Promise<Acknowledged> {
    const ack: Acknowledged = { judgments: [], tokens: [], sessions: [], itemsHanded: [], latenciesMs: [] };
    let finished = false;
    void done.finally(() => (finished = true)).catch(() => undefined);
    for (let round = 0; !finished; round++) await writeRound(ack, round);
    return ack;
  }

  async function expectAllStored(ack: Acknowledged) {
    // Every acknowledged write is in the database, once.
    for (const id of ack.judgments) expect(await count('select count(*) as n from judgments where id = ?', id), `judgment ${id}`).toBe(1);
    for (const id of ack.judgments) expect(await count('select count(*) as n from comparisons where judgment_id = ?', id), `comparison of ${id}`).toBe(1);
    for (const id of ack.tokens) expect(await count('select count(*) as n from api_tokens where id = ?', id), `token ${id}`).toBe(1);
    for (const token of ack.sessions) expect(await count('select count(*) as n from sessions where token = ?', token), 'session').toBe(1);
    // No task was handed out for an item that existed only inside an uncommitted import.
    for (const id of ack.itemsHanded) expect(await count('select count(*) as n from items where id = ?', id), `item ${id}`).toBe(1);
  }

  const importedPrompts = (tag: string) => count("select count(*) as n from prompts where project_id = ? and cast(messages as text) like ?", project.id, `%${tag} prompt%`);

  it('a dry run', async () => {
    const importing = importRequest(importBody('dry', false), 'dryRun=1');
    const ack = await writeWhile(importing);
    const report = await json(await importing);
    expect(report).toMatchObject({ imported: false, counts: { rows: IMPORTED_ROWS, promptsAdded: IMPORTED_ROWS, itemsAdded: IMPORTED_ROWS } });
    expect(ack.judgments.length, 'the import must overlap several writes for the test to mean anything').toBeGreaterThanOrEqual(3);
    await expectAllStored(ack);
    expect(await importedPrompts('dry')).toBe(0);
  });

  it('an import refused for a bad last row', async () => {
    const importing = importRequest(importBody('bad', true), '');
    const ack = await writeWhile(importing);
    const report = await json(await importing);
    expect(report).toMatchObject({ imported: false, errorCount: 1, errors: [{ line: IMPORTED_ROWS + 1 }] });
    expect(ack.judgments.length).toBeGreaterThanOrEqual(3);
    await expectAllStored(ack);
    expect(await importedPrompts('bad')).toBe(0);
  });

  it('an import whose client goes away mid-file', async () => {
    const abort = new AbortController();
    const importing = importRequest(importBody('gone', false), '', abort.signal);
    const ack = await writeWhile(
      (async () => {
        // Abort once the import is under way (its scratch file exists), and wait for the route to stop.
        await waitFor(() => fs.readdirSync(path.join(dataDir(), 'uploads')).some((f) => f.endsWith('.stage.db')), 20_000);
        abort.abort();
        await importing.catch(() => undefined);
      })(),
    );
    await expectAllStored(ack);
    expect(await importedPrompts('gone')).toBe(0);
    expect(fs.readdirSync(path.join(dataDir(), 'uploads')), 'the upload and the scratch file are removed').toEqual([]);
  });

  it('a CLI import killed mid-file (another process)', async () => {
    const file = path.join(dataDir(), 'cli-import.jsonl');
    fs.writeFileSync(file, importBody('killed', false));
    const child = spawnTs('cli/main.ts', ['import', '--project', String(project.id), file]);
    const exited = collect(child);
    const ack = await writeWhile(
      (async () => {
        await waitFor(() => fs.existsSync(path.join(dataDir(), 'uploads')) && fs.readdirSync(path.join(dataDir(), 'uploads')).some((f) => f.startsWith(`${child.pid}@`)), 30_000, 20);
        await new Promise((r) => setTimeout(r, 300));
        child.kill('SIGKILL');
        await exited;
      })(),
    );
    expect((await exited).signal).toBe('SIGKILL');
    expect(ack.judgments.length).toBeGreaterThanOrEqual(1);
    await expectAllStored(ack);
    expect(await importedPrompts('killed')).toBe(0);
  });

  it('an import that commits keeps both its rows and the writes made meanwhile; annotators stay fast', async () => {
    const idle: number[] = [];
    for (let round = 0; round < 60; round++) {
      const started = performance.now();
      const task = (await json(await nextTask(apiRequest('/x', { method: 'POST', token: annotatorToken }), p))).task;
      await submitJudgment(apiRequest('/x', { method: 'POST', token: annotatorToken, body: { id: crypto.randomUUID(), assignmentId: task.assignmentId, winner: 'b' } }), p);
      idle.push(performance.now() - started);
    }
    const importing = importRequest(importBody('kept', false), '');
    const ack = await writeWhile(importing);
    const report = await json(await importing);
    expect(report).toMatchObject({ imported: true, counts: { rows: IMPORTED_ROWS, promptsAdded: IMPORTED_ROWS, responsesAdded: 2 * IMPORTED_ROWS, itemsAdded: IMPORTED_ROWS } });
    await expectAllStored(ack);
    expect(await importedPrompts('kept')).toBe(IMPORTED_ROWS);
    console.log(`next+submit in-process: idle p50 ${percentile(idle, 50).toFixed(1)} / p99 ${percentile(idle, 99).toFixed(1)} ms; during the import p50 ${percentile(ack.latenciesMs, 50).toFixed(1)} / p99 ${percentile(ack.latenciesMs, 99).toFixed(1)} ms over ${ack.latenciesMs.length} rounds`);
  });
});
