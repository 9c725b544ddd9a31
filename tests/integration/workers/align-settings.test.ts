/**
 * An alignment run's settings have their defaults in one place, the job's schema (lib/jobs/align-policy.ts),
 * and every door keeps what it was given: temperature 0 (greedy) stays 0 through the REST route,
 * startAlignment, enqueueJob and the worker's parse of the stored payload, up to the sampling options the
 * handler uses for the evaluation and for a round's candidates; a field left out or passed as undefined (as
 * the CLI passes every option it was not given) gets the schema's default. Before, the defaults sat in the
 * handler, merged two different ways, and a round turned temperature 0 into 1.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { POST as launch } from '@/app/api/v1/projects/[id]/policies/route';
import { getDb } from '@/db/client';
import { createApiToken } from '@/db/queries/api-tokens';
import { startAlignment } from '@/db/queries/policies';
import { enqueueJob } from '@/db/queries/queue';
import { jobs } from '@/db/schema';
import { CLI_ACTOR } from '@/lib/auth/access';
import { JOB_DEFINITIONS } from '@/lib/jobs/registry';
import { samplingOptions } from '@/workers/handlers/align-eval';
import { createActor } from '../../helpers/actors';
import { apiRequest, params } from '../../helpers/http';
import { createGeneratedProject } from '../../helpers/projects';
import { runTs } from '../../helpers/spawn';

const DEFAULTS = { epochs: 3, learningRate: 5e-4, batchSize: 8, sftEpochs: 3, sftLearningRate: 1e-3, merges: 1500, layers: 2, dModel: 128, heads: 4, contextLength: 128, evalPrompts: 64, bestOfN: 4, temperature: 1, topP: 0.95, topK: 0, maxNewTokens: 48, loraRank: 0, loraAlpha: 16, loraTargets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };

const stored = async (jobId: number) => (await getDb().select({ payload: jobs.payload }).from(jobs).where(eq(jobs.id, jobId)))[0]!.payload;
/** What the handler gets: workers/run-once.ts parses the stored payload with the kind's schema. */
const handed = async (jobId: number) => JOB_DEFINITIONS['align-policy'].payload.parse(await stored(jobId));

describe('alignment settings: one set of defaults, kept by every door', async () => {
  const researcher = await createActor('researcher');
  const token = (await createApiToken(researcher.id, { name: 'r' })).token;
  const { projectId } = await createGeneratedProject({ prompts: 30 }, researcher);

  it('REST: temperature 0 stays 0 (greedy) from the request to the sampling options; what is left out gets its default', async () => {
    const res = await launch(apiRequest('/x', { method: 'POST', token, body: { loss: 'sigmoid', temperature: 0, sftEpochs: 0 } }), params({ id: String(projectId) }));
    expect(res.status).toBe(202);
    const { policy, jobId } = (await res.json()) as { policy: { config: Record<string, unknown> }; jobId: number };
    expect(policy.config).toMatchObject({ ...DEFAULTS, temperature: 0, sftEpochs: 0 });
    expect(await stored(jobId)).toMatchObject({ ...DEFAULTS, temperature: 0, sftEpochs: 0 });
    const payload = await handed(jobId);
    expect(payload).toMatchObject({ ...DEFAULTS, temperature: 0, sftEpochs: 0 });
    expect(samplingOptions(payload, 128)).toEqual({ temperature: 0, topP: 0.95, topK: 0, maxNewTokens: 48 });
  });

  it('startAlignment and enqueueJob: an undefined field gets the schema default, a given 0 is kept', async () => {
    const { jobId } = await startAlignment(CLI_ACTOR, projectId, { loss: 'sigmoid', epochs: undefined, temperature: undefined, topK: 0, merges: undefined, contextLength: undefined, seed: undefined });
    expect(await handed(jobId)).toMatchObject({ ...DEFAULTS, seed: 0 });
    const direct = await enqueueJob('align-policy', { projectId, modelId: 1, temperature: 0, epochs: undefined, maxNewTokens: undefined });
    expect(await handed(direct.id)).toMatchObject({ ...DEFAULTS, temperature: 0 });
  });

  it('CLI: the options it was not given arrive as the schema defaults', async () => {
    const queued = await runTs('cli/main.ts', ['align', '--project', String(projectId), '--loss', 'ipo', '--epochs', '2', '--json']);
    expect(queued.code, queued.stderr).toBe(0);
    const { jobId } = JSON.parse(queued.stdout) as { jobId: number };
    expect(await handed(jobId)).toMatchObject({ ...DEFAULTS, epochs: 2, loss: ['ipo'] });
  }, 60_000);

  it('caps new tokens to leave the prompt 8 positions, and refuses greedy iterative rounds up front', async () => {
    const payload = JOB_DEFINITIONS['align-policy'].payload.parse({ projectId, modelId: 1, temperature: 0 });
    expect(samplingOptions(payload, 32)).toEqual({ temperature: 0, topP: 0.95, topK: 0, maxNewTokens: 24 });
    // Every one of a round's candidates would be the same text.
    await expect(startAlignment(CLI_ACTOR, projectId, { rounds: 2, roundJudge: 'annotators', temperature: 0 })).rejects.toThrow(/temperature 0/);
  });
});
