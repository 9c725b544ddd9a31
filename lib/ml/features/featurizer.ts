/**
 * What every cached featurizer offers the reward-model pipeline: a config (stored with each model), a
 * cache key, the feature width and prompt block, and a batch function from (prompt, response) rows to
 * sparse vectors. Two kinds: hashed n-grams (the default, no weights) and the frozen hidden states of a
 * local GPT-2 or Llama-family checkpoint (features/checkpoint-states.ts; dense vectors stored in the same form).
 * tfjs-free, so the database layer can name featurizers without loading TensorFlow.js.
 */
import { featureDims, hashedNgramFeatures, SURFACE_FEATURES, type HashedNgramConfig, type SparseVector } from './hashed-ngrams';

export type CheckpointFeaturesConfig = {
  kind: 'checkpoint';
  /** The checkpoint's name under ARBITER_CHECKPOINTS_DIR. */
  name: string;
  /** SHA-256 of its config.json, tokenizer.json and model.safetensors: features are cached per fingerprint. */
  fingerprint: string;
  nEmbd: number;
  /** Tokens per row (prompt tail + response), at most the model's positions. */
  maxTokens: number;
  /** Prompt tokens kept before the response (its tail). */
  promptTokens: number;
};

export type FeaturizerConfig = HashedNgramConfig | CheckpointFeaturesConfig;

/** A response and its prompt as text; `messages`: the prompt's turns, where a chat format renders them (fine-tuned language models). */
export type TextRow = { prompt: string; response: string; messages?: { role: string; content: string }[] };

export type Featurizer = {
  config: FeaturizerConfig;
  key: string;
  dims: number;
  promptBlock: [number, number];
  featurize(rows: readonly TextRow[]): SparseVector[];
  dispose(): void;
};

export function featurizerKey(c: FeaturizerConfig): string {
  if (c.kind === 'checkpoint') return `checkpoint:${c.name}:${c.fingerprint.slice(0, 16)}:mean-last-surface:${c.maxTokens}:${c.promptTokens}`;
  return `${c.kind}:${c.dims}:${c.promptDims}:${c.charNgrams.join('-')}`;
}

/** Response mean, last token and prompt mean of the hidden states (the prompt block is the third), then surface features. */
export const checkpointFeatureDims = (c: CheckpointFeaturesConfig) => 3 * c.nEmbd + SURFACE_FEATURES.length;

export function hashedNgramFeaturizer(config: HashedNgramConfig): Featurizer {
  return {
    config,
    key: featurizerKey(config),
    dims: featureDims(config),
    promptBlock: [config.dims, config.dims + config.promptDims],
    featurize: (rows) => rows.map((r) => hashedNgramFeatures(r.prompt, r.response, config)),
    dispose: () => {},
  };
}

/** Per-column mean and standard deviation of dense feature rows (frozen hidden states are far from centred). */
export type InputStandardization = { mean: number[]; std: number[] };

export function fitStandardization(rows: readonly SparseVector[], dims: number): InputStandardization {
  const sum = new Float64Array(dims);
  const sq = new Float64Array(dims);
  for (const r of rows)
    for (let k = 0; k < r.index.length; k++) {
      sum[r.index[k]!]! += r.value[k]!;
      sq[r.index[k]!]! += r.value[k]! * r.value[k]!;
    }
  const n = Math.max(rows.length, 1);
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, i) => Math.sqrt(Math.max(s / n - mean[i]! ** 2, 0)) || 1);
  return { mean, std };
}

/** (x − mean) / std on every column, as a dense-as-sparse vector. */
export function standardize(v: SparseVector, s: InputStandardization): SparseVector {
  const value = new Float32Array(s.mean.length);
  const index = Int32Array.from({ length: s.mean.length }, (_, k) => k);
  for (let i = 0; i < value.length; i++) value[i] = -s.mean[i]! / s.std[i]!;
  for (let k = 0; k < v.index.length; k++) value[v.index[k]!] = (v.value[k]! - s.mean[v.index[k]!]!) / s.std[v.index[k]!]!;
  return { index, value };
}
