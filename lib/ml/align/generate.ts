/**
 * Sampling from a policy or a checkpoint: temperature, top-k and nucleus (top-p) filtering, seeded;
 * temperature 0 is greedy. n samples of one prompt run as one batch (same length, so positions line up).
 */
import { createRng } from '@/lib/random';
import { tf } from '../backend';
import { disposeCache, type CausalLm, type KvCache } from '../lm/causal-lm';

export type SamplingOptions = { maxNewTokens: number; temperature: number; topK: number; topP: number; seed: number };

export const DEFAULT_SAMPLING: SamplingOptions = { maxNewTokens: 64, temperature: 1, topK: 0, topP: 1, seed: 0 };

/** One draw from logits with temperature, top-k (0 = off) and top-p (1 = off); temperature 0 is greedy. */
export function sampleToken(logits: Float32Array, o: Pick<SamplingOptions, 'temperature' | 'topK' | 'topP'>, u: number): number {
  if (o.temperature <= 0) return logits.reduce((best, v, i) => (v > logits[best]! ? i : best), 0);
  const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]!);
  const keep = o.topK > 0 ? order.slice(0, o.topK) : order;
  const max = logits[keep[0]!]!;
  let probs = keep.map((i) => Math.exp((logits[i]! - max) / o.temperature));
  let total = probs.reduce((s, p) => s + p, 0);
  if (o.topP < 1) {
    let mass = 0;
    let cut = probs.length;
    for (let k = 0; k < probs.length; k++) {
      mass += probs[k]! / total;
      if (mass >= o.topP) {
        cut = k + 1;
        break;
      }
    }
    probs = probs.slice(0, cut);
    total = probs.reduce((s, p) => s + p, 0);
  }
  let r = u * total;
  for (let k = 0; k < probs.length; k++) {
    r -= probs[k]!;
    if (r <= 0) return keep[k]!;
  }
  return keep[probs.length - 1]!;
}

/**
 * n completions of one prompt (token ids, without the prompt; each stops at the first of `stopIds`, which
 * is left out). The prompt runs once through the model; every later step runs only the new token of each
 * row against the cache of keys and values (KV cache). The prompt keeps its last tokens so that prompt
 * and completion fit the model's context.
 */
export function generate(model: CausalLm, prompt: readonly number[], n: number, stopIds: number | readonly number[], options: Partial<SamplingOptions> = {}): number[][] {
  const o = { ...DEFAULT_SAMPLING, ...options };
  const stops = new Set(typeof stopIds === 'number' ? [stopIds] : stopIds);
  const rng = createRng(o.seed);
  const maxNew = Math.max(0, Math.min(o.maxNewTokens, model.contextLength - 1));
  const kept = prompt.slice(-(model.contextLength - maxNew));
  if (kept.length === 0) throw new Error('generation needs at least one prompt token');
  const V = model.vocabSize;
  const done = new Array<boolean>(n).fill(false);
  const out: number[][] = Array.from({ length: n }, () => []);
  let cache: KvCache | null = null;
  let ids = Int32Array.from(Array.from({ length: n }, () => kept).flat());
  let T = kept.length;
  try {
    for (let step = 0; step < maxNew && done.some((d) => !d); step++) {
      const past: KvCache | null = cache;
      const next = tf.tidy(() => {
        const r = model.extend(ids, n, T, past);
        const lastRows = tf.gather(r.hidden, tf.tensor1d(Array.from({ length: n }, (_, b) => b * T + T - 1), 'int32'));
        return { logits: model.unembed(lastRows), cache: r.cache };
      });
      if (past) disposeCache(past);
      cache = next.cache;
      const logits = next.logits.dataSync() as Float32Array;
      next.logits.dispose();
      const tokens = new Int32Array(n);
      for (let b = 0; b < n; b++) {
        // A finished row keeps running (the batch moves together) on a stop token nobody reads.
        const token = done[b] ? [...stops][0]! : sampleToken(logits.subarray(b * V, (b + 1) * V), o, rng.next());
        tokens[b] = token;
        if (done[b]) continue;
        if (stops.has(token)) done[b] = true;
        else out[b]!.push(token);
      }
      ids = tokens;
      T = 1;
    }
  } finally {
    if (cache) disposeCache(cache);
  }
  return out;
}
