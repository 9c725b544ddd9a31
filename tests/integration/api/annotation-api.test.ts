import { describe, expect, it } from 'vitest';
import { POST as next } from '@/app/api/v1/projects/[id]/assignments/next/route';
import { POST as skip } from '@/app/api/v1/projects/[id]/assignments/[assignmentId]/skip/route';
import { POST as submit } from '@/app/api/v1/projects/[id]/judgments/route';
import { GET as mine } from '@/app/api/v1/projects/[id]/judgments/mine/route';
import { GET as revisionTask } from '@/app/api/v1/projects/[id]/judgments/[judgmentId]/route';
import { GET as items } from '@/app/api/v1/projects/[id]/items/route';
import { PUT as gold } from '@/app/api/v1/projects/[id]/items/[itemId]/gold/route';
import { GET as annotatorsRoute } from '@/app/api/v1/projects/[id]/annotators/route';
import { createApiToken } from '@/db/queries/api-tokens';
import { addCandidates } from '@/db/queries/candidates';
import { addProjectMember, createProject } from '@/db/queries/projects';
import { createActor } from '../../helpers/actors';
import { apiRequest, params } from '../../helpers/http';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (res: Response) => (await res.json()) as Record<string, any>;

describe('annotation over REST', async () => {
  const researcher = await createActor('researcher');
  const annotator = await createActor('annotator');
  const other = await createActor('annotator');
  const project = await createProject(researcher, { name: 'api annotation', settings: { tasks: ['pairwise'], strengthScale: '7' } });
  await addCandidates(researcher, project.id, [{ prompt: 'Hi?', responses: ['Hello!', 'Go away.'] }, { prompt: 'Sum 2+2', responses: ['4', '5', 'four'] }]);
  await addProjectMember(project.id, annotator.id, 'annotator');
  const token = (await createApiToken(annotator.id, { name: 't' })).token;
  const researcherToken = (await createApiToken(researcher.id, { name: 'r' })).token;
  const otherToken = (await createApiToken(other.id, { name: 'o' })).token;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const p = (extra: Record<string, string> = {}) => params({ id: String(project.id), ...extra }) as any;

  it('leases, submits idempotently, and answers conflicts and bad input with clear statuses', async () => {
    const leased = await json(await next(apiRequest(`/x`, { method: 'POST', token }), p()));
    expect(leased.progress).toEqual({ done: 0, remaining: 4, skipped: 0 });
    const task = leased.task;
    expect(task.responses).toHaveLength(2);
    expect(Object.keys(task.responses[0]).sort()).toEqual(['content', 'id']);

    const body = { id: crypto.randomUUID(), assignmentId: task.assignmentId, winner: 'a', strength: 2 };
    const first = await submit(apiRequest('/x', { method: 'POST', token, body }), p());
    expect(first.status).toBe(201);
    const again = await submit(apiRequest('/x', { method: 'POST', token, body }), p());
    expect(again.status).toBe(200);
    expect((await json(again)).progress.done).toBe(1);

    const missing = await submit(apiRequest('/x', { method: 'POST', token, body: { id: crypto.randomUUID(), assignmentId: task.assignmentId, winner: 'a' } }), p());
    expect(missing.status).toBe(400);
    expect(await json(missing)).toMatchObject({ field: 'strength' });
    const dup = await submit(apiRequest('/x', { method: 'POST', token, body: { ...body, id: crypto.randomUUID() } }), p());
    expect(dup.status).toBe(409);
    const badId = await submit(apiRequest('/x', { method: 'POST', token, body: { ...body, id: 'nope' } }), p());
    expect(badId.status).toBe(400);
    expect((await json(badId)).error).toMatch(/UUID/);
    expect((await submit(apiRequest('/x', { method: 'POST', token, rawBody: '{' }), p())).status).toBe(400);

    const history = await json(await mine(apiRequest('/x', { token }), p()));
    expect(history.history).toHaveLength(1);
    const reopened = await json(await revisionTask(apiRequest('/x', { token }), p({ judgmentId: body.id })));
    expect(reopened.task.previous).toMatchObject({ winner: 'a', strength: 2 });
    expect((await revisionTask(apiRequest('/x', { token: researcherToken }), p({ judgmentId: body.id }))).status).toBe(404);

    const second = (await json(await next(apiRequest(`/x`, { method: 'POST', token }), p()))).task;
    const skipped = await skip(apiRequest('/x', { method: 'POST', token }), p({ assignmentId: String(second.assignmentId) }));
    expect((await json(skipped)).progress).toEqual({ done: 1, remaining: 2, skipped: 1 });
  });

  it('keeps non-members and annotators out of what is not theirs', async () => {
    expect((await next(apiRequest('/x', { method: 'POST', token: otherToken }), p())).status).toBe(404);
    expect((await next(apiRequest('/x', { method: 'POST' }), p())).status).toBe(401);
    expect((await items(apiRequest('/x', { token }), p())).status).toBe(403);
    expect((await annotatorsRoute(apiRequest('/x', { token }), p())).status).toBe(403);
    expect((await gold(apiRequest('/x', { method: 'PUT', token, body: { answer: { winner: 'a' } } }), p({ itemId: '1' }))).status).toBe(403);
  });

  it('gives researchers item status, annotator throughput and gold marking', async () => {
    const list = await json(await items(apiRequest('/x?filter=all&limit=10', { token: researcherToken }), p()));
    expect(list.total).toBe(4);
    const itemId = list.rows[0].id;
    expect((await gold(apiRequest('/x', { method: 'PUT', token: researcherToken, body: { answer: { winner: 'sideways' } } }), p({ itemId: String(itemId) }))).status).toBe(400);
    expect((await gold(apiRequest('/x', { method: 'PUT', token: researcherToken, body: { answer: { winner: 'b' } } }), p({ itemId: String(itemId) }))).status).toBe(200);
    expect((await json(await items(apiRequest('/x?filter=gold', { token: researcherToken }), p()))).total).toBe(1);
    expect((await items(apiRequest('/x?filter=weird', { token: researcherToken }), p())).status).toBe(400);
    const work = await json(await annotatorsRoute(apiRequest('/x', { token: researcherToken }), p()));
    expect(work.annotators).toEqual([expect.objectContaining({ userId: annotator.id, judgments: 1, skips: 1 })]);
  });
});

describe('export over REST', async () => {
  const { GET: exportRoute } = await import('@/app/api/v1/projects/[id]/export/route');
  const { createDemoProject } = await import('@/db/queries/demo');
  const researcher = await createActor('researcher');
  const annotator = await createActor('annotator');
  const demo = await createDemoProject(researcher, { prompts: 10 });
  await addProjectMember(demo.projectId, annotator.id, 'annotator');
  const rToken = (await createApiToken(researcher.id, { name: 'r' })).token;
  const aToken = (await createApiToken(annotator.id, { name: 'a' })).token;
  const p = params({ id: String(demo.projectId) });

  it('gives researchers the files and the validation, and refuses annotators and bad options', async () => {
    const res = await exportRoute(apiRequest('/x?format=trl&margin=abs', { token: rToken }), p);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { files: Record<string, string>; validation: { ok: boolean } };
    expect(Object.keys(body.files).sort()).toEqual(['README.md', 'train.jsonl']);
    expect(body.validation.ok).toBe(true);
    expect((await exportRoute(apiRequest('/x', { token: aToken }), p)).status).toBe(403);
    const bad = await exportRoute(apiRequest('/x?format=xml', { token: rToken }), p);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { field: string }).field).toBe('format');
  });
});

describe('import over REST', async () => {
  const { POST: importRoute } = await import('@/app/api/v1/projects/[id]/imports/route');
  const researcher = await createActor('researcher');
  const annotator = await createActor('annotator');
  const project = await createProject(researcher, { name: 'rest import', settings: { tasks: ['pairwise'] } });
  await addProjectMember(project.id, annotator.id, 'annotator');
  const rToken = (await createApiToken(researcher.id, { name: 'r' })).token;
  const aToken = (await createApiToken(annotator.id, { name: 'a' })).token;
  const p = params({ id: String(project.id) });
  const body = [
    JSON.stringify({ prompt: 'Best pet?', chosen: 'A cat.', rejected: 'A rock.' }),
    JSON.stringify({ prompt: 'Sky colour?', chosen: 'Blue.', rejected: '' }),
  ].join('\n');
  const upload = (query: string, token: string, content = body, headers: Record<string, string> = {}) =>
    new Request(`http://localhost:3000/x?${query}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers }, body: content });

  it('previews, refuses a file with bad rows, imports the valid rows when asked, and keeps annotators out', async () => {
    const preview = await importRoute(upload('filename=pairs.jsonl&dryRun=1', rToken), p);
    expect(preview.status).toBe(200);
    const report = (await preview.json()) as { format: string; imported: boolean; errors: { line: number; message: string }[]; preview: unknown[] };
    expect(report).toMatchObject({ format: 'pairs', imported: false, errors: [{ line: 2, message: 'rejected must be a non-empty string' }] });
    expect(report.preview).toHaveLength(1);
    const refused = (await (await importRoute(upload('filename=pairs.jsonl', rToken), p)).json()) as { imported: boolean };
    expect(refused.imported).toBe(false);
    const imported = (await (await importRoute(upload('filename=pairs.jsonl&validOnly=1', rToken), p)).json()) as { imported: boolean; counts: { comparisonsAdded: number } };
    expect(imported).toMatchObject({ imported: true, counts: { comparisonsAdded: 1 } });
    expect((await importRoute(upload('filename=pairs.jsonl', aToken), p)).status).toBe(403);
  });

  it('rejects bad names, unknown content and oversized uploads before importing', async () => {
    const badName = await importRoute(upload('filename=../../etc/passwd', rToken), p);
    expect(badName.status).toBe(400);
    expect(((await badName.json()) as { error: string }).error).toMatch(/filename must end in/);
    const unknown = await importRoute(upload('filename=x.jsonl', rToken, '{"text":"?"}\n'), p);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/cannot tell the format/);
    const huge = await importRoute(upload('filename=x.jsonl', rToken, 'x', { 'content-length': String(10 * 1024 ** 4) }), p);
    expect(huge.status).toBe(413);
  });
});
