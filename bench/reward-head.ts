/**
 * Training throughput of the Bradley–Terry reward head (pairs per second), tfjs (the product's
 * fitRewardModel on the wasm backend, one thread: wasm has no threads in Node) against the same head in
 * PyTorch on CPU with one thread, side by side in one run, on the same hashed n-gram features.
 * Linear head and one hidden layer of 64. The peer needs Debian's torch:
 *   apt-get install -y python3-torch      (then /usr/bin/python3; see bench/peers/bt_head.py)
 * Writes bench/results/reward-head.json.   node --import tsx bench/reward-head.ts [--pairs 6000]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '@/lib/ml/backend';
import { densify } from '@/lib/ml/features/hashed-ngrams';
import { fitRewardModel } from '@/lib/ml/fit';
import { DEFAULT_CONFIG } from '@/lib/ml/reward-model';
import { linearPreferences, syntheticData } from '@/lib/ml/synthetic';
import { mlBackendOptions } from '@/lib/env';
import { peerEnv, peerRatio, ratioFields, type PeerBlas } from './lib/peer-blas';

const i = process.argv.indexOf('--pairs');
const PAIRS = i >= 0 ? Number(process.argv[i + 1]) : 6000;
const EPOCHS = 6;
const BATCH = 128;
const info = await initBackend(mlBackendOptions());
const data = syntheticData(linearPreferences(PAIRS, 3).pairs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// The peer reads the same features, densified once.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-head-'));
const file = path.join(dir, 'features.f32');
fs.writeFileSync(file, densify(data.features, data.dims));

const results = [];
for (const [hidden, lr] of [
  [0, 1e-2],
  [64, 3e-3],
] as const) {
  const epochs: number[] = [];
  await fitRewardModel(data, { ...DEFAULT_CONFIG, kind: 'bt', hidden, learningRate: lr, epochs: EPOCHS, batchSize: BATCH, ties: 'drop' }, { onEpoch: (r) => void epochs.push(r.examples / r.seconds) });
  // Epoch 1 includes the warm-up (heap growth, XNNPACK operator creation): medians over epochs 2…N.
  const tfjs = median(epochs.slice(1));
  let torch: number | null = null;
  let torchVersion: string | null = null;
  let peerBlas: PeerBlas | null = null;
  try {
    const out = execFileSync('/usr/bin/python3', ['bench/peers/bt_head.py', file, String(2 * PAIRS), String(data.dims), String(PAIRS), String(hidden), String(lr), String(BATCH), String(EPOCHS), '1'], { encoding: 'utf8', env: peerEnv() });
    const peer = JSON.parse(out) as { torch: string; blas: PeerBlas; epochs: { pairsPerSecond: number }[] };
    torch = median(peer.epochs.slice(1).map((e) => e.pairsPerSecond));
    torchVersion = peer.torch;
    peerBlas = peer.blas;
  } catch (error) {
    console.error(`PyTorch peer not run: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  const row = { head: hidden ? `MLP ${data.dims}→${hidden}→1` : `linear ${data.dims}→1`, batchPairs: BATCH, tfjsPairsPerSecond: Math.round(tfjs), torchPairsPerSecond: torch === null ? null : Math.round(torch), ...ratioFields(peerRatio(tfjs, torch, peerBlas)), torchVersion, peerBlas };
  console.log(row);
  results.push(row);
}
fs.rmSync(dir, { recursive: true, force: true });

// Ensemble members: one after another vs split with a worker thread (wall time of the whole fit).
const { trainMembersInThreads } = await import('@/lib/threads/ml-pool');
const ensemble = { ...DEFAULT_CONFIG, kind: 'ensemble' as const, members: 4, epochs: 10, batchSize: BATCH };
await fitRewardModel(data, ensemble, { parallel: trainMembersInThreads }); // warm the bundle and the thread's first fit
let t = performance.now();
await fitRewardModel(data, ensemble);
const sequentialSeconds = (performance.now() - t) / 1000;
t = performance.now();
await fitRewardModel(data, ensemble, { parallel: trainMembersInThreads });
const parallelSeconds = (performance.now() - t) / 1000;
const members = { members: 4, epochs: 10, sequentialSeconds: +sequentialSeconds.toFixed(2), parallelSeconds: +parallelSeconds.toFixed(2), speedup: +(sequentialSeconds / parallelSeconds).toFixed(2), cores: (await import('node:os')).availableParallelism() };
console.log(members);

const result = { date: new Date().toISOString(), backend: info.backend, threads: 1, pairs: PAIRS, epochs: EPOCHS, note: 'medians of epochs 2–6; tfjs runs the product path (sparse batches from the feature cache: gather + segment sum for the linear head, a dense copy for the MLP), torch indexes a dense matrix built once; OPENBLAS_* as the environment sets them. ensembleMembers: wall time of a 4-member fit, one after another vs split with a worker thread', results, ensembleMembers: members };
fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync('bench/results/reward-head.json', `${JSON.stringify(result, null, 2)}\n`);
