/**
 * A reward model as files: `model.json` (format, kind, config, featurizer, input layout, member norms,
 * evaluation, tensor manifest) and `weights.bin` (float32 little-endian, tensors back to back, in
 * manifest order). Pure: bytes in, bytes out; db/queries/reward-models.ts reads and writes them.
 */
import type { FeaturizerConfig, InputStandardization } from './features/featurizer';
import { tf } from './backend';
import { RewardModel, type MemberNorm, type RewardModelConfig } from './reward-model';

export const MODEL_FORMAT = 'arbiter-reward-model/1';

export type ModelManifest = {
  format: typeof MODEL_FORMAT;
  kind: RewardModelConfig['kind'];
  config: RewardModelConfig;
  featurizer: FeaturizerConfig;
  dims: number;
  promptBlock: [number, number];
  norms: MemberNorm[];
  /** Dense featurizers (checkpoint hidden states): the standardisation fitted on the training responses. */
  inputNorm?: InputStandardization;
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
  /** Free-form: evaluation, backend, training time (copied from the model record). */
  info?: Record<string, unknown>;
};

export function serializeModel(model: RewardModel, featurizer: FeaturizerConfig, info?: Record<string, unknown>, inputNorm?: InputStandardization): { manifest: ModelManifest; weights: Buffer } {
  const named = model.namedWeights();
  const tensors: ModelManifest['tensors'] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const { name, tensor } of named) {
    const data = tensor.dataSync() as Float32Array;
    tensors.push({ name, shape: tensor.shape, offset, length: data.length });
    chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    offset += data.byteLength;
  }
  return {
    manifest: { format: MODEL_FORMAT, kind: model.config.kind, config: model.config, featurizer, dims: model.dims, promptBlock: model.promptBlock, norms: model.norms, ...(inputNorm ? { inputNorm } : {}), tensors, ...(info ? { info } : {}) },
    weights: Buffer.concat(chunks),
  };
}

export function deserializeModel(manifest: ModelManifest, weights: Uint8Array): RewardModel {
  if (manifest.format !== MODEL_FORMAT) throw new Error(`not an Arbiter reward model (format ${JSON.stringify(manifest.format)})`);
  const map = new Map<string, tf.Tensor>();
  for (const t of manifest.tensors) {
    if (t.offset + t.length * 4 > weights.byteLength) throw new Error(`weights.bin is too short for tensor ${t.name}`);
    const copy = new Float32Array(t.length);
    new Uint8Array(copy.buffer).set(weights.subarray(t.offset, t.offset + t.length * 4));
    map.set(t.name, tf.tensor(copy, t.shape, 'float32'));
  }
  const model = RewardModel.fromWeights(manifest.config, manifest.dims, manifest.promptBlock, manifest.norms, map);
  for (const t of map.values()) t.dispose();
  return model;
}
