/**
 * Parallel ensemble members: a worker thread with its own TensorFlow.js (wasm runs one thread per
 * instance in Node) trains some members while the calling thread trains the others — 1.32–1.46× for a
 * 4-member ensemble on 2 cores (bench/reward-head.ts; docs/performance.md#threads). The thread's code is
 * `ml-thread.ts` bundled by esbuild into node_modules/.cache/arbiter (tfjs stays external, loaded from
 * node_modules). With one core, ARBITER_ML_THREADS=0, or a failed bundle, the members train here
 * instead: same results, since every member has its own seed.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { trainMemberWeights, type MemberRunner, type MemberWeights } from '@/lib/ml/fit';
import type { PreferenceData } from '@/lib/ml/reward-model';
import { bundleThread } from './bundle';
import type { MlRequest, PackedData } from './ml-thread';
import { getEnv } from '@/lib/env';

export function pack(data: PreferenceData): PackedData {
  const offsets = new Int32Array(data.features.length + 1);
  data.features.forEach((f, i) => (offsets[i + 1] = offsets[i]! + f.index.length));
  const index = new Int32Array(offsets[data.features.length]!);
  const value = new Float32Array(index.length);
  data.features.forEach((f, i) => {
    index.set(f.index, offsets[i]!);
    value.set(f.value, offsets[i]!);
  });
  return { index, value, offsets, dims: data.dims, promptBlock: data.promptBlock, pairs: data.pairs, rankings: data.rankings, ratings: data.ratings };
}

/** Trains `members` on a worker thread (or here, when no thread can run). */
export const trainMembersInThreads: MemberRunner = async (data, config, members, onEpoch) => {
  if (members.length === 0) return [];
  let file: string | null = null;
  if (os.availableParallelism() >= 2 && getEnv().ARBITER_ML_THREADS) {
    try {
      file = await bundleThread('ml-thread.ts');
    } catch (error) {
      console.warn(`[ml] no worker thread (${error instanceof Error ? error.message : String(error)}); ensemble members train on one thread`);
    }
  }
  if (!file) {
    const out: MemberWeights[] = [];
    for (const m of members) out.push(await trainMemberWeights(data, config, m, (r) => onEpoch({ member: m, ...r })));
    return out;
  }
  const worker = new Worker(file, { env: process.env });
  try {
    return await new Promise<MemberWeights[]>((resolve, reject) => {
      const results: MemberWeights[] = [];
      worker.on('message', (msg: { type: 'epoch'; member: number; epoch: number; loss: number; seconds: number; examples: number } | { type: 'result'; result: MemberWeights } | { type: 'done' } | { type: 'error'; error: string }) => {
        if (msg.type === 'epoch') onEpoch({ member: msg.member, epoch: msg.epoch, loss: msg.loss, seconds: msg.seconds, examples: msg.examples });
        else if (msg.type === 'result') results.push(msg.result);
        else if (msg.type === 'done') resolve(results);
        else reject(new Error(`ensemble member thread: ${msg.error}`));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => code !== 0 && reject(new Error(`ensemble member thread exited with ${code}`)));
      worker.postMessage({ data: pack(data), config, members } satisfies MlRequest);
    });
  } finally {
    await worker.terminate();
  }
};
