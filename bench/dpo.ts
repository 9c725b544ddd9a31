/**
 * Tokens per second of one DPO step on a GPT policy — a frozen-reference forward, the policy's forward and
 * backward over both sides, log-probs summed over completion tokens (96 of 128; the prompt is masked),
 * the DPO loss (β 0.1) and an Adam step (lr 1e-4) — for a 4-layer, 256-wide, 128-token model (vocab 8192,
 * batch 4 pairs = 1,024 policy tokens per step), tfjs on the wasm backend (one thread) side by side with
 * the same model and step in PyTorch on CPU with one thread, on the same token ids. Reports peak memory.
 * Then the same at two threads: tfjs data-parallel over two replicas (this thread and a worker thread,
 * lib/threads/align-pool.ts) against PyTorch with two threads.
 * Needs `apt-get install -y python3-torch` for the peer. Writes bench/results/dpo.json.
 *   node --import tsx bench/dpo.ts [--steps 8]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alignmentLoss, DEFAULT_LOSS_PARAMS } from '@/lib/ml/align/losses';
import { batchSequences, scoreSequences, sequenceLogProbs, type Sequence } from '@/lib/ml/align/sequences';
import { preferenceGrads, type PreferenceExample } from '@/lib/ml/align/train';
import { openGradientPeer } from '@/lib/threads/align-pool';
import { initBackend, tf } from '@/lib/ml/backend';
import { Gpt } from '@/lib/ml/gpt/model';
import { createRng } from '@/lib/random';
import { mlBackendOptions } from '@/lib/env';
import { peerEnv, peerRatio, ratioFields, type PeerBlas } from './lib/peer-blas';

const i = process.argv.indexOf('--steps');
const STEPS = i >= 0 ? Number(process.argv[i + 1]) : 8;
const WARMUP = 2;
const config = { vocabSize: 8192, nPositions: 128, nEmbd: 256, nLayer: 4, nHead: 4, layerNormEpsilon: 1e-5 };
const PAIRS = 4;
const PROMPT = 32;
const info = await initBackend(mlBackendOptions());
const rng = createRng(7);
const seqs: Sequence[] = Array.from({ length: 2 * PAIRS }, () => ({ ids: Array.from({ length: 128 }, () => rng.int(0, config.vocabSize - 1)), start: PROMPT }));
const batch = batchSequences(seqs, 0);
const tokensPerStep = batch.B * batch.T;

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const policy = new Gpt(config, 0);
const reference = policy.frozenCopy();
const optimizer = tf.train.adam(1e-4);
const times: number[] = [];
const losses: number[] = [];
for (let s = 0; s < WARMUP + STEPS; s++) {
  const t0 = performance.now();
  const ref = tf.tidy(() => sequenceLogProbs(reference, batch));
  const refW = tf.slice(ref, [0], [PAIRS]) as tf.Tensor1D;
  const refL = tf.slice(ref, [PAIRS], [PAIRS]) as tf.Tensor1D;
  const lens = tf.tensor1d(batch.lengths.slice(0, PAIRS));
  const loss = optimizer.minimize(() => {
    const lp = sequenceLogProbs(policy, batch);
    return tf.mean(alignmentLoss('sigmoid', { w: tf.slice(lp, [0], [PAIRS]) as tf.Tensor1D, l: tf.slice(lp, [PAIRS], [PAIRS]) as tf.Tensor1D, refW, refL, lenW: lens, lenL: lens }, DEFAULT_LOSS_PARAMS)) as tf.Scalar;
  }, true, policy.variables())!;
  losses.push(loss.dataSync()[0]!);
  [loss, ref, refW, refL, lens].forEach((t) => t.dispose());
  if (s >= WARMUP) times.push((performance.now() - t0) / 1000);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
clearInterval(sampler);
const singlePeak = peakRss;
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;
const tfjsStep = median(times);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-dpo-'));
const file = path.join(dir, 'batch.json');
const mask = batch.mask.arraySync();
fs.writeFileSync(file, JSON.stringify({ ids: seqs.map((s) => s.ids), mask }));
type TorchRun = { version: string; blas: PeerBlas; step: number; peakRssMiB: number; params: number; firstLoss: number };
const runTorch = (threads: number): TorchRun | null => {
  try {
    const out = execFileSync('/usr/bin/python3', ['bench/peers/dpo_step.py', file, String(config.vocabSize), String(config.nEmbd), String(config.nLayer), String(config.nHead), String(config.nPositions), String(WARMUP + STEPS), String(threads)], { encoding: 'utf8', env: peerEnv() });
    const peer = JSON.parse(out) as { torch: string; blas: PeerBlas; params: number; stepSeconds: number[]; losses: number[]; peakRssMiB: number };
    return { version: peer.torch, blas: peer.blas, step: median(peer.stepSeconds.slice(WARMUP)), peakRssMiB: Math.round(peer.peakRssMiB), params: peer.params, firstLoss: peer.losses[0]! };
  } catch (error) {
    console.error(`PyTorch peer not run: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    return null;
  }
};
const torch = runTorch(1);
const torch2 = runTorch(2);
fs.rmSync(dir, { recursive: true, force: true });

// Two threads: the same step, data-parallel over two replicas (each runs the reference forward and the
// policy forward/backward of two of the four pairs; gradients averaged, Adam applied here, weights published).
const dpPolicy = new Gpt(config, 0);
const dpReference = dpPolicy.frozenCopy();
const examples: PreferenceExample[] = Array.from({ length: PAIRS }, (_, k) => ({ chosen: seqs[k]!, rejected: seqs[PAIRS + k]! }));
const dpConfig = { lossTypes: ['sigmoid' as const], lossWeights: null, params: DEFAULT_LOSS_PARAMS };
const peer = await openGradientPeer(dpPolicy, examples, 0, dpConfig, dpReference);
let dp: { medianStepSeconds: number; tokensPerSecond: number; peakRssMiB: number; firstLoss: number } | null = null;
if (peer) {
  const dpOptimizer = tf.train.adam(1e-4);
  const dpTimes: number[] = [];
  let firstLoss = 0;
  peakRss = process.memoryUsage().rss;
  const half = PAIRS / 2;
  for (let s = 0; s < WARMUP + STEPS; s++) {
    const t0 = performance.now();
    const pending = peer.grads([half, half + 1].slice(0, PAIRS - half), [], []);
    const mine = examples.slice(0, half);
    const ref = scoreSequences(dpReference, [...mine.map((e) => (e as { chosen: Sequence }).chosen), ...mine.map((e) => (e as { rejected: Sequence }).rejected)], 0, 64);
    const own = preferenceGrads(dpPolicy, mine, Array.from(ref.subarray(0, half)), Array.from(ref.subarray(half)), 0, dpConfig, 0);
    const other = await pending;
    const vars = dpPolicy.variables();
    const named = vars.map((v, i) => ({ name: v.name, tensor: tf.tidy(() => tf.mul(tf.add(own.grads[v.name]!, tf.tensor(other.grads[i]!, v.shape)), 0.5)) }));
    dpOptimizer.applyGradients(named);
    named.forEach((g) => g.tensor.dispose());
    Object.values(own.grads).forEach((t) => t.dispose());
    peer.publish(vars);
    if (s === 0) firstLoss = (own.loss + other.loss) / 2;
    if (s >= WARMUP) dpTimes.push((performance.now() - t0) / 1000);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  await peer.close();
  const step = median(dpTimes);
  dp = { medianStepSeconds: +step.toFixed(3), tokensPerSecond: Math.round(tokensPerStep / step), peakRssMiB: Math.round(peakRss / 2 ** 20), firstLoss: +firstLoss.toFixed(5) };
}
const result = {
  date: new Date().toISOString(),
  backend: info.backend,
  threads: 1,
  model: { ...config, parameters: policy.parameterCount },
  batch: { pairs: PAIRS, sequences: batch.B, tokens: tokensPerStep, completionTokensPerSequence: 128 - PROMPT },
  steps: STEPS,
  tfjs: { medianStepSeconds: +tfjsStep.toFixed(3), tokensPerSecond: Math.round(tokensPerStep / tfjsStep), peakRssMiB: Math.round(singlePeak / 2 ** 20), firstLoss: +losses[0]!.toFixed(5), lastLoss: +losses.at(-1)!.toFixed(5) },
  torch: torch && { version: torch.version, blas: torch.blas, parameters: torch.params, medianStepSeconds: +torch.step.toFixed(3), tokensPerSecond: Math.round(tokensPerStep / torch.step), peakRssMiB: torch.peakRssMiB, firstLoss: +torch.firstLoss.toFixed(5) },
  // Step times: the ratio is the peer's time over ours (above 1: we are faster).
  ...ratioFields(peerRatio(tfjsStep, torch?.step ?? null, torch?.blas ?? null, { higherIsBetter: false })),
  twoThreads: {
    tfjsDataParallel: dp,
    torch: torch2 && { blas: torch2.blas, medianStepSeconds: +torch2.step.toFixed(3), tokensPerSecond: Math.round(tokensPerStep / torch2.step), peakRssMiB: torch2.peakRssMiB },
    ...ratioFields(dp ? peerRatio(dp.medianStepSeconds, torch2?.step ?? null, torch2?.blas ?? null, { higherIsBetter: false }) : { ratio: null, refused: 'the data-parallel thread did not start' }),
  },
  note: `medians after ${WARMUP} warm-up steps; two threads: tfjs peak RSS is the main thread's process (both replicas live in it); tokens/s counts the policy's ${tokensPerStep} tokens per step (the reference forward runs on the same tokens); peak memory is the process's resident set`,
};
console.log(result);
fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync('bench/results/dpo.json', `${JSON.stringify(result, null, 2)}\n`);
