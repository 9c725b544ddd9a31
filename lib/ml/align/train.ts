/**
 * The two training stages of alignment on a GPT policy:
 *  1. SFT: next-token cross-entropy on completions (chosen responses by default), prompt masked;
 *  2. preference optimisation with any mix of the DPO-family losses (losses.ts). The reference is a frozen
 *     copy of the policy after SFT; its sequence log-probs are computed once, before the first step.
 * Both run Adam on the policy's variables, report per-step metrics with TRL's names, and can resume from
 * a saved state (weights, Adam's moments, steps done).
 */
import { createRng } from '@/lib/random';
import { tf } from '../backend';
import { createAdam } from '../adam';
import type { CausalLm } from '../lm/causal-lm';
import { alignmentLossMix, preferenceMetrics, REFERENCE_FREE, UNPAIRED, type LossParams, type LossType } from './losses';
import { batchSequences, completionKl, scoreSequences, sequenceLogProbs, type Sequence } from './sequences';

export type TrainState = { step: number; weights: Float32Array[]; optimizer: { name: string; data: Float32Array; shape: number[] }[] };

export type StepReport = { step: number; epoch: number; stage: 'sft' | 'preference'; metrics: Record<string, number>; seconds: number; tokens: number };

type Hooks = {
  signal?: AbortSignal;
  onStep?: (r: StepReport) => void;
  /** After each epoch: a callback that captures the state (weights, Adam, step) for a checkpoint. */
  onEpoch?: (epoch: number, state: () => Promise<TrainState>) => void | Promise<void>;
  resume?: TrainState;
  /** A data-parallel peer (lib/threads/align-pool.ts): computes the gradients of the second half of each batch. */
  peer?: GradientPeer;
};

/** The other side of a data-parallel step: gradients of some examples (by index), and the weights after each update. */
export type GradientPeer = {
  grads(idx: number[], refW: number[], refL: number[]): Promise<{ loss: number; logps: Float32Array; grads: Float32Array[]; tokens: number }>;
  publish(vars: readonly tf.Variable[]): void;
};

async function restore(model: CausalLm, optimizer: tf.Optimizer, resume: TrainState | undefined) {
  if (!resume) return 0;
  const vars = model.trainableVariables();
  if (resume.weights.length !== vars.length) throw new Error('the checkpoint does not match the policy');
  vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(resume.weights[i]!, v.shape))));
  await optimizer.setWeights(resume.optimizer.map((w) => ({ name: w.name, tensor: tf.tensor(w.data, w.shape) })));
  return resume.step;
}

function stateOf(model: CausalLm, optimizer: tf.Optimizer, step: number): () => Promise<TrainState> {
  return async () => ({
    step,
    weights: model.trainableVariables().map((v) => (v.dataSync() as Float32Array).slice()),
    optimizer: (await optimizer.getWeights()).map((w) => ({ name: w.name, data: (w.tensor.dataSync() as Float32Array).slice(), shape: w.tensor.shape })),
  });
}

const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

export type SftConfig = { epochs: number; learningRate: number; batchSize: number; seed: number };

/** Supervised fine-tuning: mean negative log-likelihood per completion token. */
export async function sft(model: CausalLm, seqs: readonly Sequence[], pad: number, config: SftConfig, hooks: Hooks = {}): Promise<void> {
  if (seqs.length === 0) throw new Error('nothing to fine-tune on');
  const optimizer = createAdam(config.learningRate);
  const perEpoch = Math.ceil(seqs.length / config.batchSize);
  let step = await restore(model, optimizer, hooks.resume);
  const rng = createRng(config.seed + 11);
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    const order = rng.shuffle([...seqs.keys()]);
    if (epoch * perEpoch <= step) continue; // done before the resume
    for (let k = 0; k < seqs.length; k += config.batchSize) {
      if (step >= epoch * perEpoch) break;
      if (Math.floor(k / config.batchSize) < step - (epoch - 1) * perEpoch) continue;
      hooks.signal?.throwIfAborted();
      const started = performance.now();
      const batch = batchSequences(order.slice(k, k + config.batchSize).map((i) => seqs[i]!), pad);
      const tokens = batch.lengths.reduce((s, n) => s + n, 0);
      const loss = optimizer.minimize(() => tf.div(tf.neg(tf.sum(sequenceLogProbs(model, batch))), tokens) as tf.Scalar, true, model.trainableVariables())!;
      const value = loss.dataSync()[0]!;
      loss.dispose();
      batch.mask.dispose();
      step++;
      hooks.onStep?.({ step, epoch, stage: 'sft', metrics: { loss: value }, seconds: (performance.now() - started) / 1000, tokens: batch.B * batch.T });
      await yieldToLoop();
    }
    await hooks.onEpoch?.(epoch, stateOf(model, optimizer, step));
  }
  optimizer.dispose();
}

/** A preference example: a pair (chosen, rejected; soft SPPO's win rates optional) or, for unpaired losses, one sample. */
export type PreferenceExample = { chosen: Sequence; rejected: Sequence; pW?: number; pL?: number } | { sample: Sequence; desirable: boolean };

export type PreferenceConfig = { lossTypes: LossType[]; lossWeights: number[] | null; params: LossParams; epochs: number; learningRate: number; batchSize: number; seed: number; klEvery: number };

/**
 * Preference optimisation against a frozen reference. `referenceLogps` are the reference's sequence
 * log-probs of every example's sequences (chosen then rejected, or the sample), computed once by
 * referenceLogProbs; `reference` itself is read only for the KL metric.
 */
export async function preferenceOptimize(
  policy: CausalLm,
  reference: CausalLm,
  examples: readonly PreferenceExample[],
  referenceLogps: { chosen: Float32Array; rejected: Float32Array },
  pad: number,
  config: PreferenceConfig,
  hooks: Hooks = {},
): Promise<void> {
  const unpaired = config.lossTypes.some((t) => UNPAIRED.includes(t));
  if (unpaired && config.lossTypes.some((t) => !UNPAIRED.includes(t))) throw new Error(`${config.lossTypes.join(' + ')}: unpaired losses (kto, npo) do not mix with paired ones`);
  if (examples.length === 0) throw new Error('no preference examples');
  const optimizer = createAdam(config.learningRate);
  const perEpoch = Math.ceil(examples.length / config.batchSize);
  let step = await restore(policy, optimizer, hooks.resume);
  // The peer's replica starts from the weights it was opened with: send the restored ones.
  if (hooks.resume) hooks.peer?.publish(policy.trainableVariables());
  const rng = createRng(config.seed + 23);
  const probe = examples.slice(0, 8).map((e) => ('chosen' in e ? e.chosen : e.sample));
  const refFree = config.lossTypes.every((t) => REFERENCE_FREE.includes(t));
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    const order = rng.shuffle([...examples.keys()]);
    if (epoch * perEpoch <= step) continue;
    for (let k = 0; k < examples.length; k += config.batchSize) {
      if (step >= epoch * perEpoch) break;
      if (Math.floor(k / config.batchSize) < step - (epoch - 1) * perEpoch) continue;
      hooks.signal?.throwIfAborted();
      const started = performance.now();
      const idx = order.slice(k, k + config.batchSize);
      const n = idx.length;
      const refW = idx.map((i) => referenceLogps.chosen[i]!);
      const refL = idx.map((i) => referenceLogps.rejected[i] ?? 0);
      let z0 = 0;
      if (unpaired) {
        // KTO's reference point: the batch's mean implicit reward ℓθ − ℓref, detached and clamped at 0.
        const batch = batchSequences(idx.map((i) => sampleOf(examples[i]!)), pad);
        const now = tf.tidy(() => sequenceLogProbs(policy, batch).dataSync() as Float32Array);
        batch.mask.dispose();
        z0 = Math.max(0, now.reduce((s, v, i) => s + v - refW[i]!, 0) / n);
      }
      let logps: Float32Array;
      let lossValue: number;
      let tokens: number;
      if (hooks.peer && !unpaired && n >= 2) {
        // Data parallel: the peer thread takes the second half of the batch; gradients are averaged
        // (weighted by half sizes), applied here, and the new weights published to the peer.
        const half = Math.ceil(n / 2);
        const pending = hooks.peer.grads(idx.slice(half), refW.slice(half), refL.slice(half));
        const own = preferenceGrads(policy, idx.slice(0, half).map((i) => examples[i]!), refW.slice(0, half), refL.slice(0, half), pad, config, 0);
        const other = await pending;
        const vars = policy.trainableVariables();
        const named: tf.NamedTensorMap = {};
        vars.forEach((v, i) => {
          named[v.name] = tf.tidy(() => tf.add(tf.mul(own.grads[v.name]!, half / n), tf.mul(tf.tensor(other.grads[i]!, v.shape), (n - half) / n)));
        });
        optimizer.applyGradients(Object.entries(named).map(([name, tensor]) => ({ name, tensor })));
        Object.values(named).forEach((t) => t.dispose());
        Object.values(own.grads).forEach((t) => t.dispose());
        hooks.peer.publish(vars);
        const cat = (a: Float32Array, b: Float32Array, k: number, m: number) => Float32Array.from([...a.subarray(k * half, (k + 1) * half), ...b.subarray(k * (n - half), (k + 1) * (n - half))].slice(0, m));
        logps = Float32Array.from([...cat(own.logps, other.logps, 0, n), ...cat(own.logps, other.logps, 1, n)]);
        lossValue = (own.loss * half + other.loss * (n - half)) / n;
        tokens = own.tokens + other.tokens;
      } else {
        const r = preferenceGrads(policy, idx.map((i) => examples[i]!), refW, refL, pad, config, z0);
        optimizer.applyGradients(Object.entries(r.grads).map(([name, tensor]) => ({ name, tensor })));
        Object.values(r.grads).forEach((t) => t.dispose());
        logps = r.logps;
        lossValue = r.loss;
        tokens = r.tokens;
      }
      const metrics: Record<string, number> = { loss: lossValue };
      const w = logps.slice(0, n);
      if (!unpaired) {
        const rw = refFree ? null : Float32Array.from(idx.map((i) => referenceLogps.chosen[i]!));
        const rl = refFree ? null : Float32Array.from(idx.map((i) => referenceLogps.rejected[i]!));
        Object.assign(metrics, preferenceMetrics(w, logps.slice(n), rw, rl, config.params.beta));
      } else {
        metrics['logps/samples'] = w.reduce((s, v) => s + v, 0) / n;
        metrics.kl_reference_point = z0;
      }
      step++;
      if (config.klEvery > 0 && step % config.klEvery === 0) metrics.kl = completionKl(policy, reference, probe, pad);
      hooks.onStep?.({ step, epoch, stage: 'preference', metrics, seconds: (performance.now() - started) / 1000, tokens });
      await yieldToLoop();
    }
    await hooks.onEpoch?.(epoch, stateOf(policy, optimizer, step));
  }
  optimizer.dispose();
}

const sampleOf = (e: PreferenceExample) => ('chosen' in e ? e.chosen : e.sample);

/**
 * The loss of a batch of examples and its gradients with respect to every policy variable (by name),
 * with the batch's sequence log-probs (chosen then rejected, or the samples) for metrics. The caller
 * applies and disposes the gradients. Used by the single-thread loop and by both sides of a data-parallel step.
 */
export function preferenceGrads(
  policy: CausalLm,
  items: readonly PreferenceExample[],
  refWValues: readonly number[],
  refLValues: readonly number[],
  pad: number,
  config: Pick<PreferenceConfig, 'lossTypes' | 'lossWeights' | 'params'>,
  z0: number,
): { loss: number; logps: Float32Array; grads: tf.NamedTensorMap; tokens: number } {
  const unpaired = items.length > 0 && !('chosen' in items[0]!);
  const n = items.length;
  const batch = batchSequences([...items.map(sampleOf), ...(unpaired ? [] : items.map((e) => (e as { rejected: Sequence }).rejected))], pad);
  const refW = tf.tensor1d(refWValues as number[]);
  const refL = tf.tensor1d(refLValues as number[]);
  const lenW = tf.tensor1d(batch.lengths.slice(0, n));
  const lenL = tf.tensor1d(unpaired ? batch.lengths.slice(0, n) : batch.lengths.slice(n));
  const pW = tf.tensor1d(items.map((e) => ('pW' in e && e.pW !== undefined ? e.pW : 1)));
  const pL = tf.tensor1d(items.map((e) => ('pL' in e && e.pL !== undefined ? e.pL : 0)));
  const desirable = tf.tensor1d(items.map((e) => ('desirable' in e && !e.desirable ? 0 : 1)));
  let logps: Float32Array = new Float32Array(0);
  const { value, grads } = tf.variableGrads(() => {
    const lp = sequenceLogProbs(policy, batch);
    logps = lp.dataSync() as Float32Array;
    const w = tf.slice(lp, [0], [n]) as tf.Tensor1D;
    const l = unpaired ? undefined : (tf.slice(lp, [n], [n]) as tf.Tensor1D);
    return tf.mean(alignmentLossMix(config.lossTypes, config.lossWeights, { w, l, refW, refL, lenW, lenL, pW, pL, desirable, z0 }, config.params)) as tf.Scalar;
  }, policy.trainableVariables());
  const loss = value.dataSync()[0]!;
  value.dispose();
  [refW, refL, lenW, lenL, pW, pL, desirable, batch.mask].forEach((t) => t.dispose());
  return { loss, logps: logps.slice(), grads, tokens: batch.B * batch.T };
}

/** The reference's sequence log-probs of every example, once (no gradients). */
export function referenceLogProbs(reference: CausalLm, examples: readonly PreferenceExample[], pad: number): { chosen: Float32Array; rejected: Float32Array } {
  const first = examples.map((e) => ('chosen' in e ? e.chosen : e.sample));
  const second = examples.filter((e) => 'chosen' in e).map((e) => (e as { rejected: Sequence }).rejected);
  return { chosen: scoreSequences(reference, first, pad), rejected: second.length ? scoreSequences(reference, second, pad) : new Float32Array(0) };
}
