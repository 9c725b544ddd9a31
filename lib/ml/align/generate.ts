/**
 * Sampling from a GPT policy: temperature, top-k and nucleus (top-p) filtering, seeded. n samples of one
 * prompt run as one batch (same length, so positions line up); each step recomputes the window (no KV
 * cache: the policies trained here are small) and reads the logits of the last position only.
 */
import { createRng } from '@/lib/random';
import { tf } from '../backend';
import type { Gpt } from '../gpt/model';

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

/** n completions of one prompt (token ids, without the prompt; each stops at its end-of-text token). */
export function generate(model: Gpt, prompt: readonly number[], n: number, eos: number, options: Partial<SamplingOptions> = {}): number[][] {
  const o = { ...DEFAULT_SAMPLING, ...options };
  const rng = createRng(o.seed);
  const ctx = model.config.nPositions;
  const V = model.config.vocabSize;
  const rows = Array.from({ length: n }, () => [...prompt.slice(-(ctx - 1))]);
  const done = new Array<boolean>(n).fill(false);
  const out: number[][] = Array.from({ length: n }, () => []);
  for (let step = 0; step < o.maxNewTokens && done.some((d) => !d); step++) {
    const window = rows.map((r) => r.slice(-ctx));
    const T = window[0]!.length;
    const ids = Int32Array.from(window.flat());
    const last = tf.tidy(() => {
      const h = model.hidden(ids, n, T);
      const lastRows = tf.gather(h, tf.tensor1d(Array.from({ length: n }, (_, b) => b * T + T - 1), 'int32'));
      return tf.matMul(lastRows, model.wte, false, true).dataSync() as Float32Array;
    });
    for (let b = 0; b < n; b++) {
      const token = done[b] ? eos : sampleToken(last.subarray(b * V, (b + 1) * V), o, rng.next());
      rows[b]!.push(token);
      if (done[b]) continue;
      if (token === eos) done[b] = true;
      else out[b]!.push(token);
    }
  }
  return out;
}
