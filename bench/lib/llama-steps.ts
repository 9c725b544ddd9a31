/**
 * The three workloads a Llama-family model runs in the workers, timed on a model with random weights:
 * - featurizing: a forward pass without gradients (the frozen featurizer);
 * - a reward-model step: both sides of each pair forward and backward, a scalar head on the last token's
 *   hidden state, the Bradley–Terry loss −log σ(r_chosen − r_rejected), an Adam step over every weight (what
 *   TRL's RewardTrainer and OpenRLHF's train_rm do in full fine-tuning);
 * - a DPO step: the reference's forward (a frozen copy; under LoRA the policy with its starting adapter), the policy's forward and backward over both sides, log-probs
 *   summed over completion tokens, the sigmoid DPO loss (β 0.1), Adam.
 * Used by bench/llama.ts (SmolLM2-135M's shapes, side by side with PyTorch) and bench/gpu.ts.
 */
import { alignmentLoss, DEFAULT_LOSS_PARAMS } from '@/lib/ml/align/losses';
import { batchSequences, sequenceLogProbs, type Sequence } from '@/lib/ml/align/sequences';
import { createAdam } from '@/lib/ml/adam';
import { logSigmoid, tf } from '@/lib/ml/backend';
import type { LlamaConfig } from '@/lib/ml/llama/config';
import type { LoraConfig } from '@/lib/ml/lm/lora';
import { Llama, randomWeights } from '@/lib/ml/llama/model';
import { AdapterReference } from '@/lib/ml/lm/adapter-reference';
import { createRng } from '@/lib/random';

export type StepShape = { pairs: number; tokens: number; prompt: number; featurizeRows: number };
export type StepTimes = { featurizeTokensPerSecond: number; rewardPairsPerSecond: number; rewardTokensPerSecond: number; dpoTokensPerSecond: number; peakRssMiB: number; firstDpoLoss: number; seconds: { featurize: number; reward: number; dpo: number } };

/** A config.json-shaped Llama config (untied unless `tied`), for a random model. */
export function llamaShape(s: { vocab: number; d: number; layers: number; heads: number; kvHeads: number; intermediate: number; context: number; tied: boolean }): LlamaConfig {
  return {
    modelType: 'llama', vocabSize: s.vocab, hiddenSize: s.d, intermediateSize: s.intermediate, numLayers: s.layers, numHeads: s.heads, numKvHeads: s.kvHeads, headDim: s.d / s.heads,
    contextLength: s.context, maxPositionEmbeddings: s.context, rmsNormEps: 1e-5, ropeTheta: 100000, ropeScaling: null, qkvBias: false, oBias: false, mlpBias: false,
    tieWordEmbeddings: s.tied, bosTokenId: null, eosTokenIds: [0], architecture: 'LlamaForCausalLM',
  };
}

/** The token ids both sides use, written for the peer: 2·pairs sequences (chosen rows, then rejected) of `tokens` ids. */
export function stepData(config: LlamaConfig, shape: StepShape): { seqs: Sequence[] } {
  const rng = createRng(7);
  return { seqs: Array.from({ length: 2 * shape.pairs }, () => ({ ids: Array.from({ length: shape.tokens }, () => rng.int(1, config.vocabSize - 1)), start: shape.prompt })) };
}

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;

/**
 * Times each workload: `warmup` untimed runs, then the median of `steps`. With `lora`, the reward-model and
 * DPO steps train LoRA adapters (and the reward head) with the base frozen, as on a wasm host, whose
 * backend cannot address the memory full fine-tuning of a 100M+ model needs.
 */
export type Workload = 'featurize' | 'reward' | 'dpo';
export const WORKLOADS: readonly Workload[] = ['featurize', 'reward', 'dpo'];

/** `only`: the workloads to time (default all); the others are skipped and report NaN. */
export function timeSteps(config: LlamaConfig, shape: StepShape, { warmup, steps, lora, only = WORKLOADS }: { warmup: number; steps: number; lora?: LoraConfig; only?: readonly Workload[] }): StepTimes & { parameters: number; trainableParameters: number } {
  let peak = process.memoryUsage().rss;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const policy = new Llama(config, randomWeights(0));
  if (lora) policy.attachLora(lora);
  const { seqs } = stepData(config, shape);
  const batch = batchSequences(seqs, 0);
  const P = shape.pairs;
  const timed = (run: () => void, workload: Workload): number => {
    if (!only.includes(workload)) return NaN;
    const times: number[] = [];
    for (let k = 0; k < warmup + steps; k++) {
      const t0 = performance.now();
      run();
      sample();
      if (k >= warmup) times.push((performance.now() - t0) / 1000);
    }
    return median(times);
  };

  // Featurizing: forward only, the hidden states read back.
  const rows = Int32Array.from(seqs.slice(0, shape.featurizeRows).flatMap((s) => s.ids));
  const progress = (stage: string) => console.error(`[llama-steps] ${stage}: ${(tf.memory().numBytes / 2 ** 20).toFixed(0)} MiB in tensors, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  progress('model built');
  const featurize = timed(() => void tf.tidy(() => policy.hidden(rows, shape.featurizeRows, shape.tokens).dataSync()), 'featurize');

  progress('featurized');
  // Reward model: a scalar head on the last token, the Bradley–Terry loss, Adam over every weight and the head.
  const head = tf.variable(tf.randomNormal([config.hiddenSize, 1], 0, 0.02, 'float32', 1));
  const rmOptimizer = createAdam(1e-5);
  const last = tf.tensor1d(Array.from({ length: 2 * P }, (_, b) => b * shape.tokens + shape.tokens - 1), 'int32');
  const reward = timed(() => {
    const loss = rmOptimizer.minimize(() => {
      const r = tf.reshape(tf.matMul(tf.gather(policy.hidden(batch.ids, 2 * P, shape.tokens), last), head), [2 * P]);
      return tf.neg(tf.mean(logSigmoid(tf.sub(tf.slice(r, [0], [P]), tf.slice(r, [P], [P]))))) as tf.Scalar;
    }, true, [...policy.trainableVariables(), head])!;
    loss.dataSync();
    loss.dispose();
  }, 'reward');
  rmOptimizer.dispose();
  head.dispose();
  last.dispose();

  progress('reward-model steps done');
  // DPO: the reference forward (a frozen copy), then the policy's forward and backward, Adam.
  let dpo = NaN;
  let firstDpoLoss = NaN;
  if (only.includes('dpo')) {
    // Under LoRA the reference is the policy with its starting adapter swapped in, as the alignment job's
    // (lib/ml/lm/adapter-reference.ts); in full fine-tuning, a frozen copy.
    const reference = lora ? new AdapterReference(policy, policy.adapterValues()) : policy.frozenCopy();
    const optimizer = createAdam(1e-5);
    const lens = tf.tensor1d(batch.lengths.slice(0, P));
    dpo = timed(() => {
      const ref = tf.tidy(() => sequenceLogProbs(reference, batch));
      const refW = tf.slice(ref, [0], [P]) as tf.Tensor1D;
      const refL = tf.slice(ref, [P], [P]) as tf.Tensor1D;
      const loss = optimizer.minimize(() => {
        const lp = sequenceLogProbs(policy, batch);
        return tf.mean(alignmentLoss('sigmoid', { w: tf.slice(lp, [0], [P]) as tf.Tensor1D, l: tf.slice(lp, [P], [P]) as tf.Tensor1D, refW, refL, lenW: lens, lenL: lens }, DEFAULT_LOSS_PARAMS)) as tf.Scalar;
      }, true, policy.trainableVariables())!;
      if (Number.isNaN(firstDpoLoss)) firstDpoLoss = loss.dataSync()[0]!;
      [loss, ref, refW, refL].forEach((t) => t.dispose());
    }, 'dpo');
    reference.dispose();
    lens.dispose();
    optimizer.dispose();
  }
  const parameters = policy.parameterCount;
  const trainableParameters = policy.trainableVariables().reduce((n, v) => n + v.size, 0);
  policy.dispose();
  batch.mask.dispose();
  const sideTokens = 2 * P * shape.tokens;
  return {
    parameters,
    trainableParameters,
    featurizeTokensPerSecond: Math.round((shape.featurizeRows * shape.tokens) / featurize),
    rewardPairsPerSecond: +(P / reward).toFixed(3),
    rewardTokensPerSecond: Math.round(sideTokens / reward),
    dpoTokensPerSecond: Math.round(sideTokens / dpo),
    peakRssMiB: Math.round(peak / 2 ** 20),
    firstDpoLoss: +firstDpoLoss.toFixed(5),
    seconds: { featurize: +featurize.toFixed(3), reward: +reward.toFixed(3), dpo: +dpo.toFixed(3) },
  };
}
