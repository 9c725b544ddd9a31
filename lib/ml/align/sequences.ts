/**
 * Token sequences for alignment: prompt tokens, then the completion (which ends with its end of turn or
 * end-of-sequence token: lib/ml/tokenizer/chat-format.ts), cut to the model's context (the prompt keeps
 * its tail, the completion its head). Batches are right-padded; the
 * completion mask marks the positions whose *next* token belongs to the completion, so sequence
 * log-probs sum over completion tokens only (prompt and padding masked).
 */
import { tf } from '../backend';
import { logitsOf, nextTokenLogProbs, type CausalLm } from '../lm/causal-lm';

export type Sequence = { ids: number[]; /** index of the first completion token */ start: number };

export function buildSequence(prompt: readonly number[], completion: readonly number[], maxLen: number): Sequence {
  const full = completion;
  // The completion gets at least half the context (or all it needs); the prompt keeps its last tokens.
  const promptKeep = Math.min(prompt.length, maxLen - Math.min(full.length, Math.floor(maxLen / 2)));
  const head = prompt.slice(prompt.length - promptKeep);
  const ids = [...head, ...full].slice(0, maxLen);
  return { ids, start: head.length };
}

export type SequenceBatch = { ids: Int32Array; mask: tf.Tensor2D; B: number; T: number; lengths: number[] };

/** Right-padded ids [B, T] and the completion mask (position t counts when token t+1 is a completion token). */
export function batchSequences(seqs: readonly Sequence[], pad: number): SequenceBatch {
  const B = seqs.length;
  const T = Math.max(2, ...seqs.map((s) => s.ids.length));
  const ids = new Int32Array(B * T).fill(pad);
  const mask = new Float32Array(B * T);
  const lengths: number[] = [];
  seqs.forEach((s, b) => {
    ids.set(s.ids, b * T);
    for (let t = Math.max(s.start, 1) - 1; t + 1 < s.ids.length; t++) mask[b * T + t] = 1;
    lengths.push(Math.max(1, s.ids.length - Math.max(s.start, 1)));
  });
  return { ids, mask: tf.tensor2d(mask, [B, T]), B, T, lengths };
}

/** Σ over completion tokens of log π(token | prefix), one per sequence ([B]); differentiable. */
export function sequenceLogProbs(model: CausalLm, batch: SequenceBatch): tf.Tensor1D {
  return tf.sum(tf.mul(nextTokenLogProbs(model, batch.ids, batch.B, batch.T), batch.mask), 1) as tf.Tensor1D;
}

/** Sequence log-probs of many sequences without gradients (e.g. the reference, computed once). */
export function scoreSequences(model: CausalLm, seqs: readonly Sequence[], pad: number, batchSize = 16): Float32Array {
  const out = new Float32Array(seqs.length);
  for (let k = 0; k < seqs.length; k += batchSize) {
    const batch = batchSequences(seqs.slice(k, k + batchSize), pad);
    out.set(tf.tidy(() => sequenceLogProbs(model, batch).dataSync() as Float32Array), k);
    batch.mask.dispose();
  }
  return out;
}

/**
 * Token-level KL(πθ ‖ πref) averaged over the completion positions of these sequences:
 * Σ_v πθ(v|prefix)(log πθ(v|prefix) − log πref(v|prefix)).
 */
export function completionKl(policy: CausalLm, reference: CausalLm, seqs: readonly Sequence[], pad: number): number {
  const batch = batchSequences(seqs, pad);
  const kl = tf.tidy(() => {
    const lp = tf.logSoftmax(logitsOf(policy, batch.ids, batch.B, batch.T));
    const lr = tf.logSoftmax(logitsOf(reference, batch.ids, batch.B, batch.T));
    const perPosition = tf.sum(tf.mul(tf.exp(lp), tf.sub(lp, lr)), 1);
    const m = tf.reshape(batch.mask, [batch.B * batch.T]);
    return tf.div(tf.sum(tf.mul(perPosition, m)), tf.maximum(tf.sum(m), 1)).dataSync()[0]!;
  });
  batch.mask.dispose();
  return kl;
}
