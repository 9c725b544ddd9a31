/** Worker-thread side of parallel ensemble members: its own TensorFlow.js instance trains the members it is given. */
import { parentPort } from 'node:worker_threads';
import { initBackend } from '@/lib/ml/backend';
import { trainMemberWeights } from '@/lib/ml/fit';
import type { PreferenceData, RewardModelConfig } from '@/lib/ml/reward-model';
import { mlBackendOptions } from '@/lib/env';

export type PackedData = Omit<PreferenceData, 'features'> & { index: Int32Array; value: Float32Array; offsets: Int32Array };
export type MlRequest = { data: PackedData; config: RewardModelConfig; members: number[] };

export function unpack(d: PackedData): PreferenceData {
  const features = Array.from({ length: d.offsets.length - 1 }, (_, i) => ({ index: d.index.subarray(d.offsets[i]!, d.offsets[i + 1]!), value: d.value.subarray(d.offsets[i]!, d.offsets[i + 1]!) }));
  return { features, dims: d.dims, promptBlock: d.promptBlock, pairs: d.pairs, rankings: d.rankings, ratings: d.ratings };
}

// The handler catches every error and posts it back, so its promise never rejects.
parentPort?.on('message', (message: MlRequest) => void handleMessage(message));

async function handleMessage(request: MlRequest): Promise<void> {
  try {
    await initBackend(mlBackendOptions());
    const data = unpack(request.data);
    for (const m of request.members) {
      const result = await trainMemberWeights(data, request.config, m, (r) => parentPort!.postMessage({ type: 'epoch', member: m, ...r }));
      parentPort!.postMessage({ type: 'result', result });
    }
    parentPort!.postMessage({ type: 'done' });
  } catch (error) {
    parentPort!.postMessage({ type: 'error', error: error instanceof Error ? error.message : String(error) });
  }
}
