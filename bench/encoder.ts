/**
 * Training throughput of the transformer-encoder reward model (featurizer (b): byte-level BPE tokens →
 * 2 pre-LN blocks, d = 128, 4 heads, mean pooling → BT head), pairs and tokens per second, tfjs on the
 * wasm backend (one thread) side by side with the same model in PyTorch on CPU with one thread, on the
 * same token sequences and batch. Needs `apt-get install -y python3-torch` for the peer.
 * Writes bench/results/encoder.json.   node --import tsx bench/encoder.ts [--pairs 800]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '@/lib/ml/backend';
import { DEFAULT_ENCODER, EncoderRewardModel, fitEncoderRewardModel } from '@/lib/ml/encoder';
import { linearPreferences } from '@/lib/ml/synthetic';
import { trainBpe } from '@/lib/ml/tokenizer/bpe';
import { mlBackendOptions } from '@/lib/env';
import { peerEnv, peerRatio, ratioFields, type PeerBlas } from './lib/peer-blas';

const i = process.argv.indexOf('--pairs');
const PAIRS = i >= 0 ? Number(process.argv[i + 1]) : 800;
const EPOCHS = 4;
const info = await initBackend(mlBackendOptions());
const { pairs } = linearPreferences(PAIRS, 3, { wordsPerResponse: 24 });
const tok = trainBpe(pairs.flatMap((p) => [p.chosen, p.rejected]), 500);
const a = pairs.map((p) => tok.encode(p.chosen));
const b = pairs.map((p) => tok.encode(p.rejected));
const tokensPerPair = (a.reduce((s, x) => s + x.length, 0) + b.reduce((s, x) => s + x.length, 0)) / PAIRS;
const config = { ...DEFAULT_ENCODER, vocab: tok.vocabSize, epochs: EPOCHS };
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;

const probe = new EncoderRewardModel(config);
const parameters = probe.variables().reduce((n, v) => n + v.size, 0);
probe.dispose();
const epochs: number[] = [];
await fitEncoderRewardModel({ a, b }, config, { onEpoch: (r) => void epochs.push(r.pairsPerSecond) });
const tfjs = median(epochs.slice(1));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-encoder-'));
const file = path.join(dir, 'tokens.json');
fs.writeFileSync(file, JSON.stringify({ a, b }));
let torch: number | null = null;
let torchVersion: string | null = null;
let peerBlas: PeerBlas | null = null;
try {
  const out = execFileSync('/usr/bin/python3', ['bench/peers/encoder.py', file, String(tok.vocabSize), String(config.dModel), String(config.layers), String(config.heads), String(config.maxLen), String(config.batchSize), String(EPOCHS), String(config.learningRate), '1'], { encoding: 'utf8', env: peerEnv() });
  const peer = JSON.parse(out) as { torch: string; blas: PeerBlas; epochs: { pairsPerSecond: number }[] };
  torch = median(peer.epochs.slice(1).map((e) => e.pairsPerSecond));
  torchVersion = peer.torch;
  peerBlas = peer.blas;
} catch (error) {
  console.error(`PyTorch peer not run: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
}
fs.rmSync(dir, { recursive: true, force: true });
const result = {
  date: new Date().toISOString(),
  backend: info.backend,
  threads: 1,
  model: { ...config, parameters },
  pairs: PAIRS,
  tokensPerPair: +tokensPerPair.toFixed(1),
  tfjsPairsPerSecond: +tfjs.toFixed(1),
  tfjsTokensPerSecond: Math.round(tfjs * tokensPerPair),
  torchPairsPerSecond: torch === null ? null : +torch.toFixed(1),
  torchTokensPerSecond: torch === null ? null : Math.round(torch * tokensPerPair),
  ...ratioFields(peerRatio(tfjs, torch, peerBlas)),
  torchVersion,
  peerBlas,
  note: 'medians of epochs 2–4 (epoch 1 includes the wasm warm-up); forward and backward of both sides of every pair; one thread each; the peer runs with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (its best kernel)',
};
console.log(result);
fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync('bench/results/encoder.json', `${JSON.stringify(result, null, 2)}\n`);
