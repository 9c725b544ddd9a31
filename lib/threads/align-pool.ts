/**
 * Data-parallel preference optimisation on two cores: a worker thread holds a replica of the policy and
 * computes the gradients of half of every batch while the calling thread computes the other half
 * (align-thread.ts). Wasm runs one thread per TensorFlow.js instance, so this is how a second core
 * helps: about 1.7× for the benchmarked 5.3M-parameter GPT (bench/dpo.ts; docs/performance.md#threads).
 * Gradients come back through a SharedArrayBuffer; the caller averages them, applies Adam, and
 * publishes the new weights through a second one. Null where only one core is available,
 * ARBITER_ML_THREADS=0, or the thread cannot start: training then runs on one thread.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { GradientPeer, PreferenceConfig, PreferenceExample } from '@/lib/ml/align/train';
import type { CausalLm } from '@/lib/ml/lm/causal-lm';
import type { AlignThreadInit, AlignThreadStep } from './align-thread';
import { bundleThread } from './bundle';
import { getEnv } from '@/lib/env';

export type OpenPeer = GradientPeer & { close(): Promise<void> };

export async function openGradientPeer(
  policy: CausalLm,
  examples: readonly PreferenceExample[],
  pad: number,
  config: Pick<PreferenceConfig, 'lossTypes' | 'lossWeights' | 'params'>,
  reference: CausalLm | null = null,
): Promise<OpenPeer | null> {
  if (os.availableParallelism() < 2 || !getEnv().ARBITER_ML_THREADS) return null;
  // The replica is rebuilt from the spec and every weight; a LoRA policy (adapters apart from the base) runs on one thread.
  if (policy.lora) return null;
  let file: string;
  try {
    file = await bundleThread('align-thread.ts');
  } catch (error) {
    console.warn(`[ml] no worker thread (${error instanceof Error ? error.message : String(error)}); alignment runs on one thread`);
    return null;
  }
  const vars = policy.variables();
  const size = vars.reduce((n, v) => n + v.size, 0);
  const gradBuffer = new SharedArrayBuffer(size * 4);
  const weightBuffer = new SharedArrayBuffer(size * 4);
  const worker = new Worker(file, { env: process.env });
  let waiting: { resolve: (v: { type: string; [k: string]: unknown }) => void; reject: (e: Error) => void } | null = null;
  worker.on('message', (msg: { type: string; error?: string }) => {
    const w = waiting;
    waiting = null;
    if (!w) return;
    if (msg.type === 'error') w.reject(new Error(`alignment thread: ${msg.error}`));
    else w.resolve(msg);
  });
  worker.on('error', (e) => waiting?.reject(e));
  worker.on('exit', (code) => code !== 0 && waiting?.reject(new Error(`alignment thread exited with ${code}`)));
  const send = (msg: AlignThreadInit | AlignThreadStep) =>
    new Promise<{ type: string; [k: string]: unknown }>((resolve, reject) => {
      waiting = { resolve, reject };
      worker.postMessage(msg);
    });
  await send({ type: 'init', spec: policy.spec, weights: vars.map((v) => (v.dataSync() as Float32Array).slice()), reference: reference ? reference.variables().map((v) => (v.dataSync() as Float32Array).slice()) : null, examples: examples as PreferenceExample[], pad, config, gradBuffer, weightBuffer });
  let version = 0;
  const offsets: number[] = [];
  vars.reduce((at, v) => (offsets.push(at), at + v.size), 0);
  return {
    async grads(idx, refW, refL) {
      const msg = (await send({ type: 'step', idx, refW: reference ? null : refW, refL: reference ? null : refL, weightsVersion: version })) as unknown as { loss: number; logps: Float32Array; tokens: number };
      const grads = vars.map((v, i) => new Float32Array(gradBuffer, offsets[i]! * 4, v.size));
      return { loss: msg.loss, logps: msg.logps, tokens: msg.tokens, grads };
    },
    publish(current) {
      current.forEach((v, i) => new Float32Array(weightBuffer, offsets[i]! * 4, v.size).set(v.dataSync() as Float32Array));
      version++;
    },
    async close() {
      await worker.terminate();
    },
  };
}
