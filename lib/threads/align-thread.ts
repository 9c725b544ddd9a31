/**
 * Worker-thread side of data-parallel preference optimisation: a replica of the policy (its own
 * TensorFlow.js instance) computes the gradients of the examples it is sent and writes them into a
 * shared buffer; before each step it loads the weights the main thread published after the last update.
 * With `reference` weights it also runs the reference forward for its examples (the benchmark's step).
 */
import { parentPort } from 'node:worker_threads';
import { scoreSequences } from '@/lib/ml/align/sequences';
import { preferenceGrads, type PreferenceConfig, type PreferenceExample } from '@/lib/ml/align/train';
import { initBackend, tf } from '@/lib/ml/backend';
import type { CausalLm, LmSpec } from '@/lib/ml/lm/causal-lm';
import { createLm } from '@/lib/ml/lm/checkpoint';
import { mlBackendOptions } from '@/lib/env';

export type AlignThreadInit = {
  type: 'init';
  spec: LmSpec;
  weights: Float32Array[];
  reference: Float32Array[] | null;
  examples: PreferenceExample[];
  pad: number;
  config: Pick<PreferenceConfig, 'lossTypes' | 'lossWeights' | 'params'>;
  /** Float32 views: gradients written here (variables back to back), weights read from `weightBuffer`. */
  gradBuffer: SharedArrayBuffer;
  weightBuffer: SharedArrayBuffer;
};
export type AlignThreadStep = { type: 'step'; idx: number[]; refW: number[] | null; refL: number[] | null; weightsVersion: number };

let policy: CausalLm | null = null;
let reference: CausalLm | null = null;
let init: AlignThreadInit | null = null;
let loadedVersion = 0;

function assign(model: CausalLm, arrays: Float32Array[]) {
  model.variables().forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(arrays[i]!, v.shape))));
}

function views(buffer: SharedArrayBuffer, model: CausalLm): Float32Array[] {
  let offset = 0;
  return model.variables().map((v) => {
    const view = new Float32Array(buffer, offset * 4, v.size);
    offset += v.size;
    return view;
  });
}

// The handler catches every error and posts it back, so its promise never rejects.
parentPort?.on('message', (message: AlignThreadInit | AlignThreadStep) => void handleMessage(message));

async function handleMessage(msg: AlignThreadInit | AlignThreadStep): Promise<void> {
  try {
    if (msg.type === 'init') {
      await initBackend(mlBackendOptions());
      init = msg;
      policy = createLm(msg.spec);
      assign(policy, msg.weights);
      if (msg.reference) {
        reference = createLm(msg.spec, { trainable: false });
        assign(reference, msg.reference);
      }
      parentPort!.postMessage({ type: 'ready' });
      return;
    }
    if (!policy || !init) throw new Error('step before init');
    if (msg.weightsVersion !== loadedVersion) {
      assign(policy, views(init.weightBuffer, policy));
      loadedVersion = msg.weightsVersion;
    }
    const items = msg.idx.map((i) => init!.examples[i]!);
    let refW = msg.refW;
    let refL = msg.refL;
    if (!refW || !refL) {
      if (!reference) throw new Error('no reference log-probs and no reference model');
      const pairs = items.filter((e): e is Extract<PreferenceExample, { chosen: unknown }> => 'chosen' in e);
      if (pairs.length !== items.length) throw new Error('the reference forward runs on pairs only');
      const lp = scoreSequences(reference, [...pairs.map((e) => e.chosen), ...pairs.map((e) => e.rejected)], init.pad, 64);
      refW = Array.from(lp.subarray(0, items.length));
      refL = Array.from(lp.subarray(items.length));
    }
    const r = preferenceGrads(policy, items, refW, refL, init.pad, init.config, 0);
    const out = views(init.gradBuffer, policy);
    policy.variables().forEach((v, i) => {
      out[i]!.set(r.grads[v.name]!.dataSync() as Float32Array);
      r.grads[v.name]!.dispose();
    });
    parentPort!.postMessage({ type: 'grads', loss: r.loss, logps: r.logps, tokens: r.tokens });
  } catch (error) {
    parentPort!.postMessage({ type: 'error', error: error instanceof Error ? error.message : String(error) });
  }
}
