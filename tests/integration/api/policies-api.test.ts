import { describe, expect, it } from 'vitest';
import { GET as list, POST as launch } from '@/app/api/v1/projects/[id]/policies/route';
import { GET as getPolicyRoute } from '@/app/api/v1/policies/[id]/route';
import { GET as exportPolicy } from '@/app/api/v1/policies/[id]/export/route';
import { POST as generate } from '@/app/api/v1/policies/[id]/generate/route';
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
const small = { layers: 1, dModel: 32, heads: 2, contextLength: 64, sftEpochs: 1, epochs: 1, evalPrompts: 2, maxNewTokens: 8 };

describe('policies over REST', async () => {
  const researcher = await createActor('researcher');
  const annotator = await createActor('annotator');
  const outsider = await createActor('researcher');
  const { projectId } = await createGeneratedProject({ prompts: 30 }, researcher);
  await addProjectMember(projectId, annotator.id, 'annotator');
  const token = (await createApiToken(researcher.id, { name: 'r' })).token;
  const aToken = (await createApiToken(annotator.id, { name: 'a' })).token;
  const oToken = (await createApiToken(outsider.id, { name: 'o' })).token;
  const p = params({ id: String(projectId) });
  let policyId = 0;

  it('launches an alignment run, reads its samples, samples from the policy, and exports it', async () => {
    const started = await launch(apiRequest('/x', { method: 'POST', token, body: { ...small, loss: ['robust'], labelSmoothing: 0.1, name: 'robust run' } }), p);
    expect(started.status).toBe(202);
    const { policy } = await json(started);
    policyId = policy.id;
    expect(policy).toMatchObject({ name: 'robust run', kind: 'policy', status: 'training', config: { loss: ['robust'], labelSmoothing: 0.1 } });
    expect((await runOnce({ workerId: 'api-align', heartbeatMs: 100, log: () => undefined }))?.status).toBe('succeeded');
    const pp = params({ id: String(policy.id) });
    const done = (await json(await getPolicyRoute(apiRequest('/x', { token }), pp))).policy;
    expect(done).toMatchObject({ status: 'ready', backend: 'wasm', metrics: { samples: expect.any(Array), lossTypes: ['robust'], params: { labelSmoothing: 0.1 } } });
    expect((await json(await list(apiRequest('/x', { token }), p))).policies.map((x: { id: number }) => x.id)).toContain(policy.id);
    const sampled = await json(await generate(apiRequest('/x', { method: 'POST', token, body: { prompt: 'Tell me something.', n: 3, maxNewTokens: 6, seed: 4 } }), pp));
    expect(sampled.samples).toHaveLength(3);
    const again = await json(await generate(apiRequest('/x', { method: 'POST', token, body: { prompt: 'Tell me something.', n: 3, maxNewTokens: 6, seed: 4 } }), pp));
    expect(again.samples).toEqual(sampled.samples);
    expect((await generate(apiRequest('/x', { method: 'POST', token, body: { prompt: '  ' } }), pp)).status).toBe(400);
    const zipped = await exportPolicy(apiRequest('/x', { token }), pp);
    expect(Object.keys(await unzip(Buffer.from(await zipped.arrayBuffer()))).sort()).toEqual([`policy-${policy.id}/config.json`, `policy-${policy.id}/model.safetensors`, `policy-${policy.id}/tokenizer.json`]);
  }, 90_000);

  it('keeps annotators and other researchers out, and refuses bad settings', async () => {
    const pp = params({ id: String(policyId) });
    for (const [t, status] of [[aToken, 403], [oToken, 404]] as const) {
      expect((await launch(apiRequest('/x', { method: 'POST', token: t, body: {} }), p)).status).toBe(status);
      expect((await list(apiRequest('/x', { token: t }), p)).status).toBe(status);
      expect((await getPolicyRoute(apiRequest('/x', { token: t }), pp)).status).toBe(status);
      expect((await exportPolicy(apiRequest('/x', { token: t }), pp)).status).toBe(status);
      expect((await generate(apiRequest('/x', { method: 'POST', token: t, body: { prompt: 'hi' } }), pp)).status).toBe(status);
    }
    const bad = await launch(apiRequest('/x', { method: 'POST', token, body: { loss: 'ppo' } }), p);
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatch(/loss/);
  });
});
