/**
 * What both reward-model training paths (train-reward-model.ts, train-encoder.ts) do with the artifact
 * store: checkpoint files under the attempt's prefix, named in the checkpoint value itself, and the
 * publication of the trained model — files first, then the fenced row that names them, then the cleanup of
 * what nothing will read any more.
 */
import { putRewardModelFiles, REWARD_MODEL_FILES, saveRewardModelResult } from '@/db/queries/reward-models';
import { artifactStore } from '@/lib/artifacts';
import { asCheckpointFileMap, CheckpointFiles } from '@/lib/artifacts/checkpoint-files';
import { modelAttemptPrefix, modelRoot } from '@/lib/artifacts/keys';
import { removeSupersededFiles } from '@/lib/artifacts/superseded';
import type { JobContext } from '../types';

/** The checkpoint files of this attempt, starting from those the resumed checkpoint names (its `files`). */
export function rewardModelCheckpointFiles(modelId: number, ctx: JobContext): CheckpointFiles {
  const saved = typeof ctx.checkpoint === 'object' && ctx.checkpoint !== null ? (ctx.checkpoint as { files?: unknown }).files : undefined;
  return new CheckpointFiles(artifactStore(), `${modelAttemptPrefix(modelId, ctx.job.id, ctx.attempt)}/checkpoints`, asCheckpointFileMap(saved), (m) => ctx.log(m));
}

/**
 * Puts the model's files under this attempt's prefix, then publishes them in one fenced transaction with
 * `alsoPublish` (active learning's item priorities): a worker that lost its job meanwhile publishes
 * nothing, and its files are never read. Then removes, best effort, this attempt's checkpoints and every
 * earlier attempt's files (kept, if that fails, for a sweep: nothing names them).
 */
export async function publishRewardModel(
  ctx: JobContext,
  modelId: number,
  files: { manifest: unknown; weights: Buffer },
  update: { metrics: Record<string, unknown>; backend: string },
  alsoPublish: () => Promise<void> = async () => undefined,
): Promise<void> {
  const prefix = modelAttemptPrefix(modelId, ctx.job.id, ctx.attempt);
  await putRewardModelFiles(prefix, files);
  await ctx.fenced(async () => {
    await alsoPublish();
    await saveRewardModelResult(modelId, prefix, update);
  });
  try {
    await removeSupersededFiles(artifactStore(), modelRoot(modelId), { id: ctx.job.id, attempt: ctx.attempt }, REWARD_MODEL_FILES.map((name) => `${prefix}/${name}`));
  } catch (error) {
    ctx.log(`could not remove superseded files of model ${modelId} (${error instanceof Error ? error.message : String(error)}); they are left for a sweep`);
  }
}
