/**
 * Tokens per second of one DPO step on a GPT policy — a frozen-reference forward, the policy's forward and
 * backward over both sides, log-probs summed over completion tokens (96 of 128; the prompt is masked),
 * the DPO loss (β 0.1) and an Adam step (lr 1e-4) — for a 4-layer, 256-wide, 128-token model (vocab 8192,
 * batch 4 pairs = 1,024 policy tokens per step), tfjs on the wasm backend (one thread) side by side with
 * the same model and step in PyTorch on CPU with one thread, on the same token ids. Reports peak memory.
 * Needs `apt-get install -y python3-torch` for the peer. Writes bench/results/dpo.json.
 *   node --import tsx bench/dpo.ts [--steps 8]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alignmentLoss, DEFAULT_LOSS_PARAMS } from '@/lib/ml/align/losses';
import { batchSequences, sequenceLogProbs, type Sequence } from '@/lib/ml/align/sequences';
import { initBackend, tf } from '@/lib/ml/backend';
import { Gpt } from '@/lib/ml/gpt/model';
import { createRng } from '@/lib/random';

const i = process.argv.indexOf('--steps');
const STEPS = i >= 0 ? Number(process.argv[i + 1]) : 8;
const WARMUP = 2;
const config = { vocabSize: 8192, nPositions: 128, nEmbd: 256, nLayer: 4, nHead: 4, layerNormEpsilon: 1e-5 };
const PAIRS = 4;
const PROMPT = 32;
const info = await initBackend();
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
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;
const tfjsStep = median(times);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-dpo-'));
const file = path.join(dir, 'batch.json');
const mask = batch.mask.arraySync();
fs.writeFileSync(file, JSON.stringify({ ids: seqs.map((s) => s.ids), mask }));
let torch: { version: string; step: number; peakRssMiB: number; params: number; firstLoss: number } | null = null;
try {
  const out = execFileSync('/usr/bin/python3', ['bench/peers/dpo_step.py', file, String(config.vocabSize), String(config.nEmbd), String(config.nLayer), String(config.nHead), String(config.nPositions), String(WARMUP + STEPS), '1'], { encoding: 'utf8' });
  const peer = JSON.parse(out) as { torch: string; params: number; stepSeconds: number[]; losses: number[]; peakRssMiB: number };
  torch = { version: peer.torch, step: median(peer.stepSeconds.slice(WARMUP)), peakRssMiB: Math.round(peer.peakRssMiB), params: peer.params, firstLoss: peer.losses[0]! };
} catch (error) {
  console.error(`PyTorch peer not run: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
}
fs.rmSync(dir, { recursive: true, force: true });
const result = {
  date: new Date().toISOString(),
  backend: info.backend,
  threads: 1,
  model: { ...config, parameters: policy.parameterCount },
  batch: { pairs: PAIRS, sequences: batch.B, tokens: tokensPerStep, completionTokensPerSequence: 128 - PROMPT },
  steps: STEPS,
  tfjs: { medianStepSeconds: +tfjsStep.toFixed(3), tokensPerSecond: Math.round(tokensPerStep / tfjsStep), peakRssMiB: Math.round(peakRss / 2 ** 20), firstLoss: +losses[0]!.toFixed(5), lastLoss: +losses.at(-1)!.toFixed(5) },
  torch: torch && { version: torch.version, parameters: torch.params, medianStepSeconds: +torch.step.toFixed(3), tokensPerSecond: Math.round(tokensPerStep / torch.step), peakRssMiB: torch.peakRssMiB, firstLoss: +torch.firstLoss.toFixed(5) },
  ratio: torch ? +(torch.step / tfjsStep).toFixed(2) : null,
  note: `medians after ${WARMUP} warm-up steps; tokens/s counts the policy's ${tokensPerStep} tokens per step (the reference forward runs on the same tokens); peak memory is the process's resident set`,
};
console.log(result);
fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync('bench/results/dpo.json', `${JSON.stringify(result, null, 2)}\n`);
