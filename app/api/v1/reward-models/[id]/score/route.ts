// POST /api/v1/reward-models/:id/score { records: [ {prompt|messages, chosen, rejected} | {…, response} | {…, responses: […]} ] }
// → { rows: [...], pairs, accuracy, logLoss }: P(chosen ≻ rejected) and margins for labelled pairs, rewards for responses.
// tfjs is loaded on the first call (never bundled: next.config.js serverExternalPackages).
import { z } from 'zod';
import { getRewardModel, readRewardModelFiles } from '@/db/queries/reward-models';
import { resolveCheckpoint } from '@/lib/checkpoints';
import { apiRoute, readJson } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';

const bodySchema = z.object({ records: z.array(z.unknown()).min(1).max(5000) });

export const POST = apiRoute<{ id: string }>(async ({ request, actor, params }) => {
  const record = getRewardModel(actor, idParamsSchema.parse(params).id);
  const { records } = bodySchema.parse(await readJson(request));
  const { manifest, weights } = readRewardModelFiles(record);
  const { scoreWithSavedModel } = await import('@/lib/ml/load-model');
  return scoreWithSavedModel(manifest, weights, records.map((r, k) => ({ line: k + 1, record: r })), (name) => resolveCheckpoint(name));
});
