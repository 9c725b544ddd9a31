/**
 * Cross-site requests against cookie sessions: the browser attaches Arbiter's session cookie to requests
 * that any page makes, including a page on another port of the same host (same-site, so SameSite=Lax lets
 * the cookie through, but cross-origin). Signed-in changes must come from Arbiter's own origin, as JSON;
 * reads and bearer-token calls are unaffected.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GET as listProjectsRoute, POST as createProjectRoute } from '@/app/api/v1/projects/route';
import { GET as listMembersRoute, POST as addMemberRoute } from '@/app/api/v1/projects/[id]/members/route';
import { GET as listTokensRoute, POST as createTokenRoute } from '@/app/api/v1/tokens/route';
import { DELETE as revokeTokenRoute } from '@/app/api/v1/tokens/[id]/route';
import { apiRoute } from '@/app/api/v1/_lib/api-route';
import { getAuth } from '@/db/queries/auth';
import { createApiToken, listApiTokens } from '@/db/queries/api-tokens';
import { createProject, listProjectMembers, listProjectsForActor } from '@/db/queries/projects';
import { resetEnvCache } from '@/lib/env';
import { createActor } from '../../helpers/actors';
import { noParams, params } from '../../helpers/http';

const HOST = 'http://localhost:3000';
const EVIL = 'http://localhost:4000';

type Options = { method?: string; cookie?: string; token?: string; origin?: string | null; secFetchSite?: string; contentType?: string | null; body?: string; host?: string; url?: string; forwarded?: { host: string; proto: string } };

/** A request as a browser (or a hostile page) would send it; every header is explicit. */
function request(path: string, o: Options = {}): Request {
  const headers: Record<string, string> = {};
  if (o.cookie) headers.cookie = o.cookie;
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.origin) headers.origin = o.origin;
  if (o.secFetchSite) headers['sec-fetch-site'] = o.secFetchSite;
  if (o.contentType) headers['content-type'] = o.contentType;
  if (o.host) headers.host = o.host;
  if (o.forwarded) Object.assign(headers, { 'x-forwarded-host': o.forwarded.host, 'x-forwarded-proto': o.forwarded.proto });
  // Bytes, not a string: a string body would get an automatic text/plain content type.
  return new Request(`${o.url ?? HOST}${path}`, { method: o.method ?? 'POST', headers, body: o.body === undefined ? undefined : new TextEncoder().encode(o.body) });
}

const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

describe('cross-site requests with a session cookie', async () => {
  const researcher = await createActor('researcher');
  const annotator = await createActor('annotator');
  const { headers } = await getAuth().api.signInEmail({ body: { email: researcher.email, password: researcher.password }, returnHeaders: true });
  const cookie = headers.get('set-cookie')!.split(';')[0]!;
  const project = await createProject(researcher, { name: 'Mine' });
  const pp = params({ id: String(project.id) });

  const projectNames = async () => (await listProjectsForActor(researcher)).map((p) => p.name).sort();
  const memberIds = async () => (await listProjectMembers(project.id)).map((m) => m.userId).sort();
  const tokenIds = async () => (await listApiTokens(researcher.id)).map((t) => t.id);
  /** The three changes of the incident: create a project, add a member, mint a token. */
  const attacks = (o: Options) => [
    createProjectRoute(request('/api/v1/projects', { ...o, body: JSON.stringify({ name: 'Planted' }) }), noParams),
    addMemberRoute(request(`/api/v1/projects/${project.id}/members`, { ...o, body: JSON.stringify({ email: annotator.email, role: 'researcher' }) }), pp),
    createTokenRoute(request('/api/v1/tokens', { ...o, body: JSON.stringify({ name: 'exfiltrated' }) }), noParams),
  ];

  afterEach(() => {
    delete process.env.ARBITER_BASE_URL;
    resetEnvCache();
  });

  it('refuses the three changes from a page on another port with 403, and stores nothing', async () => {
    const before = { projects: await projectNames(), members: await memberIds(), tokens: await tokenIds() };
    for (const res of await Promise.all(attacks({ cookie, origin: EVIL, contentType: 'application/json' }))) {
      expect(res.status).toBe(403);
      expect((await json(res)).error).toBe(
        `cross-origin request refused: a signed-in change must come from Arbiter's own pages, not from ${EVIL}; scripts and other sites must use an API token (Authorization: Bearer …)`,
      );
    }
    // Same host name and scheme, other port: same-site but not same-origin.
    for (const origin of ['http://localhost', 'https://localhost:3000', 'http://127.0.0.1:3000', 'null']) {
      for (const res of await Promise.all(attacks({ cookie, origin, contentType: 'application/json' }))) expect(res.status).toBe(403);
    }
    expect({ projects: await projectNames(), members: await memberIds(), tokens: await tokenIds() }).toEqual(before);
  });

  it('refuses text/plain and form bodies from the right origin (what a cross-site form can send), and stores nothing', async () => {
    const before = { projects: await projectNames(), members: await memberIds(), tokens: await tokenIds() };
    for (const contentType of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', null]) {
      for (const res of await Promise.all(attacks({ cookie, origin: HOST, contentType }))) {
        expect(res.status).toBe(403);
        expect((await json(res)).error).toMatch(/^request refused: a signed-in change must send Content-Type: application\/json \(got /);
      }
    }
    expect({ projects: await projectNames(), members: await memberIds(), tokens: await tokenIds() }).toEqual(before);
  });

  it('without an Origin header, needs Sec-Fetch-Site: same-origin', async () => {
    const before = { projects: await projectNames(), members: await memberIds(), tokens: await tokenIds() };
    for (const secFetchSite of [undefined, 'same-site', 'cross-site', 'none']) {
      for (const res of await Promise.all(attacks({ cookie, origin: null, secFetchSite, contentType: 'application/json' }))) {
        expect(res.status).toBe(403);
        expect((await json(res)).error).toMatch(/Origin header is missing/);
      }
    }
    expect({ projects: await projectNames(), members: await memberIds(), tokens: await tokenIds() }).toEqual(before);
    const ok = await createProjectRoute(request('/api/v1/projects', { cookie, secFetchSite: 'same-origin', contentType: 'application/json', body: JSON.stringify({ name: 'No origin, same-origin fetch' }) }), noParams);
    expect(ok.status).toBe(201);
  });

  it('refuses a cross-origin DELETE (token revocation) too, and the token keeps working', async () => {
    const { token, summary } = await createApiToken(researcher.id, { name: 'keep' });
    const res = await revokeTokenRoute(request(`/api/v1/tokens/${summary.id}`, { method: 'DELETE', cookie, origin: EVIL }), params({ id: String(summary.id) }));
    expect(res.status).toBe(403);
    expect((await listApiTokens(researcher.id)).find((t) => t.id === summary.id)?.revokedAt).toBeNull();
    expect((await listTokensRoute(request('/api/v1/tokens', { method: 'GET', token }), noParams)).status).toBe(200);
  });

  it('accepts the same changes from its own origin as JSON', async () => {
    const [created, added, minted] = await Promise.all(attacks({ cookie, origin: HOST, contentType: 'application/json; charset=utf-8' }));
    expect(created!.status).toBe(201);
    expect(added!.status).toBe(201);
    expect(minted!.status).toBe(201);
    expect(await projectNames()).toContain('Planted');
    expect(await memberIds()).toContain(annotator.id);
    expect(typeof (await json(minted!)).token).toBe('string');
  });

  it('counts the origin the request was addressed to (its Host) and ARBITER_BASE_URL as its own', async () => {
    const viaHost = await createProjectRoute(request('/api/v1/projects', { url: 'http://127.0.0.1:3000', host: 'arbiter.lan:8080', cookie, origin: 'http://arbiter.lan:8080', contentType: 'application/json', body: JSON.stringify({ name: 'Via Host' }) }), noParams);
    expect(viaHost.status).toBe(201);
    const proxied = { cookie, origin: 'https://arbiter.example.org', contentType: 'application/json', body: JSON.stringify({ name: 'Behind a proxy' }) };
    expect((await createProjectRoute(request('/api/v1/projects', proxied), noParams)).status).toBe(403);
    process.env.ARBITER_BASE_URL = 'https://arbiter.example.org';
    resetEnvCache();
    expect((await createProjectRoute(request('/api/v1/projects', proxied), noParams)).status).toBe(201);
  });

  it('behind a trusted TLS proxy, counts the public origin the proxy reports (X-Forwarded-Host and -Proto) as its own', async () => {
    const viaProxy = { cookie, origin: 'https://studio.example.org', contentType: 'application/json', body: JSON.stringify({ name: 'Via the proxy' }) };
    expect((await createProjectRoute(request('/api/v1/projects', viaProxy), noParams)).status).toBe(403);
    const forwarded = { host: 'studio.example.org', proto: 'https' };
    expect((await createProjectRoute(request('/api/v1/projects', { ...viaProxy, forwarded }), noParams)).status).toBe(201);
    // The forwarded origin is the only one added: another site is still refused.
    expect((await createProjectRoute(request('/api/v1/projects', { ...viaProxy, origin: EVIL, forwarded }), noParams)).status).toBe(403);
  });

  it('leaves reads alone: a cross-origin GET still answers (CORS keeps the body from the other page)', async () => {
    expect((await listProjectsRoute(request('/api/v1/projects', { method: 'GET', cookie, origin: EVIL }), noParams)).status).toBe(200);
    expect((await listMembersRoute(request(`/api/v1/projects/${project.id}/members`, { method: 'GET', cookie, origin: EVIL }), pp)).status).toBe(200);
  });

  it('leaves bearer-token calls alone: no Origin, any origin, no content type', async () => {
    const { token } = await createApiToken(researcher.id, { name: 'script' });
    const [created, added, minted] = await Promise.all(attacks({ token, origin: null, contentType: 'application/json' }));
    expect([created!.status, added!.status, minted!.status]).toEqual([201, 201, 201]);
    const fromElsewhere = await createProjectRoute(request('/api/v1/projects', { token, origin: EVIL, contentType: null, body: JSON.stringify({ name: 'Script, no content type' }) }), noParams);
    expect(fromElsewhere.status).toBe(201);
  });

  it("an upload route (body: 'file') takes any declared type but the three a cross-site page can send", async () => {
    const upload = apiRoute(async ({ request: req }) => ({ bytes: (await req.arrayBuffer()).byteLength }), { body: 'file' });
    const send = (o: Options) => upload(request('/api/v1/upload', { cookie, body: 'prompt,chosen,rejected\n', ...o }), noParams);
    for (const contentType of ['application/octet-stream', 'text/csv', 'application/gzip', 'application/json']) {
      const res = await send({ origin: HOST, contentType });
      expect(res.status).toBe(200);
      expect(await json(res)).toEqual({ bytes: 23 });
    }
    for (const contentType of ['text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', null]) {
      const res = await send({ origin: HOST, contentType });
      expect(res.status).toBe(403);
      expect((await json(res)).error).toMatch(/^request refused: send the file with a Content-Type such as application\/octet-stream/);
    }
    expect((await send({ origin: EVIL, contentType: 'application/octet-stream' })).status).toBe(403);
  });
});
