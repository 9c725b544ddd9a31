import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { GET as listWorkersRoute } from '@/app/api/v1/workers/route';
import { GET as getJobRoute } from '@/app/api/v1/jobs/[id]/route';
import { getDb } from '@/db/client';
import { createApiToken } from '@/db/queries/api-tokens';
import { getJobForActor } from '@/db/queries/jobs';
import { enqueueJob } from '@/db/queries/queue';
import { listWorkers } from '@/db/queries/workers';
import { jobs } from '@/db/schema';
import { CLI_ACTOR } from '@/lib/auth/access';
import { getEnv } from '@/lib/env';
import { runCli } from '@/cli/run-cli';
import { createActor } from '../../helpers/actors';
import { apiRequest, noParams, params } from '../../helpers/http';
import { createGeneratedProject } from '../../helpers/projects';
import { collect, runTs, spawnTs, waitFor } from '../../helpers/spawn';

const FAST = { ARBITER_HEARTBEAT_MS: '100', ARBITER_WORKER_POLL_MS: '50', ARBITER_STALE_MS: '1500' };
const jobRow = async (id: number) => (await getDb().select().from(jobs).where(eq(jobs.id, id)))[0]!;

describe('worker registry and kinds', async () => {
  const admin = await createActor('admin');
  const researcher = await createActor('researcher');
  const adminToken = (await createApiToken(admin.id, { name: 'admin' })).token;
  const researcherToken = (await createApiToken(researcher.id, { name: 'r' })).token;

  it('refuses an unknown kind by name, from --kinds and from ARBITER_WORKER_KINDS', async () => {
    const fromFlag = await runTs('workers/main.ts', ['--kinds', 'train-reward-model,train-gpt5'], FAST);
    expect(fromFlag.code).toBe(1);
    expect(fromFlag.stderr).toMatch(/--kinds: unknown job kind 'train-gpt5' \(known: .*train-reward-model.*\)/);
    const fromEnv = await runTs('workers/main.ts', [], { ...FAST, ARBITER_WORKER_KINDS: 'bogus' });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toMatch(/ARBITER_WORKER_KINDS: unknown job kind 'bogus'/);
    expect(await listWorkers()).toEqual([]);
  });

  it('registers a worker of some kinds, lists it live everywhere, says what a job of another kind waits for, and marks it stopped', async () => {
    const { projectId } = await createGeneratedProject({ prompts: 20 });
    const worker = spawnTs('workers/main.ts', ['--kinds', 'train-reward-model,align-policy'], FAST);
    const done = collect(worker);
    const id = await waitFor(async () => (await listWorkers()).find((w) => w.pid === worker.pid)?.id, 30_000, 20);

    const [registered] = await listWorkers();
    expect(registered).toMatchObject({ id, state: 'live', kinds: ['train-reward-model', 'align-policy'], currentJobId: null, stoppedAt: null });
    expect(registered!.backend).toMatch(/^(auto:)?(tensorflow-gpu|tensorflow|wasm|cpu)$/);
    expect(registered!.version).toMatch(/^\d+\.\d+\.\d+/);
    // It heartbeats while idle.
    const firstBeat = registered!.heartbeatAt.getTime();
    await waitFor(async () => (await listWorkers())[0]!.heartbeatAt.getTime() > firstBeat, 5000, 20);

    // REST: admins only.
    const listed = await listWorkersRoute(apiRequest('/api/v1/workers', { token: adminToken }), noParams);
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { workers: { id: string; state: string }[] }).workers).toEqual([expect.objectContaining({ id, state: 'live' })]);
    expect((await listWorkersRoute(apiRequest('/api/v1/workers', { token: researcherToken }), noParams)).status).toBe(403);

    // CLI.
    const lines: string[] = [];
    expect(await runCli(['workers'], (t) => lines.push(t))).toBe(0);
    expect(lines.join('\n')).toMatch(new RegExp(`${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+live\\s+train-reward-model,align-policy\\s+`));

    // A stats job: no live worker runs recompute-stats, and the job says so (the worker never claims it).
    const stats = await enqueueJob('recompute-stats', { projectId }, { projectId });
    const view = await getJobForActor(CLI_ACTOR, stats.id);
    expect(view.waitingFor).toBe('Waiting for a worker that runs recompute-stats: no live worker takes this kind');
    const viaRest = await getJobRoute(apiRequest(`/api/v1/jobs/${stats.id}`, { token: adminToken }), params({ id: String(stats.id) }));
    expect(((await viaRest.json()) as { job: { waitingFor: string } }).job.waitingFor).toMatch(/runs recompute-stats/);
    await new Promise((r) => setTimeout(r, 500));
    expect((await jobRow(stats.id)).status).toBe('queued');

    worker.kill('SIGTERM');
    expect((await done).code).toBe(0);
    const [stopped] = await listWorkers();
    expect(stopped).toMatchObject({ id, state: 'stopped' });
    expect((await getJobForActor(CLI_ACTOR, stats.id)).waitingFor).toBe('Waiting for a worker that runs recompute-stats: no worker is running');

    // A worker of every kind takes it; the registry shows the job it runs while it runs.
    const any = spawnTs('workers/main.ts', [], FAST);
    const anyDone = collect(any);
    await waitFor(async () => (await jobRow(stats.id)).status === 'succeeded', 30_000, 20);
    expect((await getJobForActor(CLI_ACTOR, stats.id)).waitingFor).toBeNull();
    any.kill('SIGTERM');
    expect((await anyDone).code).toBe(0);
  });

  it('marks a worker that stopped heartbeating (killed) as unresponsive', async () => {
    const worker = spawnTs('workers/main.ts', [], FAST);
    const done = collect(worker);
    await waitFor(async () => (await listWorkers()).find((w) => w.pid === worker.pid && w.state === 'live'), 30_000, 20);
    worker.kill('SIGKILL');
    await done;
    // Seen from a moment past the stale timeout (this process's ARBITER_STALE_MS, 30 s) after its last heartbeat.
    const lastBeat = (await listWorkers()).find((w) => w.pid === worker.pid)!.heartbeatAt.getTime();
    const later = new Date(lastBeat + getEnv().ARBITER_STALE_MS + 1);
    expect((await listWorkers(later)).find((w) => w.pid === worker.pid)?.state).toBe('unresponsive');
    expect((await listWorkers(new Date(lastBeat + 1))).find((w) => w.pid === worker.pid)?.state).toBe('live');
  });
});
