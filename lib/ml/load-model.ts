/**
 * A saved reward model, whichever featurizer it uses, as something that scores (prompt, response) rows:
 * hashed-n-gram and checkpoint-feature models (model-io.ts), transformer-encoder models (format
 * arbiter-encoder-reward-model/1, which carries its BPE tokenizer) and fine-tuned language models (format
 * arbiter-lm-reward-model/1, a transformers sequence-classification checkpoint beside model.json).
 */
import { EncoderRewardModel, type EncoderConfig } from './encoder';
import { openCheckpointFeaturizer } from './features/checkpoint-states';
import { hashedNgramFeaturizer, standardize } from './features/featurizer';
import type { PreferenceScorer } from './model-evaluation';
import { deserializeModel, MODEL_FORMAT, type ModelManifest } from './model-io';
import { BpeTokenizer, type BpeModel } from './tokenizer/bpe';
import { rewardRowIds } from './lm/reward-model';
import { loadSequenceClassifier } from './lm/sequence-classifier';
import { initBackend, tf, type BackendOptions } from './backend';
import { scoreRecords, scoreRecordsStepwise, type Featurize, type ScoreReport } from './scoring';

export const ENCODER_FORMAT = 'arbiter-encoder-reward-model/1';
/** A fine-tuned language model (workers/handlers/train-lm-reward-model.ts): model.json, hf/ (the classifier), adapter/ (LoRA runs). */
export const LM_REWARD_FORMAT = 'arbiter-lm-reward-model/1';

export type LmRewardManifest = {
  format: typeof LM_REWARD_FORMAT;
  kind: 'bt';
  featurizer: 'fine-tune';
  /** The base checkpoint's name. */
  checkpoint: string;
  family: string;
  maxLength: number;
  lora: { rank: number; alpha: number; targets: string[] } | null;
  info?: Record<string, unknown>;
};

export type EncoderManifest = {
  format: typeof ENCODER_FORMAT;
  kind: 'bt';
  featurizer: 'transformer';
  config: EncoderConfig;
  tokenizer: BpeModel;
  /** Prompt tokens kept before the response (its tail). */
  promptTokens: number;
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
  info?: Record<string, unknown>;
};

/** Token ids of a (prompt, response) row: the prompt's last tokens, a blank line, the response; cut to maxLen. */
export function encodeRow(tok: BpeTokenizer, prompt: string, response: string, promptTokens: number, maxLen: number): number[] {
  return [...tok.encode(prompt).slice(-promptTokens), ...tok.encode(`\n\n${response}`)].slice(0, maxLen);
}

/**
 * A model that scores rows of token ids (the transformer encoder, a fine-tuned language model) behind the
 * scorer interface: one member, no GPM scores. Rewards are computed `chunk` rows at a time and kept per row
 * (by identity): the evaluation asks for the same rows several times, and each is a forward pass.
 */
export class TokenRowScorer implements PreferenceScorer<number[]> {
  readonly config = { kind: 'bt' as const, tau: 1 };
  readonly bags = null;
  private readonly known = new WeakMap<readonly number[], number>();
  constructor(
    readonly model: { rewards(rows: readonly (readonly number[])[]): tf.Tensor1D },
    private readonly chunk = 64,
  ) {}

  rewards(rows: readonly number[][]): Float32Array {
    const out = new Float32Array(rows.length);
    const missing = [...new Set(rows.filter((r) => !this.known.has(r)))];
    for (let k = 0; k < missing.length; k += this.chunk) {
      const part = missing.slice(k, k + this.chunk);
      const values = tf.tidy(() => this.model.rewards(part).dataSync() as Float32Array);
      part.forEach((r, i) => this.known.set(r, values[i]!));
    }
    rows.forEach((r, i) => (out[i] = this.known.get(r)!));
    return out;
  }

  preferences(a: readonly number[][], b: readonly number[][]): Float32Array {
    const ra = this.rewards(a);
    const rb = this.rewards(b);
    return ra.map((v, i) => 1 / (1 + Math.exp(-(v - rb[i]!))));
  }

  memberDeltas(a: readonly number[][], b: readonly number[][]): Float32Array[] {
    const ra = this.rewards(a);
    const rb = this.rewards(b);
    return [ra.map((v, i) => v - rb[i]!)];
  }

  gpmScores(): Float32Array {
    throw new Error('this model scores single responses, not GPM pairs');
  }
}

export function serializeEncoder(model: EncoderRewardModel, tokenizer: BpeTokenizer, promptTokens: number, info?: Record<string, unknown>): { manifest: EncoderManifest; weights: Buffer } {
  const tensors: EncoderManifest['tensors'] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  model.variables().forEach((v, i) => {
    const data = v.dataSync() as Float32Array;
    tensors.push({ name: `v${i}`, shape: v.shape, offset, length: data.length });
    chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    offset += data.byteLength;
  });
  return { manifest: { format: ENCODER_FORMAT, kind: 'bt', featurizer: 'transformer', config: model.config, tokenizer: tokenizer.model, promptTokens, tensors, ...(info ? { info } : {}) }, weights: Buffer.concat(chunks) };
}

/** Where a checkpoint featurizer's checkpoint lives, by name (lib/checkpoints.ts resolveCheckpoint). */
export type CheckpointResolver = (name: string) => string;

const noCheckpoints: CheckpointResolver = (name) => {
  throw new Error(`this model reads features from checkpoint ${JSON.stringify(name)}, and no checkpoint directory was given`);
};

/**
 * A saved reward model as its files give it: model.json (parsed), and weights.bin (feature and encoder
 * models) or the local folder of its sequence-classification checkpoint (fine-tuned language models).
 */
export type SavedRewardModel = { manifest: unknown; weights: Uint8Array | null; classifierDir: string | null };

function needWeights(saved: SavedRewardModel): Uint8Array {
  if (!saved.weights) throw new Error('the saved model has no weights.bin');
  return saved.weights;
}

/** Loads any kind of saved model as a scorer of (prompt, response) rows. */
export function loadScorer(
  saved: SavedRewardModel,
  resolveCheckpoint: CheckpointResolver = noCheckpoints,
): { scorer: PreferenceScorer<unknown>; featurize: Featurize<unknown>; dispose(): void } {
  const manifest = saved.manifest;
  const format = (manifest as { format?: string }).format;
  if (format === MODEL_FORMAT) {
    const m = manifest as ModelManifest;
    const featurizer = m.featurizer.kind === 'checkpoint' ? openCheckpointFeaturizer(m.featurizer, resolveCheckpoint(m.featurizer.name)) : hashedNgramFeaturizer(m.featurizer);
    const model = deserializeModel(m, needWeights(saved));
    return {
      scorer: model as PreferenceScorer<unknown>,
      featurize: (prompt, response) => {
        const v = featurizer.featurize([{ prompt, response }])[0]!;
        return m.inputNorm ? standardize(v, m.inputNorm) : v;
      },
      dispose: () => {
        model.dispose();
        featurizer.dispose();
      },
    };
  }
  if (format === ENCODER_FORMAT) {
    const m = manifest as EncoderManifest;
    const model = new EncoderRewardModel(m.config);
    const vars = model.variables();
    const weights = needWeights(saved);
    if (vars.length !== m.tensors.length) throw new Error('the saved encoder does not match its configuration');
    m.tensors.forEach((t, i) => {
      const copy = new Float32Array(t.length);
      new Uint8Array(copy.buffer).set(weights.subarray(t.offset, t.offset + t.length * 4));
      vars[i]!.assign(tf.tensor(copy, t.shape));
    });
    const tok = new BpeTokenizer(m.tokenizer);
    return { scorer: new TokenRowScorer(model) as PreferenceScorer<unknown>, featurize: (p, r) => encodeRow(tok, p, r, m.promptTokens, m.config.maxLen), dispose: () => model.dispose() };
  }
  if (format === LM_REWARD_FORMAT) {
    const m = manifest as LmRewardManifest;
    if (!saved.classifierDir) throw new Error('the saved model has no sequence-classification checkpoint (hf/)');
    const { model, chat } = loadSequenceClassifier(saved.classifierDir);
    return { scorer: new TokenRowScorer(model, 8) as PreferenceScorer<unknown>, featurize: (_prompt, response, messages) => rewardRowIds(chat, messages, response, m.maxLength), dispose: () => model.dispose() };
  }
  throw new Error(`not an Arbiter reward model (format ${JSON.stringify(format)})`);
}

/**
 * Scores records with a saved model (the CLI's `score`, the score route, the score-records job): backend,
 * load, score, free. With `steps`, `steps.between(done, total)` is awaited after every `steps.every` records
 * (a worker's heartbeat and cancellation run then); without, the scoring runs in one go.
 */
export async function scoreWithSavedModel(
  saved: SavedRewardModel,
  records: readonly { line: number; record: unknown }[],
  options: {
    backend: BackendOptions;
    resolveCheckpoint?: CheckpointResolver;
    steps?: { every: number; between: (done: number, total: number) => Promise<void> };
  },
): Promise<ScoreReport> {
  const { resolveCheckpoint, steps } = options;
  await initBackend(options.backend);
  const loaded = loadScorer(saved, resolveCheckpoint);
  try {
    if (!steps) return scoreRecords(loaded.scorer, loaded.featurize, records);
    const stepwise = scoreRecordsStepwise(loaded.scorer, loaded.featurize, records, steps.every);
    for (;;) {
      const step = stepwise.next();
      if (step.done) return step.value;
      await steps.between(step.value, records.length);
    }
  } finally {
    loaded.dispose();
  }
}
