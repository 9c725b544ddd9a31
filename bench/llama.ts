/**
 * A 125M-parameter Llama (12 layers, d 768, 12 heads on 4 key/value heads, MLP 2048, vocabulary 32,000,
 * untied; `--model smollm2` for SmolLM2-135M's own shapes), random weights: tokens/s of featurizing, of a reward-model step and
 * of a DPO step (bench/lib/llama-steps.ts), the steps training LoRA adapters (r 16, alpha 32, every
 * projection; full fine-tuning of 135M parameters needs more memory than the wasm backend addresses), tfjs on this process's backend (wasm, one thread) side by side
 * with the same model and steps in PyTorch on CPU (bench/peers/llama_steps.py) at one and two threads, on the
 * same token ids, and two tfjs processes at once (one wasm thread per core); peak memory of each. Needs `apt-get install -y python3-torch libopenblas0-pthread` for the
 * peer (no ratio is printed against the reference BLAS). Writes bench/results/llama.json.
 *   node --import tsx bench/llama.ts [--steps 2]
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '@/lib/ml/backend';
import { batchSequences } from '@/lib/ml/align/sequences';
import { mlBackendOptions } from '@/lib/env';
import { llamaShape, stepData, timeSteps, WORKLOADS, type StepTimes, type Workload } from './lib/llama-steps';
import { peerEnv, peerRatio, ratioFields, type PeerBlas } from './lib/peer-blas';

const arg = (name: string) => {
  const k = process.argv.indexOf(name);
  return k >= 0 ? process.argv[k + 1] : undefined;
};
const STEPS = Number(arg('--steps') ?? 2);
const MODEL = arg('--model') ?? '125m';
if (MODEL !== '125m' && MODEL !== 'smollm2') throw new Error('--model is 125m or smollm2');
const WARMUP = 1;
// `--model 125m` (the default) is the size bench/gpu.ts uses; `--model smollm2` is SmolLM2-135M's own shapes
// (bench/results/llama-smollm2.json).
const SHAPES = {
  '125m': { vocab: 32000, d: 768, layers: 12, heads: 12, kvHeads: 4, intermediate: 2048, context: 64, tied: false },
  // HuggingFaceTB/SmolLM2-135M's config.json: 30 layers, d 576, 9 heads on 3 key/value heads, MLP 1536, vocabulary 49,152, tied.
  smollm2: { vocab: 49152, d: 576, layers: 30, heads: 9, kvHeads: 3, intermediate: 1536, context: 64, tied: true },
};
const SHAPE = SHAPES[MODEL];
const RESULTS = MODEL === '125m' ? 'bench/results/llama.json' : 'bench/results/llama-smollm2.json';
const config = llamaShape(SHAPE);
const shape = { pairs: 2, tokens: 64, prompt: 16, featurizeRows: 4 };
const LORA = { rank: 16, alpha: 32, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const, seed: 0 };

const info = await initBackend(mlBackendOptions());
const ours = timeSteps(config, shape, { warmup: WARMUP, steps: STEPS, lora: { ...LORA, targets: [...LORA.targets] }, only: WORKLOADS });
console.log('tfjs', ours);

// Two wasm instances at once (two processes, one per core), each on its own copy: what two worker threads
// of data parallelism could reach at most on this machine (the gradient exchange not counted).
const runChild = (workload: Workload) =>
  new Promise<StepTimes>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/llama-steps-child.ts', JSON.stringify({ shape: SHAPE, batch: shape, warmup: WARMUP, steps: STEPS, lora: { ...LORA, targets: [...LORA.targets] }, only: [workload] })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as StepTimes) : reject(new Error(`tfjs child exited with ${code}`))));
  });
// One workload at a time in both processes, so the two time the same work side by side.
const pairs: Record<Workload, StepTimes[]> = { featurize: [], reward: [], dpo: [] };
for (const workload of WORKLOADS) pairs[workload] = await Promise.all([runChild(workload), runChild(workload)]);
const sum = (w: Workload, pick: (t: StepTimes) => number) => (pairs[w].length ? pick(pairs[w][0]!) + pick(pairs[w][1]!) : NaN);
const together = {
  threads: 2,
  how: 'two processes at once, one wasm thread each, each timing its own copy, one workload at a time; throughputs summed',
  featurizeTokensPerSecond: sum('featurize', (t) => t.featurizeTokensPerSecond),
  rewardPairsPerSecond: +sum('reward', (t) => t.rewardPairsPerSecond).toFixed(3),
  dpoTokensPerSecond: sum('dpo', (t) => t.dpoTokensPerSecond),
  peakRssMiB: Math.max(...WORKLOADS.map((w) => sum(w, (t) => t.peakRssMiB))),
  perProcess: WORKLOADS.map((w) => ({ workload: w, seconds: pairs[w].map((p) => p.seconds[w]) })),
};
console.log('tfjs, two at once', together);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-llama-bench-'));
const file = path.join(dir, 'data.json');
const { seqs } = stepData(config, shape);
const batch = batchSequences(seqs, 0);
fs.writeFileSync(file, JSON.stringify({ config: SHAPE, ids: seqs.map((s) => s.ids), mask: batch.mask.arraySync(), featurizeRows: shape.featurizeRows, lora: { rank: LORA.rank, alpha: LORA.alpha, targets: LORA.targets } }));
batch.mask.dispose();
type Peer = { torch: string; blas: PeerBlas; params: number; trainable: number; seconds: { featurize: number; reward: number; dpo: number }; firstDpoLoss: number; peakRssMiB: number };
const runTorch = (threads: number): Peer | null => {
  try {
    return JSON.parse(execFileSync('/usr/bin/python3', ['bench/peers/llama_steps.py', file, String(WARMUP), String(STEPS), String(threads)], { encoding: 'utf8', env: peerEnv(), maxBuffer: 1 << 20 })) as Peer;
  } catch (error) {
    console.error(`PyTorch peer not run: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    return null;
  }
};
const torch1 = runTorch(1);
const torch2 = runTorch(2);
fs.rmSync(dir, { recursive: true, force: true });

const sideTokens = 2 * shape.pairs * shape.tokens;
const peerFigures = (p: Peer | null) =>
  p && {
    threads: p.blas.threads,
    blas: p.blas,
    parameters: p.params,
    trainableParameters: p.trainable,
    featurizeTokensPerSecond: Math.round((shape.featurizeRows * shape.tokens) / p.seconds.featurize),
    rewardPairsPerSecond: +(shape.pairs / p.seconds.reward).toFixed(3),
    rewardTokensPerSecond: Math.round(sideTokens / p.seconds.reward),
    dpoTokensPerSecond: Math.round(sideTokens / p.seconds.dpo),
    peakRssMiB: Math.round(p.peakRssMiB),
    firstDpoLoss: +p.firstDpoLoss.toFixed(5),
    seconds: p.seconds,
  };
/** ours / peer per workload at the peer's thread count (above 1: we are faster). */
const ratios = (p: Peer | null) => ({
  featurize: ratioFields(peerRatio(ours.seconds.featurize, p?.seconds.featurize ?? null, p?.blas ?? null, { higherIsBetter: false })),
  reward: ratioFields(peerRatio(ours.seconds.reward, p?.seconds.reward ?? null, p?.blas ?? null, { higherIsBetter: false })),
  dpo: ratioFields(peerRatio(ours.seconds.dpo, p?.seconds.dpo ?? null, p?.blas ?? null, { higherIsBetter: false })),
});
const result = {
  date: new Date().toISOString(),
  host: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? null },
  backend: info.backend,
  model: { family: 'llama', ...SHAPE, parameters: ours.parameters },
  batch: shape,
  training: { lora: LORA, why: 'full fine-tuning of 135M parameters (weights, gradients, two Adam moments, a reference: about 5× 513 MiB) does not fit the memory the wasm backend addresses; on wasm it aborts with "memory access out of bounds"' },
  steps: STEPS,
  tfjs: { threads: 1, ...ours },
  tfjsTwoAtOnce: together,
  ratioTwoAtOnceToTorchTwoThreads: torch2 && {
    featurize: +(together.featurizeTokensPerSecond / peerFigures(torch2)!.featurizeTokensPerSecond).toFixed(2),
    reward: +(together.rewardPairsPerSecond / peerFigures(torch2)!.rewardPairsPerSecond).toFixed(2),
    dpo: +(together.dpoTokensPerSecond / peerFigures(torch2)!.dpoTokensPerSecond).toFixed(2),
  },
  torch: { version: torch1?.torch ?? torch2?.torch ?? null, oneThread: peerFigures(torch1), twoThreads: peerFigures(torch2) },
  ratioToTorchOneThread: ratios(torch1),
  ratioToTorchTwoThreads: ratios(torch2),
  note: `medians of ${STEPS} after ${WARMUP} warm-up; tokens/s counts the policy's tokens of both sides (${sideTokens} a step; the DPO reference forward runs on the same tokens); tfjs runs one thread; tfjsTwoAtOnce is two tfjs processes at once (the ceiling of two-thread data parallelism; the jobs' LoRA steps train on one thread); ratios are the peer's time over ours`,
};
console.log(JSON.stringify(result, null, 2));
fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
