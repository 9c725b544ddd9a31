// GET /api/v1/reward-models/:id/export[?format=arbiter|hf|peft] → a zip streamed from the artifact store: every file
// the model has (arbiter, the default), a fine-tuned model's transformers sequence-classification checkpoint (hf), or
// the PEFT adapter of a LoRA run (peft)
import { z } from 'zod';
import { getRewardModel, REWARD_MODEL_EXPORTS, rewardModelExportFiles } from '@/db/queries/reward-models';
import { artifactZipResponse } from '../../../_lib/artifact-response';
import { apiRoute } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';

const querySchema = z.object({ format: z.enum(REWARD_MODEL_EXPORTS).default('arbiter') });

export const GET = apiRoute<{ id: string }>(async ({ actor, params, request }) => {
  const record = await getRewardModel(actor, idParamsSchema.parse(params).id);
  const { format } = querySchema.parse({ format: new URL(request.url).searchParams.get('format') ?? undefined });
  // Listed (and so checked to exist) before the zip starts: once it streams, a missing file can only break the download off.
  const files = await rewardModelExportFiles(record, format);
  return artifactZipResponse(files, format === 'arbiter' ? `reward-model-${record.id}` : `reward-model-${record.id}-${format}`);
});
