/**
 * A saved reward model, whichever featurizer it uses, as something that scores (prompt, response) rows:
 * hashed-n-gram models (model-io.ts) and transformer-encoder models (format arbiter-encoder-reward-model/1,
 * which carries its BPE tokenizer).
 */
import { EncoderRewardModel, type EncoderConfig } from './encoder';
import { openCheckpointFeaturizer } from './features/checkpoint-states';
import { hashedNgramFeaturizer, standardize } from './features/featurizer';
import type { PreferenceScorer } from './model-evaluation';
import { deserializeModel, MODEL_FORMAT, type ModelManifest } from './model-io';
import { BpeTokenizer, type BpeModel } from './tokenizer/bpe';
import { initBackend, tf, type BackendOptions } from './backend';
import { scoreRecords, scoreRecordsStepwise, type ScoreReport } from './scoring';

export const ENCODER_FORMAT = 'arbiter-encoder-reward-model/1';

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

/** The transformer encoder behind the scorer interface (one member; no GPM scores). */
export class EncoderScorer implements PreferenceScorer<number[]> {
  readonly config = { kind: 'bt' as const, tau: 1 };
  readonly bags = null;
  constructor(readonly model: EncoderRewardModel) {}

  rewards(rows: readonly number[][]): Float32Array {
    const out = new Float32Array(rows.length);
    for (let k = 0; k < rows.length; k += 64) {
      const chunk = rows.slice(k, k + 64);
      out.set(tf.tidy(() => this.model.rewards(chunk).dataSync() as Float32Array), k);
    }
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
    throw new Error('a transformer-encoder model scores single responses, not GPM pairs');
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

/** Loads either kind of saved model as a scorer of (prompt, response) rows. */
export function loadScorer(
  manifest: unknown,
  weights: Uint8Array,
  resolveCheckpoint: CheckpointResolver = noCheckpoints,
): { scorer: PreferenceScorer<unknown>; featurize: (prompt: string, response: string) => unknown; dispose(): void } {
  const format = (manifest as { format?: string }).format;
  if (format === MODEL_FORMAT) {
    const m = manifest as ModelManifest;
    const featurizer = m.featurizer.kind === 'checkpoint' ? openCheckpointFeaturizer(m.featurizer, resolveCheckpoint(m.featurizer.name)) : hashedNgramFeaturizer(m.featurizer);
    const model = deserializeModel(m, weights);
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
    if (vars.length !== m.tensors.length) throw new Error('the saved encoder does not match its configuration');
    m.tensors.forEach((t, i) => {
      const copy = new Float32Array(t.length);
      new Uint8Array(copy.buffer).set(weights.subarray(t.offset, t.offset + t.length * 4));
      vars[i]!.assign(tf.tensor(copy, t.shape));
    });
    const tok = new BpeTokenizer(m.tokenizer);
    return { scorer: new EncoderScorer(model) as PreferenceScorer<unknown>, featurize: (p, r) => encodeRow(tok, p, r, m.promptTokens, m.config.maxLen), dispose: () => model.dispose() };
  }
  throw new Error(`not an Arbiter reward model (format ${JSON.stringify(format)})`);
}

/**
 * Scores records with a saved model (the CLI's `score`, the score route, the score-records job): backend,
 * load, score, free. With `steps`, `steps.between(done, total)` is awaited after every `steps.every` records
 * (a worker's heartbeat and cancellation run then); without, the scoring runs in one go.
 */
export async function scoreWithSavedModel(
  manifest: unknown,
  weights: Uint8Array,
  records: readonly { line: number; record: unknown }[],
  options: {
    backend: BackendOptions;
    resolveCheckpoint?: CheckpointResolver;
    steps?: { every: number; between: (done: number, total: number) => Promise<void> };
  },
): Promise<ScoreReport> {
  const { resolveCheckpoint, steps } = options;
  await initBackend(options.backend);
  const loaded = loadScorer(manifest, weights, resolveCheckpoint);
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
