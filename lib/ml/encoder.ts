/**
 * Featurizer (b): a small transformer encoder over byte-level BPE tokens, trained end to end with the
 * reward head (Bradley–Terry). Pre-LN blocks (self-attention with a padding mask, GELU MLP), learned
 * positions, mean pooling over real tokens, a linear head. Written with 2-D products ([B·T, d]) and one
 * batched attention product per layer, which the patched wasm BatchMatMul runs on XNNPACK; GELU in
 * its tanh form written as x·sigmoid(2c(x + 0.044715x³)) (wasm's Tanh kernel is slow).
 * What is cached per response is its token ids.
 */
import { createRng } from '@/lib/random';
import { logSigmoid, tf } from './backend';
import { createAdam } from './adam';
import { gelu, layerNorm } from './nn';

export type EncoderConfig = { vocab: number; dModel: number; layers: number; heads: number; maxLen: number; seed: number; learningRate: number; batchSize: number; epochs: number };

export const DEFAULT_ENCODER: Omit<EncoderConfig, 'vocab'> = { dModel: 128, layers: 2, heads: 4, maxLen: 128, seed: 0, learningRate: 1e-3, batchSize: 32, epochs: 4 };

type Layer = { ln1g: tf.Variable; ln1b: tf.Variable; wq: tf.Variable; wk: tf.Variable; wv: tf.Variable; wo: tf.Variable; ln2g: tf.Variable; ln2b: tf.Variable; w1: tf.Variable; b1: tf.Variable; w2: tf.Variable; b2: tf.Variable };

export class EncoderRewardModel {
  readonly tok: tf.Variable;
  readonly pos: tf.Variable;
  readonly layers: Layer[];
  readonly lnfg: tf.Variable;
  readonly lnfb: tf.Variable;
  readonly head: tf.Variable;

  constructor(readonly config: EncoderConfig) {
    const { vocab, dModel: d, layers, maxLen, seed } = config;
    const init = (shape: number[], std: number, s: number) => tf.variable(tf.randomNormal(shape, 0, std, 'float32', seed * 7919 + s));
    const ones = (n: number) => tf.variable(tf.ones([n]));
    const zeros = (shape: number[]) => tf.variable(tf.zeros(shape));
    this.tok = init([vocab, d], 0.02, 1);
    this.pos = init([maxLen, d], 0.01, 2);
    this.layers = Array.from({ length: layers }, (_, l) => ({
      ln1g: ones(d),
      ln1b: zeros([d]),
      wq: init([d, d], 0.02, 10 + l * 10),
      wk: init([d, d], 0.02, 11 + l * 10),
      wv: init([d, d], 0.02, 12 + l * 10),
      wo: init([d, d], 0.02 / Math.sqrt(2 * layers), 13 + l * 10),
      ln2g: ones(d),
      ln2b: zeros([d]),
      w1: init([d, 4 * d], 0.02, 14 + l * 10),
      b1: zeros([4 * d]),
      w2: init([4 * d, d], 0.02 / Math.sqrt(2 * layers), 15 + l * 10),
      b2: zeros([d]),
    }));
    this.lnfg = ones(d);
    this.lnfb = zeros([d]);
    this.head = init([d, 1], 0.02, 3);
  }

  variables(): tf.Variable[] {
    return [this.tok, this.pos, ...this.layers.flatMap((l) => Object.values(l)), this.lnfg, this.lnfb, this.head];
  }

  /** Rewards for a batch of token sequences (each cut to maxLen), as a [B] tensor. */
  rewards(sequences: readonly number[][]): tf.Tensor1D {
    const { dModel: d, heads, maxLen } = this.config;
    const B = sequences.length;
    const T = Math.min(maxLen, Math.max(1, ...sequences.map((s) => s.length)));
    const ids = new Int32Array(B * T);
    const mask = new Float32Array(B * T);
    sequences.forEach((s, b) => {
      const cut = s.slice(0, T);
      ids.set(cut, b * T);
      mask.fill(1, b * T, b * T + cut.length);
    });
    const m = tf.tensor2d(mask, [B, T]);
    let x = tf.add(tf.reshape(tf.gather(this.tok, tf.tensor1d(ids, 'int32')), [B, T, d]), tf.slice(this.pos, [0, 0], [T, d])).reshape([B * T, d]) as tf.Tensor2D;
    // Keys that are padding get −1e9 before the softmax.
    const keyBias = tf.reshape(tf.mul(tf.sub(m, 1), 1e9), [B, 1, 1, T]);
    const dh = d / heads;
    const split = (t: tf.Tensor2D) => tf.transpose(tf.reshape(t, [B, T, heads, dh]), [0, 2, 1, 3]);
    for (const l of this.layers) {
      const h = layerNorm(x, l.ln1g, l.ln1b);
      const q = split(tf.matMul(h, l.wq));
      const k = split(tf.matMul(h, l.wk));
      const v = split(tf.matMul(h, l.wv));
      const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), keyBias));
      const y = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, d]) as tf.Tensor2D;
      x = tf.add(x, tf.matMul(y, l.wo)) as tf.Tensor2D;
      const h2 = layerNorm(x, l.ln2g, l.ln2b);
      x = tf.add(x, tf.add(tf.matMul(gelu(tf.add(tf.matMul(h2, l.w1), l.b1) as tf.Tensor2D), l.w2), l.b2)) as tf.Tensor2D;
    }
    const out = tf.reshape(layerNorm(x, this.lnfg, this.lnfb), [B, T, d]);
    const pooled = tf.div(tf.sum(tf.mul(out, tf.expandDims(m, 2)), 1), tf.maximum(tf.sum(m, 1, true), 1)) as tf.Tensor2D;
    return tf.reshape(tf.matMul(pooled, this.head), [B]) as tf.Tensor1D;
  }

  dispose() {
    for (const v of this.variables()) v.dispose();
  }
}

/** Pairs of token sequences: a is preferred, or the two tie where `tie[k]` (loss −½(log σ(Δ) + log σ(−Δ))). */
export type TokenPairs = { a: number[][]; b: number[][]; tie?: boolean[] };

/** The state a fit can continue from: weights in variables() order, Adam's slots, and epochs done. */
export type EncoderResume = { weights: Float32Array[]; optimizer: { name: string; data: Float32Array; shape: number[] }[]; epoch: number };

export type EncoderEpoch = { epoch: number; loss: number; seconds: number; pairsPerSecond: number; model: EncoderRewardModel; optimizerState: () => Promise<EncoderResume['optimizer']> };

/** Trains the encoder and its head on pairs; reports pairs per second per epoch, and can resume after an epoch. */
export async function fitEncoderRewardModel(
  pairs: TokenPairs,
  config: EncoderConfig,
  hooks: { onEpoch?: (r: EncoderEpoch) => void | Promise<void>; signal?: AbortSignal; resume?: EncoderResume } = {},
): Promise<EncoderRewardModel> {
  const model = new EncoderRewardModel(config);
  const optimizer = createAdam(config.learningRate);
  const rng = createRng(config.seed + 1);
  const n = pairs.a.length;
  const start = hooks.resume ? hooks.resume.epoch + 1 : 1;
  if (hooks.resume) {
    const vars = model.variables();
    if (hooks.resume.weights.length !== vars.length) throw new Error('the encoder checkpoint does not match its configuration');
    vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(hooks.resume!.weights[i]!, v.shape))));
    await optimizer.setWeights(hooks.resume.optimizer.map((w) => ({ name: w.name, tensor: tf.tensor(w.data, w.shape) })));
    // The shuffles of the epochs already run, so the next epoch sees the order it would have seen.
    for (let e = 1; e < start; e++) rng.shuffle([...Array(n).keys()]);
  }
  const tieWeight = pairs.tie?.map((t) => (t ? 1 : 0));
  for (let epoch = start; epoch <= config.epochs; epoch++) {
    const started = performance.now();
    const order = rng.shuffle([...Array(n).keys()]);
    let total = 0;
    let steps = 0;
    for (let k = 0; k < n; k += config.batchSize) {
      hooks.signal?.throwIfAborted();
      const idx = order.slice(k, k + config.batchSize);
      const loss = optimizer.minimize(() => {
        const r = model.rewards([...idx.map((i) => pairs.a[i]!), ...idx.map((i) => pairs.b[i]!)]);
        const delta = tf.sub(tf.slice(r, [0], [idx.length]), tf.slice(r, [idx.length], [idx.length]));
        const decisive = tf.neg(logSigmoid(delta));
        if (!tieWeight) return tf.mean(decisive) as tf.Scalar;
        const tie = tf.tensor1d(idx.map((i) => tieWeight[i]!));
        const half = tf.mul(tf.add(decisive, tf.neg(logSigmoid(tf.neg(delta)))), 0.5);
        return tf.mean(tf.add(tf.mul(decisive, tf.sub(1, tie)), tf.mul(half, tie))) as tf.Scalar;
      }, true, model.variables());
      total += loss!.dataSync()[0]!;
      loss!.dispose();
      steps++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const seconds = (performance.now() - started) / 1000;
    await hooks.onEpoch?.({
      epoch,
      loss: total / steps,
      seconds,
      pairsPerSecond: n / seconds,
      model,
      optimizerState: async () => (await optimizer.getWeights()).map((w) => ({ name: w.name, data: w.tensor.dataSync() as Float32Array, shape: w.tensor.shape })),
    });
  }
  optimizer.dispose();
  return model;
}
