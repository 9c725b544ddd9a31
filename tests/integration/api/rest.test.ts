import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isPostgres } from '@/db/dialect';
import { GET as health } from '@/app/api/v1/health/route';
import { GET as me } from '@/app/api/v1/me/route';
import { GET as listProjects, POST as createProjectRoute } from '@/app/api/v1/projects/route';
import { GET as getProject } from '@/app/api/v1/projects/[id]/route';
import { POST as recompute } from '@/app/api/v1/projects/[id]/stats/route';
import { GET as listJobs } from '@/app/api/v1/jobs/route';
import { GET as getJob } from '@/app/api/v1/jobs/[id]/route';
import { POST as cancelJob } from '@/app/api/v1/jobs/[id]/cancel/route';
import { GET as jobEvents } from '@/app/api/v1/jobs/[id]/events/route';
import { POST as createUserRoute } from '@/app/api/v1/users/route';
import { GET as listInvitesRoute, POST as createInviteRoute } from '@/app/api/v1/invites/route';
import { DELETE as revokeInviteRoute } from '@/app/api/v1/invites/[id]/route';
import { acceptInvite, createInvite, getOpenInvite, listInvites } from '@/db/queries/invites';
import { GET as listTokens, POST as createTokenRoute } from '@/app/api/v1/tokens/route';
import { DELETE as revokeToken } from '@/app/api/v1/tokens/[id]/route';
import { POST as createDemo } from '@/app/api/v1/demo/route';
import { POST as addMember } from '@/app/api/v1/projects/[id]/members/route';
import { createApiToken } from '@/db/queries/api-tokens';
import { addProjectMember } from '@/db/queries/projects';
import { runOnce } from '@/workers/run-once';
import { createActor } from '../../helpers/actors';
import { apiRequest, noParams, params } from '../../helpers/http';

const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

describe('REST API v1', async () => {
  const admin = await createActor('admin');
  const researcher = await createActor('researcher');
  const annotator = await createActor('annotator');
  const adminToken = (await createApiToken(admin.id, { name: 'admin' })).token;
  const researcherToken = (await createApiToken(researcher.id, { name: 'r' })).token;
  const annotatorToken = (await createApiToken(annotator.id, { name: 'a' })).token;

  it('answers health checks without authentication', async () => {
    const res = await health();
    expect(res.status).toBe(200);
    const migrations = (JSON.parse(fs.readFileSync(`db/${isPostgres ? 'migrations-pg' : 'migrations'}/meta/_journal.json`, 'utf8')) as { entries: unknown[] }).entries.length;
    expect(await json(res)).toMatchObject({ status: 'ok', db: 'ok', migrations });
  });

  it('requires a session or a token, and names a bad token', async () => {
    expect((await listProjects(apiRequest('/api/v1/projects'), noParams)).status).toBe(401);
    const bad = await listProjects(apiRequest('/api/v1/projects', { token: 'arb_nope' }), noParams);
    expect(bad.status).toBe(401);
    expect(await json(bad)).toEqual({ error: 'invalid or revoked API token' });
    expect(await json(await me(apiRequest('/api/v1/me', { token: researcherToken }), noParams))).toMatchObject({ role: 'researcher', via: 'token' });
  });

  it('accepts a session cookie from sign-in', async () => {
    const { headers } = await (await import('@/db/queries/auth')).getAuth().api.signInEmail({ body: { email: researcher.email, password: researcher.password }, returnHeaders: true });
    const cookie = headers.get('set-cookie')!.split(';')[0]!;
    expect(await json(await me(apiRequest('/api/v1/me', { cookie }), noParams))).toMatchObject({ id: researcher.id, via: 'session' });
  });

  it('creates projects with validation that names the field, and hides others’ projects', async () => {
    const bad = await createProjectRoute(apiRequest('/api/v1/projects', { method: 'POST', token: researcherToken, body: { name: 'x', settings: { overlap: 0 } } }), noParams);
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ field: 'settings.overlap' });
    const malformed = await createProjectRoute(apiRequest('/api/v1/projects', { method: 'POST', token: researcherToken, rawBody: '{oops' }), noParams);
    expect(malformed.status).toBe(400);
    expect(await json(malformed)).toEqual({ error: 'the request body must be JSON' });
    const created = await createProjectRoute(apiRequest('/api/v1/projects', { method: 'POST', token: researcherToken, body: { name: 'API project' } }), noParams);
    expect(created.status).toBe(201);
    const { project } = (await created.json()) as { project: { id: number; name: string } };
    expect(project.name).toBe('API project');
    expect((await getProject(apiRequest(`/api/v1/projects/${project.id}`, { token: annotatorToken }), params({ id: String(project.id) }))).status).toBe(404);
    expect((await getProject(apiRequest('/api/v1/projects/abc', { token: researcherToken }), params({ id: 'abc' }))).status).toBe(400);
    expect((await createProjectRoute(apiRequest('/api/v1/projects', { method: 'POST', token: annotatorToken, body: { name: 'no' } }), noParams)).status).toBe(403);
  });

  it('enqueues a job, lets a worker finish it, and streams its progress over SSE', async () => {
    const demo = (await (await createDemo(apiRequest('/api/v1/demo', { method: 'POST', token: researcherToken, body: { prompts: 10 } }), noParams)).json()) as { projectId: number };
    await addProjectMember(demo.projectId, annotator.id, 'annotator');
    expect((await recompute(apiRequest(`/api/v1/projects/${demo.projectId}/stats`, { method: 'POST', token: annotatorToken }), params({ id: String(demo.projectId) }))).status).toBe(403);
    const queued = await recompute(apiRequest(`/api/v1/projects/${demo.projectId}/stats`, { method: 'POST', token: researcherToken }), params({ id: String(demo.projectId) }));
    expect(queued.status).toBe(202);
    const { job } = (await queued.json()) as { job: { id: number; status: string } };
    expect(job.status).toBe('queued');
    expect(((await json(await listJobs(apiRequest('/api/v1/jobs', { token: annotatorToken }), noParams))).jobs as unknown[]).length).toBe(0);
    await runOnce({ workerId: 'api-test', heartbeatMs: 50, log: () => undefined });
    const done = await json(await getJob(apiRequest(`/api/v1/jobs/${job.id}`, { token: researcherToken }), params({ id: String(job.id) })));
    expect(done.job).toMatchObject({ status: 'succeeded', progress: 1 });
    const stream = await jobEvents(apiRequest(`/api/v1/jobs/${job.id}/events`, { token: researcherToken }), params({ id: String(job.id) }));
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    const opened = Date.now();
    const text = await stream.text();
    // The stream closes once it has sent `end`, not at the next fallback tick (15 s on PostgreSQL).
    expect(Date.now() - opened).toBeLessThan(2_000);
    expect(text).toMatch(/event: metrics\ndata: \[/);
    expect(text).toMatch(/event: job\ndata: \{.*"status":"succeeded"/);
    expect(text).toMatch(/event: end/);
    const cancelled = await cancelJob(apiRequest(`/api/v1/jobs/${job.id}/cancel`, { method: 'POST', token: researcherToken }), params({ id: String(job.id) }));
    expect(((await cancelled.json()) as { job: { status: string } }).job.status).toBe('succeeded');
  });

  it('lets only admins create users and invites', async () => {
    const body = { name: 'New', email: 'new@example.com', password: 'new-password', role: 'annotator' };
    expect((await createUserRoute(apiRequest('/api/v1/users', { method: 'POST', token: researcherToken, body }), noParams)).status).toBe(403);
    expect((await createUserRoute(apiRequest('/api/v1/users', { method: 'POST', token: adminToken, body }), noParams)).status).toBe(201);
    expect((await createUserRoute(apiRequest('/api/v1/users', { method: 'POST', token: adminToken, body }), noParams)).status).toBe(409);
    const invite = await createInviteRoute(apiRequest('/api/v1/invites', { method: 'POST', token: adminToken, body: { role: 'annotator' } }), noParams);
    expect(invite.status).toBe(201);
    expect(((await invite.json()) as { url: string }).url).toMatch(/\/invite\/inv_/);
    expect((await createInviteRoute(apiRequest('/api/v1/invites', { method: 'POST', token: annotatorToken, body: {} }), noParams)).status).toBe(403);
  });

  it('lists invites with their status and revokes an unused one, whose link then stops working; a used or unknown one is refused by name', async () => {
    const made = (await (await createInviteRoute(apiRequest('/api/v1/invites', { method: 'POST', token: adminToken, body: { role: 'researcher', email: 'rita@example.com' } }), noParams)).json()) as { url: string; invite: { id: number } };
    const listed = (await (await listInvitesRoute(apiRequest('/api/v1/invites', { token: adminToken }), noParams)).json()) as { invites: { id: number; role: string; email: string | null; status: string }[] };
    expect(listed.invites.find((i) => i.id === made.invite.id)).toMatchObject({ role: 'researcher', email: 'rita@example.com', status: 'open' });
    const token = made.url.split('/invite/')[1]!;
    expect(await getOpenInvite(token)).toBeDefined();
    const revoked = await revokeInviteRoute(apiRequest(`/api/v1/invites/${made.invite.id}`, { method: 'DELETE', token: adminToken }), { params: Promise.resolve({ id: String(made.invite.id) }) });
    expect(revoked.status).toBe(200);
    expect(await getOpenInvite(token)).toBeUndefined();
    const again = await revokeInviteRoute(apiRequest(`/api/v1/invites/${made.invite.id}`, { method: 'DELETE', token: adminToken }), { params: Promise.resolve({ id: String(made.invite.id) }) });
    expect(again.status).toBe(404);
    expect(((await again.json()) as { error: string }).error).toBe(`invite ${made.invite.id} not found`);
    // A used invite stays: it is the record of how an account came to be.
    const used = await createInvite(null, { role: 'annotator' });
    await acceptInvite({ token: used.token, name: 'Una', email: 'una@example.com', password: 'una-password-1' });
    const refused = await revokeInviteRoute(apiRequest(`/api/v1/invites/${used.invite.id}`, { method: 'DELETE', token: adminToken }), { params: Promise.resolve({ id: String(used.invite.id) }) });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: string }).error).toMatch(/already used/);
    expect((await listInvites()).find((i) => i.id === used.invite.id)?.status).toBe('used');
  });

  it('creates and revokes tokens; a revoked token stops working at once', async () => {
    const created = await createTokenRoute(apiRequest('/api/v1/tokens', { method: 'POST', token: researcherToken, body: { name: 'ci' } }), noParams);
    const { token, id } = (await created.json()) as { token: string; id: number };
    expect((await me(apiRequest('/api/v1/me', { token }), noParams)).status).toBe(200);
    expect((await revokeToken(apiRequest(`/api/v1/tokens/${id}`, { method: 'DELETE', token: annotatorToken }), params({ id: String(id) }))).status).toBe(404);
    expect((await revokeToken(apiRequest(`/api/v1/tokens/${id}`, { method: 'DELETE', token: researcherToken }), params({ id: String(id) }))).status).toBe(200);
    expect((await me(apiRequest('/api/v1/me', { token }), noParams)).status).toBe(401);
    const listed = (await (await listTokens(apiRequest('/api/v1/tokens', { token: researcherToken }), noParams)).json()) as { tokens: { id: number; revokedAt: string | null }[] };
    expect(listed.tokens.find((t) => t.id === id)?.revokedAt).not.toBeNull();
  });

  it('lets a project researcher add an existing user as a member, who then sees the project', async () => {
    const created = await createProjectRoute(apiRequest('/api/v1/projects', { method: 'POST', token: researcherToken, body: { name: 'Members' } }), noParams);
    const { project } = (await created.json()) as { project: { id: number } };
    const p = params({ id: String(project.id) });
    const add = (token: string, body: unknown) => addMember(apiRequest(`/api/v1/projects/${project.id}/members`, { method: 'POST', token, body }), p);
    expect((await add(annotatorToken, { email: annotator.email, role: 'annotator' })).status).toBe(404);
    const unknown = await add(researcherToken, { email: 'ghost@example.com', role: 'annotator' });
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toEqual({ error: 'no user with email ghost@example.com; invite them first' });
    expect((await add(researcherToken, { email: annotator.email, role: 'boss' })).status).toBe(400);
    expect((await add(researcherToken, { email: annotator.email, role: 'annotator' })).status).toBe(201);
    expect((await getProject(apiRequest(`/api/v1/projects/${project.id}`, { token: annotatorToken }), p)).status).toBe(200);
  });
});
