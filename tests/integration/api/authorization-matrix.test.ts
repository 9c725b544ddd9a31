/**
 * The authorization matrix of the REST API: every route handler under app/api/v1, every method, called
 * by each role — anonymous, an annotator of the project, a researcher of another project, a researcher
 * of the project, an admin — with the answer each must get. A route file or method without a row here
 * fails the test, so a new endpoint cannot ship without its authorization decided.
 * 'allow' means the caller got past authorization (any status but 401, 403 and 404).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApiToken } from '@/db/queries/api-tokens';
import { createInvite } from '@/db/queries/invites';
import { leaseNextTask } from '@/db/queries/annotation';
import { submitJudgment } from '@/db/queries/judgment-submit';
import { startAlignment } from '@/db/queries/policies';
import { addProjectMember } from '@/db/queries/projects';
import { startRewardModelTraining } from '@/db/queries/reward-models';
import { enqueueJob } from '@/db/queries/queue';
import { createActor } from '../../helpers/actors';
import { apiRequest } from '../../helpers/http';
import { createGeneratedProject } from '../../helpers/projects';
import { queryValue } from '../../helpers/sql';

type Role = 'anonymous' | 'annotator' | 'outsider' | 'researcher' | 'admin';
const ROLES: Role[] = ['anonymous', 'annotator', 'outsider', 'researcher', 'admin'];
type Expect = 'allow' | 401 | 403 | 404;
type Case = { route: string; method: string; params: () => Record<string, string> | Promise<Record<string, string>>; body?: () => unknown; query?: string; expect: Record<Role, Expect> };

const ROOT = path.join(process.cwd(), 'app', 'api', 'v1');
function routeFiles(dir = ROOT): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? routeFiles(path.join(dir, e.name)) : e.name === 'route.ts' ? [path.relative(ROOT, dir) || '.'] : []));
}

// Shorthands for the common rows.
const everyone: Record<Role, Expect> = { anonymous: 'allow', annotator: 'allow', outsider: 'allow', researcher: 'allow', admin: 'allow' };
const signedIn: Record<Role, Expect> = { anonymous: 401, annotator: 'allow', outsider: 'allow', researcher: 'allow', admin: 'allow' };
const researchers: Record<Role, Expect> = { anonymous: 401, annotator: 403, outsider: 404, researcher: 'allow', admin: 'allow' };
const members: Record<Role, Expect> = { anonymous: 401, annotator: 'allow', outsider: 404, researcher: 'allow', admin: 'allow' };
const adminOnly: Record<Role, Expect> = { anonymous: 401, annotator: 403, outsider: 403, researcher: 403, admin: 'allow' };
/** An annotator's own assignment or judgment: nobody else sees it, researchers and admins included. */
const ownerOnly: Record<Role, Expect> = { anonymous: 401, annotator: 'allow', outsider: 404, researcher: 404, admin: 404 };
/** Jobs and their metrics: annotators do not see the project's jobs at all. */
const jobReaders: Record<Role, Expect> = { anonymous: 401, annotator: 404, outsider: 404, researcher: 'allow', admin: 'allow' };

describe('authorization matrix (REST)', async () => {
  const admin = await createActor('admin');
  const researcher = await createActor('researcher');
  const annotator = await createActor('annotator');
  const outsider = await createActor('researcher');
  const { projectId } = await createGeneratedProject({ prompts: 12 }, researcher);
  await addProjectMember(projectId, annotator.id, 'annotator');
  const tokens: Record<Role, string | undefined> = {
    anonymous: undefined,
    annotator: (await createApiToken(annotator.id, { name: 'm' })).token,
    outsider: (await createApiToken(outsider.id, { name: 'm' })).token,
    researcher: (await createApiToken(researcher.id, { name: 'm' })).token,
    admin: (await createApiToken(admin.id, { name: 'm' })).token,
  };
  // Resources of the project, so every id in a path exists.
  const job = await enqueueJob('recompute-stats', { projectId }, { projectId, createdBy: researcher.id });
  const exportJob = await enqueueJob('export-dataset', { projectId, format: 'trl' }, { projectId, createdBy: researcher.id });
  const rewardModel = (await startRewardModelTraining(researcher, projectId, { kind: 'bt' })).model.id;
  const scoreJob = await enqueueJob('score-records', { projectId, modelId: rewardModel, rows: 1 }, { projectId, createdBy: researcher.id });
  const policy = (await startAlignment(researcher, projectId, {})).policy.id;
  const task = (await leaseNextTask(annotator, projectId))!;
  const judgmentId = crypto.randomUUID();
  await submitJudgment(annotator, projectId, { id: judgmentId, assignmentId: task.assignmentId, winner: 'a', strength: 2 });
  const second = (await leaseNextTask(annotator, projectId))!;
  const itemId = (await queryValue<number>('select id from items where project_id = ? limit 1', projectId))!;
  const P = () => ({ id: String(projectId) });

  const CASES: Case[] = [
    { route: 'health', method: 'GET', params: () => ({}), expect: everyone },
    { route: 'me', method: 'GET', params: () => ({}), expect: signedIn },
    { route: 'demo', method: 'POST', params: () => ({}), body: () => ({ prompts: 2 }), expect: { anonymous: 401, annotator: 403, outsider: 'allow', researcher: 'allow', admin: 'allow' } },
    { route: 'invites', method: 'POST', params: () => ({}), body: () => ({ role: 'annotator' }), expect: adminOnly },
    { route: 'invites', method: 'GET', params: () => ({}), expect: adminOnly },
    { route: 'invites/[id]', method: 'DELETE', params: async () => ({ id: String((await createInvite(null, { role: 'annotator' })).invite.id) }), expect: adminOnly },
    { route: 'users', method: 'GET', params: () => ({}), expect: adminOnly },
    { route: 'workers', method: 'GET', params: () => ({}), expect: adminOnly },
    { route: 'users', method: 'POST', params: () => ({}), body: () => ({ email: `u${crypto.randomUUID().slice(0, 8)}@example.com`, name: 'U', password: 'long-enough-password', role: 'annotator' }), expect: adminOnly },
    { route: 'tokens', method: 'GET', params: () => ({}), expect: signedIn },
    { route: 'tokens', method: 'POST', params: () => ({}), body: () => ({ name: 'extra' }), expect: signedIn },
    // A researcher's token: only its owner (or nobody else) may revoke it — others get 404, as if it did not exist.
    { route: 'tokens/[id]', method: 'DELETE', params: async () => ({ id: String((await createApiToken(researcher.id, { name: 'doomed' })).summary.id) }), expect: { anonymous: 401, annotator: 404, outsider: 404, researcher: 'allow', admin: 404 } },
    { route: 'projects', method: 'GET', params: () => ({}), expect: signedIn },
    { route: 'projects', method: 'POST', params: () => ({}), body: () => ({ name: 'created in the matrix' }), expect: { anonymous: 401, annotator: 403, outsider: 'allow', researcher: 'allow', admin: 'allow' } },
    { route: 'projects/[id]', method: 'GET', params: P, expect: members },
    { route: 'projects/[id]/members', method: 'GET', params: P, expect: researchers },
    { route: 'projects/[id]/members', method: 'POST', params: P, body: () => ({ email: annotator.email, role: 'annotator' }), expect: researchers },
    { route: 'projects/[id]/stats', method: 'POST', params: P, expect: researchers },
    { route: 'projects/[id]/progress', method: 'GET', params: P, expect: members },
    { route: 'projects/[id]/annotators', method: 'GET', params: P, expect: researchers },
    { route: 'projects/[id]/items', method: 'GET', params: P, expect: researchers },
    { route: 'projects/[id]/items/[itemId]/gold', method: 'PUT', params: () => ({ ...P(), itemId: String(itemId) }), body: () => ({ answer: 'a' }), expect: researchers },
    { route: 'projects/[id]/assignments/next', method: 'POST', params: P, expect: members },
    { route: 'projects/[id]/assignments/[assignmentId]/skip', method: 'POST', params: () => ({ ...P(), assignmentId: String(second.assignmentId) }), expect: ownerOnly },
    { route: 'projects/[id]/judgments', method: 'POST', params: P, body: () => ({ id: crypto.randomUUID(), assignmentId: second.assignmentId, winner: 'b' }), expect: ownerOnly },
    { route: 'projects/[id]/judgments/mine', method: 'GET', params: P, expect: members },
    // A judgment is read back only by its author (to revise it); researchers read judgments through exports.
    { route: 'projects/[id]/judgments/[judgmentId]', method: 'GET', params: () => ({ ...P(), judgmentId }), expect: ownerOnly },
    { route: 'projects/[id]/export', method: 'GET', params: P, query: '?format=trl', expect: researchers },
    { route: 'projects/[id]/exports', method: 'GET', params: P, expect: researchers },
    { route: 'projects/[id]/exports', method: 'POST', params: P, body: () => ({ format: 'trl' }), expect: researchers },
    { route: 'projects/[id]/exports/[jobId]', method: 'GET', params: () => ({ ...P(), jobId: String(exportJob.id) }), expect: researchers },
    { route: 'projects/[id]/exports/[jobId]/download', method: 'GET', params: () => ({ ...P(), jobId: String(exportJob.id) }), expect: researchers },
    { route: 'projects/[id]/imports', method: 'POST', params: P, query: '?filename=x.jsonl&dryRun=true', body: () => ({ prompt: 'q', chosen: 'a', rejected: 'b' }), expect: researchers },
    { route: 'projects/[id]/reward-models', method: 'GET', params: P, expect: researchers },
    { route: 'projects/[id]/reward-models', method: 'POST', params: P, body: () => ({ kind: 'bt' }), expect: researchers },
    { route: 'projects/[id]/reannotate', method: 'POST', params: P, body: () => ({ comparisonIds: [1] }), expect: researchers },
    { route: 'projects/[id]/policies', method: 'GET', params: P, expect: researchers },
    { route: 'projects/[id]/policies', method: 'POST', params: P, body: () => ({}), expect: researchers },
    { route: 'reward-models/[id]', method: 'GET', params: () => ({ id: String(rewardModel) }), expect: researchers },
    { route: 'reward-models/[id]/export', method: 'GET', params: () => ({ id: String(rewardModel) }), expect: researchers },
    { route: 'reward-models/[id]/score', method: 'POST', params: () => ({ id: String(rewardModel) }), body: () => ({ records: [{ prompt: 'q', response: 'a' }] }), expect: researchers },
    { route: 'reward-models/[id]/scores/[jobId]', method: 'GET', params: () => ({ id: String(rewardModel), jobId: String(scoreJob.id) }), expect: researchers },
    { route: 'policies/[id]', method: 'GET', params: () => ({ id: String(policy) }), expect: researchers },
    { route: 'policies/[id]/export', method: 'GET', params: () => ({ id: String(policy) }), expect: researchers },
    { route: 'policies/[id]/generate', method: 'POST', params: () => ({ id: String(policy) }), body: () => ({ prompt: 'hi' }), expect: researchers },
    { route: 'jobs', method: 'GET', params: () => ({}), expect: signedIn },
    { route: 'jobs/[id]', method: 'GET', params: () => ({ id: String(job.id) }), expect: jobReaders },
    { route: 'jobs/[id]/metrics', method: 'GET', params: () => ({ id: String(job.id) }), expect: jobReaders },
    { route: 'jobs/[id]/events', method: 'GET', params: () => ({ id: String(job.id) }), expect: jobReaders },
    { route: 'jobs/events', method: 'GET', params: () => ({}), expect: signedIn },
    { route: 'jobs/[id]/cancel', method: 'POST', params: () => ({ id: String(job.id) }), expect: jobReaders },
  ];

  it('has a row for every route file and method', async () => {
    const covered = new Set(CASES.map((c) => `${c.route} ${c.method}`));
    const missing: string[] = [];
    for (const route of routeFiles()) {
      const mod = (await import(path.join(ROOT, route, 'route.ts'))) as Record<string, unknown>;
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) if (typeof mod[method] === 'function' && !covered.has(`${route} ${method}`)) missing.push(`${route} ${method}`);
    }
    expect(missing).toEqual([]);
  });

  it('answers each role as the matrix says', async () => {
    const observed: string[] = [];
    const wrong: string[] = [];
    for (const c of CASES) {
      const mod = (await import(path.join(ROOT, c.route, 'route.ts'))) as Record<string, (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response> | Response>;
      const row: string[] = [];
      // Destructive calls (token revocation) run the allowed role last.
      const order = [...ROLES].sort((a, b) => (c.expect[a] === 'allow' ? 1 : 0) - (c.expect[b] === 'allow' ? 1 : 0));
      const params = await c.params();
      for (const role of order) {
        const body = c.body?.();
        const url = `/api/v1/${c.route.replace(/\[(\w+)\]/g, (_, k: string) => params[k]!)}${c.query ?? ''}`;
        const res = await mod[c.method]!(apiRequest(url, { method: c.method, token: tokens[role], body }), { params: Promise.resolve(params) });
        await res.body?.cancel().catch(() => undefined);
        const status = res.status;
        row.push(`${role}=${status}`);
        const want = c.expect[role];
        const ok = want === 'allow' ? ![401, 403, 404].includes(status) : status === want;
        if (!ok) wrong.push(`${c.method} ${c.route} as ${role}: got ${status}, expected ${want}`);
      }
      observed.push(`${c.method} ${c.route}: ${row.join(' ')}`);
    }
    if (wrong.length) console.log(observed.join('\n'));
    expect(wrong).toEqual([]);
  }, 60_000);

  it("an annotator never reads another annotator's judgment, nor their task", async () => {
    const other = await createActor('annotator');
    await addProjectMember(projectId, other.id, 'annotator');
    const token = (await createApiToken(other.id, { name: 'o' })).token;
    const { GET } = await import('@/app/api/v1/projects/[id]/judgments/[judgmentId]/route');
    const res = await GET(apiRequest(`/api/v1/projects/${projectId}/judgments/${judgmentId}`, { token }), { params: Promise.resolve({ id: String(projectId), judgmentId }) });
    expect(res.status).toBe(404);
    const { POST } = await import('@/app/api/v1/projects/[id]/assignments/[assignmentId]/skip/route');
    const skip = await POST(apiRequest('/x', { method: 'POST', token }), { params: Promise.resolve({ id: String(projectId), assignmentId: String(second.assignmentId) }) });
    expect(skip.status).toBe(404);
    const mine = await (await import('@/app/api/v1/projects/[id]/judgments/mine/route')).GET(apiRequest('/x', { token }), { params: Promise.resolve({ id: String(projectId) }) });
    expect(JSON.stringify(await mine.json())).not.toContain(judgmentId);
  });

  it('a revoked token stops working at once; a token acts only as its user', async () => {
    const { token, summary } = await createApiToken(annotator.id, { name: 'short-lived' });
    const me = (await import('@/app/api/v1/me/route')).GET;
    const who = await me(apiRequest('/x', { token }), { params: Promise.resolve({}) });
    expect(await who.json()).toMatchObject({ id: annotator.id, role: 'annotator', via: 'token' });
    const del = (await import('@/app/api/v1/tokens/[id]/route')).DELETE;
    expect((await del(apiRequest('/x', { method: 'DELETE', token }), { params: Promise.resolve({ id: String(summary.id) }) })).status).toBeLessThan(300);
    expect((await me(apiRequest('/x', { token }), { params: Promise.resolve({}) })).status).toBe(401);
  });
});
