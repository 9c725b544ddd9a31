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
import { isAppError } from '@/lib/errors';
import type { JobContext } from '../types';

/** A tensor of a training checkpoint: its name, shape and values. */
type CheckpointTensor = { name: string; shape: number[]; data: Float32Array };
type TensorEntry = { name: string; shape: number[]; offset: number; length: number };

/**
 * What an end-to-end fit (the encoder, a fine-tuned language model) resumes from: the trained tensors'
 * values in their fixed order, and Adam's state (tfjs getWeights/setWeights).
 */
export type TrainCheckpoint = { weights: { shape: number[]; data: Float32Array }[]; optimizer: { name: string; shape: number[]; data: Float32Array }[] };

/**
 * Puts a training checkpoint: the weights (`w<i>`) and Adam's state (`adam:<name>`) in checkpoint.bin and,
 * in checkpoint.json, where each lies, beside `extra` (a tokenizer, say). Each file goes under a fresh key
 * (CheckpointFiles.put).
 */
export async function putTrainCheckpoint(files: CheckpointFiles, state: TrainCheckpoint, extra: Record<string, unknown> = {}): Promise<void> {
  const tensors: CheckpointTensor[] = [...state.weights.map((w, i) => ({ name: `w${i}`, ...w })), ...state.optimizer.map((o) => ({ ...o, name: `adam:${o.name}` }))];
  const entries: TensorEntry[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const t of tensors) {
    entries.push({ name: t.name, shape: t.shape, offset, length: t.data.length });
    chunks.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    offset += t.data.byteLength;
  }
  await files.put('checkpoint.bin', Buffer.concat(chunks));
  await files.put('checkpoint.json', JSON.stringify({ ...extra, tensors: entries }));
}

/**
 * The training state and the rest of checkpoint.json of the checkpoint being resumed; null when it names
 * no files or they are gone from the store (the run then starts over, and says so).
 */
export async function readTrainCheckpoint(files: CheckpointFiles, ctx: JobContext): Promise<(TrainCheckpoint & { extra: Record<string, unknown> }) | null> {
  if (!files.has('checkpoint.json') || !files.has('checkpoint.bin')) return null;
  let manifest: { tensors: TensorEntry[] } & Record<string, unknown>;
  let bytes: Buffer;
  try {
    manifest = JSON.parse((await files.read('checkpoint.json')).toString('utf8')) as typeof manifest;
    bytes = await files.read('checkpoint.bin');
  } catch (error) {
    if (!isAppError(error, 'not-found')) throw error;
    ctx.log(`the checkpoint's files are gone from the artifact store (${error.message}); training from the start`);
    return null;
  }
  const { tensors, ...extra } = manifest;
  const read = (t: TensorEntry) => {
    // A copy: the bytes' offsets need not be 4-aligned for a Float32Array view.
    const data = new Float32Array(t.length);
    new Uint8Array(data.buffer).set(bytes.subarray(t.offset, t.offset + t.length * 4));
    return data;
  };
  return {
    extra,
    weights: tensors.filter((t) => !t.name.startsWith('adam:')).map((t) => ({ shape: t.shape, data: read(t) })),
    optimizer: tensors.filter((t) => t.name.startsWith('adam:')).map((t) => ({ name: t.name.slice('adam:'.length), shape: t.shape, data: read(t) })),
  };
}

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
  files: { manifest: unknown; weights?: Buffer; dir?: string },
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
