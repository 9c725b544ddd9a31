// POST /api/v1/reward-models/:id/score { records: [ {prompt|messages, chosen, rejected} | {…, response} | {…, responses: […]} ] }
// → { rows: [...], pairs, accuracy, logLoss }: P(chosen ≻ rejected) and margins for labelled pairs, rewards for responses.
// More than ARBITER_MAX_SYNC_SCORE_ROWS records → 202 { job, resultUrl }: a worker scores them (scoring holds the
// event loop, ~2 ms a record, and 5,000 records froze every other request for 11 s); the same JSON is then
// read at GET /api/v1/reward-models/:id/scores/:jobId.
// tfjs is loaded on the first call (never bundled: next.config.js serverExternalPackages).
import { z } from 'zod';
import { getRewardModel, readRewardModelFiles, startScoringJob } from '@/db/queries/reward-models';
import { resolveCheckpoint } from '@/lib/checkpoints';
import { getEnv, mlBackendOptions } from '@/lib/env';
import { apiRoute, readJson } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';

/** Most records one call may send (the body limit, ARBITER_MAX_JSON_BODY_KB, usually binds first). */
const MAX_RECORDS = 100_000;
const bodySchema = z.object({ records: z.array(z.unknown()).min(1).max(MAX_RECORDS, `at most ${MAX_RECORDS} records per call`) });

export const POST = apiRoute<{ id: string }>(async ({ request, actor, params }) => {
  const record = await getRewardModel(actor, idParamsSchema.parse(params).id);
  const { records } = bodySchema.parse(await readJson(request));
  if (records.length > getEnv().ARBITER_MAX_SYNC_SCORE_ROWS) {
    const job = await startScoringJob(actor, record, records);
    return Response.json({ job, resultUrl: `/api/v1/reward-models/${record.id}/scores/${job.id}` }, { status: 202 });
  }
  const saved = await readRewardModelFiles(record);
  const { scoreWithSavedModel } = await import('@/lib/ml/load-model');
  return scoreWithSavedModel(saved, records.map((r, k) => ({ line: k + 1, record: r })), { backend: mlBackendOptions(), resolveCheckpoint: (name) => resolveCheckpoint(name) });
});
