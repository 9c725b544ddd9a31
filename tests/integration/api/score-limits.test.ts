/**
 * Scoring off the web loop: POST /reward-models/:id/score with more than ARBITER_MAX_SYNC_SCORE_ROWS records
 * (default 1000) answers 202 with a score-records job at once, instead of scoring in the web process (5,000
 * rows froze every request for about 11 s). A worker scores them and the report — the very JSON the
 * synchronous path answers for the same records — is read at GET /reward-models/:id/scores/:jobId.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { POST as launch } from '@/app/api/v1/projects/[id]/reward-models/route';
import { POST as score } from '@/app/api/v1/reward-models/[id]/score/route';
import { GET as scores } from '@/app/api/v1/reward-models/[id]/scores/[jobId]/route';
import { GET as getJob } from '@/app/api/v1/jobs/[id]/route';
import { createApiToken } from '@/db/queries/api-tokens';
import { cancelJobForActor } from '@/db/queries/jobs';
import { artifactStore } from '@/lib/artifacts';
import { readArtifactBytes } from '@/lib/artifacts/store';
import { resetEnvCache } from '@/lib/env';
import { runOnce } from '@/workers/run-once';
import { createActor } from '../../helpers/actors';
import { apiRequest, params } from '../../helpers/http';
import { createGeneratedProject } from '../../helpers/projects';
import { queryValue } from '../../helpers/sql';

process.env.ARBITER_ML_BACKEND = 'wasm';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (res: Response) => (await res.json()) as Record<string, any>;
const scoreJobs = async () => (await queryValue<number>("select count(*) from jobs where kind = 'score-records'"))!;

/** Every shape the scorer reads: labelled pairs, a tie, single responses, candidate lists, and rows it cannot read. */
function records(n: number): unknown[] {
  return Array.from({ length: n }, (_, k) => {
    switch (k % 5) {
      case 0:
        return { prompt: `Question ${k}?`, chosen: `A careful, complete answer to question ${k}.`, rejected: 'No.' };
      case 1:
        return { prompt: `Question ${k}?`, response: `Answer ${k}, in a few words.` };
      case 2:
        return { messages: [{ role: 'user', content: `Tell me ${k}` }], responses: [`Here is ${k}.`, 'Bye.', `${k}!`] };
      case 3:
        return { prompt: `Question ${k}?`, chosen: 'Same.', rejected: 'Same!', tie: true };
      default:
        return { nothing: k };
    }
  });
}

describe('scoring calls over the synchronous cap go to a worker', async () => {
  const researcher = await createActor('researcher');
  const { projectId } = await createGeneratedProject({ prompts: 50 }, researcher);
  const token = (await createApiToken(researcher.id, { name: 'r' })).token;
  const started = await launch(apiRequest('/x', { method: 'POST', token, body: { kind: 'bt', epochs: 2 } }), params({ id: String(projectId) }));
  const modelId = (await json(started)).model.id as number;
  expect((await runOnce({ workerId: 'score-test', heartbeatMs: 100, log: () => undefined }))?.status).toBe('succeeded');
  const mp = params({ id: String(modelId) });
  const post = (body: unknown) => score(apiRequest(`/api/v1/reward-models/${modelId}/score`, { method: 'POST', token, body }), mp);
  const result = (jobId: number) => scores(apiRequest(`/api/v1/reward-models/${modelId}/scores/${jobId}`, { token }), params({ id: String(modelId), jobId: String(jobId) }));

  afterEach(() => {
    delete process.env.ARBITER_MAX_SYNC_SCORE_ROWS;
    resetEnvCache();
  });

  it('answers 5,000 records with 202 and a queued job at once (default cap 1000), scoring nothing in the web process', async () => {
    const t = performance.now();
    const res = await post({ records: records(5000) });
    const elapsedMs = performance.now() - t;
    expect(res.status).toBe(202);
    const body = await json(res);
    expect(body.job).toMatchObject({ kind: 'score-records', status: 'queued', projectId });
    expect(body.resultUrl).toBe(`/api/v1/reward-models/${modelId}/scores/${body.job.id}`);
    // The records wait in the artifact store under the key the job's payload names.
    const payload = (await queryValue<string | { input: string }>('select payload from jobs where id = ?', body.job.id))!;
    const inputKey = (typeof payload === 'string' ? (JSON.parse(payload) as { input: string }) : payload).input;
    expect(inputKey).toMatch(/^scores\/inputs\/[0-9a-f-]{36}\.json$/);
    expect(JSON.parse((await readArtifactBytes(artifactStore(), inputKey)).toString('utf8'))).toHaveLength(5000);
    console.log(`5,000-record score call answered 202 in ${elapsedMs.toFixed(0)} ms`);
    expect(elapsedMs).toBeLessThan(1500);
    // Not worth 5,000 records of worker time here; the next test runs one through.
    await cancelJobForActor(researcher, body.job.id);
    // Exactly the cap is still answered in the request.
    const atCap = await post({ records: records(1000) });
    expect(atCap.status).toBe(200);
    expect((await json(atCap)).rows).toHaveLength(1000);
  });

  it('a worker gives the same scores the synchronous path gives for the same records', async () => {
    // 245 records: the worker scores them in steps of 100, yielding twice; the report must not change.
    const input = records(245);
    process.env.ARBITER_MAX_SYNC_SCORE_ROWS = '245';
    resetEnvCache();
    const sync = await post({ records: input });
    expect(sync.status).toBe(200);
    const expected = await json(sync);
    expect(expected.rows).toHaveLength(245);
    expect(expected.rows.filter((r: { kind: string }) => r.kind === 'error')).toHaveLength(49);

    process.env.ARBITER_MAX_SYNC_SCORE_ROWS = '244';
    resetEnvCache();
    const queued = await post({ records: input });
    expect(queued.status).toBe(202);
    const { job } = await json(queued);
    const early = await result(job.id);
    expect(early.status).toBe(409);
    expect(await json(early)).toEqual({ error: `scoring job ${job.id} is queued, not finished; follow it at GET /api/v1/jobs/${job.id}` });

    expect(await runOnce({ workerId: 'score-test', heartbeatMs: 100, log: () => undefined })).toMatchObject({ jobId: job.id, kind: 'score-records', status: 'succeeded' });
    const done = (await json(await getJob(apiRequest(`/api/v1/jobs/${job.id}`, { token }), params({ id: String(job.id) })))).job;
    expect(done).toMatchObject({ status: 'succeeded', progress: 1, result: { modelId, rows: 245, errors: 49, pairs: expected.pairs, accuracy: expected.accuracy, logLoss: expected.logLoss, resultUrl: `/api/v1/reward-models/${modelId}/scores/${job.id}` } });
    const report = await result(job.id);
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await json(report)).toEqual(expected);
    // The input is gone once scored; the report stays, under the attempt's key the job's result names.
    expect(done.result.artifactPath).toBe(`scores/${job.id}/a1/scores.json`);
    expect((await artifactStore().list(`scores/${job.id}`)).map((e) => e.key)).toEqual([`scores/${job.id}/a1/scores.json`]);
    const payload = (await queryValue<string | { input: string }>('select payload from jobs where id = ?', job.id))!;
    expect(await artifactStore().exists((typeof payload === 'string' ? (JSON.parse(payload) as { input: string }) : payload).input)).toBe(false);
  }, 60_000);

  it('refuses a model that is not ready before queuing anything, and checks record counts', async () => {
    process.env.ARBITER_MAX_SYNC_SCORE_ROWS = '2';
    resetEnvCache();
    const training = (await json(await launch(apiRequest('/x', { method: 'POST', token, body: { kind: 'bt' } }), params({ id: String(projectId) })))).model.id as number;
    const before = await scoreJobs();
    const res = await score(apiRequest('/x', { method: 'POST', token, body: { records: records(3) } }), params({ id: String(training) }));
    expect(res.status).toBe(409);
    expect(await json(res)).toEqual({ error: `model ${training} is training, not ready` });
    expect(await scoreJobs()).toBe(before);
    const tooMany = await post({ records: Array.from({ length: 100_001 }, () => 0) });
    expect(tooMany.status).toBe(400);
    expect(await json(tooMany)).toMatchObject({ error: 'records: at most 100000 records per call' });
    expect(await scoreJobs()).toBe(before);
  });

  it("answers another model's or another kind's job id as not found", async () => {
    const other = (await queryValue<number>("select id from jobs where kind = 'train-reward-model' limit 1"))!;
    const res = await result(other);
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({ error: `scoring job ${other} not found for model ${modelId}` });
  });
});
