/**
 * By-id routes tell a caller nothing about resources of projects they cannot see: a researcher of another
 * project gets, for an existing id, exactly the status and body a nonexistent id gets (once the id they sent
 * is read as a placeholder) — never "project 4 not found", which told the model's project.
 */
import { describe, expect, it } from 'vitest';
import { createApiToken } from '@/db/queries/api-tokens';
import { startAlignment } from '@/db/queries/policies';
import { startRewardModelTraining } from '@/db/queries/reward-models';
import { enqueueJob } from '@/db/queries/queue';
import { createActor } from '../../helpers/actors';
import { apiRequest } from '../../helpers/http';
import { createGeneratedProject } from '../../helpers/projects';

type Route = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response> | Response;
const MISSING = 987654;

describe('no id leaks through by-id routes', async () => {
  const owner = await createActor('researcher');
  const outsider = await createActor('researcher');
  const { projectId } = await createGeneratedProject({ prompts: 12 }, owner);
  const other = (await createGeneratedProject({ prompts: 12 }, outsider)).projectId;
  const token = (await createApiToken(outsider.id, { name: 'o' })).token;
  const ownerToken = (await createApiToken(owner.id, { name: 'r' })).token;
  const rewardModel = (await startRewardModelTraining(owner, projectId, { kind: 'bt' })).model.id;
  const policy = (await startAlignment(owner, projectId, {})).policy.id;
  const job = (await enqueueJob('recompute-stats', { projectId }, { projectId, createdBy: owner.id })).id;
  const exportJob = (await enqueueJob('export-dataset', { projectId, format: 'trl' }, { projectId, createdBy: owner.id })).id;
  const scoreJob = (await enqueueJob('score-records', { projectId, modelId: rewardModel, rows: 1 }, { projectId, createdBy: owner.id })).id;
  // A job of the outsider's own project that is not an export, and one of their exports.
  const ownModel = (await startRewardModelTraining(outsider, other, { kind: 'bt' })).model.id;
  const ownStats = (await enqueueJob('recompute-stats', { projectId: other }, { projectId: other, createdBy: outsider.id })).id;

  const load = async (route: string) => (await import(`@/app/api/v1/${route}/route`)) as Record<string, Route>;
  /** Status and body for an id, with that id written as ":id" so two ids can be compared. */
  async function answer(route: string, method: string, params: Record<string, string>, id: number, body?: unknown, as = token) {
    const url = `/api/v1/${route.replace(/\[(\w+)\]/g, (_, k: string) => params[k]!)}`;
    const res = await (await load(route))[method]!(apiRequest(url, { method, token: as, body }), { params: Promise.resolve(params) });
    const text = await res.text();
    return { status: res.status, body: text.replaceAll(String(id), ':id') };
  }

  const cases: { route: string; method: string; key: 'id' | 'jobId'; id: number; params?: Record<string, string>; body?: unknown }[] = [
    { route: 'reward-models/[id]', method: 'GET', key: 'id', id: rewardModel },
    { route: 'reward-models/[id]/export', method: 'GET', key: 'id', id: rewardModel },
    { route: 'reward-models/[id]/score', method: 'POST', key: 'id', id: rewardModel, body: { records: [{ prompt: 'q', response: 'a' }] } },
    { route: 'policies/[id]', method: 'GET', key: 'id', id: policy },
    { route: 'policies/[id]/export', method: 'GET', key: 'id', id: policy },
    { route: 'policies/[id]/generate', method: 'POST', key: 'id', id: policy, body: { prompt: 'hi' } },
    // A scoring job's report, asked for through the model (unseen) and through the outsider's own model.
    { route: 'reward-models/[id]/scores/[jobId]', method: 'GET', key: 'id', id: rewardModel, params: { jobId: String(scoreJob) } },
    { route: 'reward-models/[id]/scores/[jobId]', method: 'GET', key: 'jobId', id: scoreJob, params: { id: String(ownModel) } },
    { route: 'jobs/[id]', method: 'GET', key: 'id', id: job },
    { route: 'jobs/[id]/metrics', method: 'GET', key: 'id', id: job },
    { route: 'jobs/[id]/events', method: 'GET', key: 'id', id: job },
    { route: 'jobs/[id]/cancel', method: 'POST', key: 'id', id: job },
    // Another project's export asked for under the outsider's own project, and their own non-export job.
    { route: 'projects/[id]/exports/[jobId]', method: 'GET', key: 'jobId', id: exportJob, params: { id: String(other) } },
    { route: 'projects/[id]/exports/[jobId]/download', method: 'GET', key: 'jobId', id: exportJob, params: { id: String(other) } },
    { route: 'projects/[id]/exports/[jobId]', method: 'GET', key: 'jobId', id: ownStats, params: { id: String(other) } },
  ];

  it('answers a researcher of another project exactly as for an id that does not exist', async () => {
    const differences: string[] = [];
    for (const c of cases) {
      const existing = await answer(c.route, c.method, { ...c.params, [c.key]: String(c.id) }, c.id, c.body);
      const missing = await answer(c.route, c.method, { ...c.params, [c.key]: String(MISSING) }, MISSING, c.body);
      expect(missing.status, `${c.method} ${c.route} with a missing id`).toBe(404);
      if (existing.status !== missing.status || existing.body !== missing.body) differences.push(`${c.method} ${c.route}: ${existing.status} ${existing.body} ≠ ${missing.status} ${missing.body}`);
      expect(existing.body).not.toContain(`project ${projectId}`);
    }
    expect(differences).toEqual([]);
  });

  it('still lets the owner through, so the ids above do exist', async () => {
    for (const c of cases.filter((x) => x.id !== ownStats && !x.params)) {
      const url = `/api/v1/${c.route.replace('[id]', String(c.id))}`;
      const res = await (await load(c.route))[c.method]!(apiRequest(url, { method: c.method, token: ownerToken, body: c.body }), { params: Promise.resolve({ id: String(c.id) }) });
      await res.body?.cancel(); // the SSE stream of a queued job would not end
      expect([401, 403, 404], `${c.method} ${c.route}`).not.toContain(res.status);
    }
    const own = await answer('projects/[id]/exports/[jobId]', 'GET', { id: String(projectId), jobId: String(exportJob) }, exportJob, undefined, ownerToken);
    expect(own.status).toBe(200);
  });
});
