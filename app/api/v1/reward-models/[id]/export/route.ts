// GET /api/v1/reward-models/:id/export → a zip of model.json (config, featurizer, tensor manifest, evaluation) and weights.bin, streamed from the artifact store
import { getRewardModel, REWARD_MODEL_FILES, rewardModelFileKeys } from '@/db/queries/reward-models';
import { artifactStore } from '@/lib/artifacts';
import { AppError } from '@/lib/errors';
import { artifactZipResponse } from '../../../_lib/artifact-response';
import { apiRoute } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';

export const GET = apiRoute<{ id: string }>(async ({ actor, params }) => {
  const record = await getRewardModel(actor, idParamsSchema.parse(params).id);
  const keys = rewardModelFileKeys(record);
  // Checked before the zip starts: once it streams, a missing file can only break the download off.
  for (const name of REWARD_MODEL_FILES) if (!(await artifactStore().exists(keys[name]))) throw new AppError('not-found', `model ${record.id} has no files`);
  return artifactZipResponse(REWARD_MODEL_FILES.map((name) => ({ name, key: keys[name] })), `reward-model-${record.id}`);
});
