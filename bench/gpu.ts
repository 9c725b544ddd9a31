/**
 * The GPU check for worker hosts: which TensorFlow.js backend the worker gets (the chain tries
 * tfjs-node-gpu first: lib/ml/backend.ts), the GPU's name, and DPO tokens/s and reward-model pairs/s on a
 * random Llama-family model of a fixed size — 12 layers, d 768, 12 heads on 4 key/value heads, MLP 2048,
 * vocabulary 32,000 (110M parameters), 64-token sequences, 2 pairs a step (bench/lib/llama-steps.ts).
 * Self-contained: run it on a CUDA host with `node --import tsx bench/gpu.ts` and keep the JSON it writes.
 * On a CPU it finishes in under two minutes and records the CPU figure. Writes bench/results/gpu.json.
 * docs/gpu.md says how to set up such a host.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { initBackend } from '@/lib/ml/backend';
import { mlBackendOptions } from '@/lib/env';
import { llamaShape, timeSteps } from './lib/llama-steps';

function gpuName(): string | null {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader'], { encoding: 'utf8', timeout: 10_000 }).trim() || null;
  } catch {
    return null;
  }
}

const started = Date.now();
const info = await initBackend(mlBackendOptions());
const config = llamaShape({ vocab: 32000, d: 768, layers: 12, heads: 12, kvHeads: 4, intermediate: 2048, context: 64, tied: false });
const shape = { pairs: 2, tokens: 64, prompt: 16, featurizeRows: 4 };
// Native backends fine-tune every weight; wasm cannot address the memory that takes at this size, so there the steps train LoRA adapters.
const native = info.backend === 'tensorflow-gpu' || info.backend === 'tensorflow';
const lora = native ? undefined : { rank: 16, alpha: 32, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as ('q_proj' | 'k_proj' | 'v_proj' | 'o_proj' | 'gate_proj' | 'up_proj' | 'down_proj')[], seed: 0 };
const times = timeSteps(config, shape, { warmup: 1, steps: 2, lora });
const result = {
  date: new Date().toISOString(),
  host: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? null, memoryGiB: Math.round(os.totalmem() / 2 ** 30), gpu: gpuName() },
  backend: info.backend,
  tfBackend: info.tfBackend,
  backendsTried: info.tried,
  model: { family: 'llama', layers: 12, d: 768, heads: 12, kvHeads: 4, intermediate: 2048, vocab: 32000, parameters: times.parameters },
  batch: shape,
  training: lora ? { lora } : 'every weight',
  ...times,
  wallSeconds: Math.round((Date.now() - started) / 1000),
  note: 'medians of 2 steps after 1 warm-up; DPO tokens/s counts the policy tokens of both sides (the reference forward runs on the same tokens); reward-model pairs/s: both sides forward and backward through every weight and a scalar head',
};
console.log(result);
fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync('bench/results/gpu.json', `${JSON.stringify(result, null, 2)}\n`);
