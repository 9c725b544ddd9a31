import { describe, expect, it } from 'vitest';
import { GET as list, POST as launch } from '@/app/api/v1/projects/[id]/reward-models/route';
import { POST as reannotate } from '@/app/api/v1/projects/[id]/reannotate/route';
import { GET as getModel } from '@/app/api/v1/reward-models/[id]/route';
import { POST as score } from '@/app/api/v1/reward-models/[id]/score/route';
import { GET as exportModel } from '@/app/api/v1/reward-models/[id]/export/route';
import { createApiToken } from '@/db/queries/api-tokens';
import { addProjectMember } from '@/db/queries/projects';
import { runOnce } from '@/workers/run-once';
import { createActor } from '../../helpers/actors';
import { apiRequest, params } from '../../helpers/http';
import { createGeneratedProject } from '../../helpers/projects';
import { unzip } from '../../helpers/zip';

process.env.ARBITER_ML_BACKEND = 'wasm';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (res: Response) => (await res.json()) as Record<string, any>;

describe('reward models over REST', async () => {
  const researcher = await createActor('researcher');
  const annotator = await createActor('annotator');
  const outsider = await createActor('researcher');
  const { projectId } = await createGeneratedProject({ prompts: 50 }, researcher);
  await addProjectMember(projectId, annotator.id, 'annotator');
  const token = (await createApiToken(researcher.id, { name: 'r' })).token;
  const aToken = (await createApiToken(annotator.id, { name: 'a' })).token;
  const oToken = (await createApiToken(outsider.id, { name: 'o' })).token;
  const p = params({ id: String(projectId) });

  it('launches a fit, reads its evaluation, scores records, exports the files, and reopens flagged pairs', async () => {
    const started = await launch(apiRequest('/x', { method: 'POST', token, body: { kind: 'ensemble', members: 2, epochs: 3, name: 'first ensemble' } }), p);
    expect(started.status).toBe(202);
    const { model } = await json(started);
    expect(model).toMatchObject({ name: 'first ensemble', kind: 'ensemble', status: 'training' });
    expect((await runOnce({ workerId: 'api-rm', heartbeatMs: 100, log: () => undefined }))?.status).toBe('succeeded');
    const mp = params({ id: String(model.id) });
    const done = (await json(await getModel(apiRequest('/x', { token }), mp))).model;
    expect(done).toMatchObject({ status: 'ready', backend: 'wasm', metrics: { evaluation: { accuracy: expect.any(Number) }, flags: { pairs: expect.any(Array) } } });
    expect((await json(await list(apiRequest('/x', { token }), p))).models.map((m: { id: number }) => m.id)).toContain(model.id);

    const scored = await json(await score(apiRequest('/x', { method: 'POST', token, body: { records: [{ prompt: 'Hi?', chosen: 'Hello, how can I help?', rejected: 'No.' }, { prompt: 'Hi?', responses: ['Hello.', 'Bye.'] }] } }), mp));
    expect(scored).toMatchObject({ pairs: 1, rows: [{ kind: 'pair', p: expect.any(Number) }, { kind: 'responses', rewards: [expect.any(Number), expect.any(Number)] }] });
    const bad = await score(apiRequest('/x', { method: 'POST', token, body: { records: [] } }), mp);
    expect(bad.status).toBe(400);

    const zipped = await exportModel(apiRequest('/x', { token }), mp);
    expect(Object.keys(await unzip(Buffer.from(await zipped.arrayBuffer()))).sort()).toEqual([`reward-model-${model.id}/model.json`, `reward-model-${model.id}/weights.bin`]);

    const flagged = (done.metrics.flags.pairs as { comparisonId: number }[]).slice(0, 3).map((f) => f.comparisonId);
    if (flagged.length) {
      const reopened = await json(await reannotate(apiRequest('/x', { method: 'POST', token, body: { comparisonIds: flagged } }), p));
      expect(reopened.reopened + reopened.notFromItems).toBeGreaterThan(0);
    }
  }, 60_000);

  it('keeps annotators and other researchers out', async () => {
    const body = { kind: 'bt' };
    for (const [t, status] of [[aToken, 403], [oToken, 404]] as const) {
      expect((await launch(apiRequest('/x', { method: 'POST', token: t, body }), p)).status).toBe(status);
      expect((await list(apiRequest('/x', { token: t }), p)).status).toBe(status);
      expect((await reannotate(apiRequest('/x', { method: 'POST', token: t, body: { comparisonIds: [1] } }), p)).status).toBe(status);
    }
    const models = (await json(await list(apiRequest('/x', { token }), p))).models as { id: number }[];
    const mp = params({ id: String(models[0]!.id) });
    for (const [t, status] of [[aToken, 403], [oToken, 404]] as const) {
      expect((await getModel(apiRequest('/x', { token: t }), mp)).status).toBe(status);
      expect((await exportModel(apiRequest('/x', { token: t }), mp)).status).toBe(status);
      expect((await score(apiRequest('/x', { method: 'POST', token: t, body: { records: [{ prompt: 'a', response: 'b' }] } }), mp)).status).toBe(status);
    }
    expect((await launch(apiRequest('/x', { method: 'POST', token, body: { kind: 'svm' } }), p)).status).toBe(400);
  });
});
