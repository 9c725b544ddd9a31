/**
 * What the alignment engine, the featurizer, the reward model and generation need of a decoder-only
 * language model, whichever family it is (lib/ml/gpt/model.ts: GPT-2; lib/ml/llama/model.ts: Llama, Qwen2,
 * Mistral). Code outside those two files sees only this surface, so a family is added in one place.
 */
import { tf } from '../backend';
import { logSumExpRows } from '../nn';
import type { NamedTensor } from './safetensors';
import type { GptConfig } from '../gpt/config';
import type { LlamaConfig } from '../llama/config';
import type { LoraConfig } from './lora';

/** A model's architecture and sizes: enough to build it again (another thread, a frozen copy, a saved checkpoint). */
export type LmSpec = { family: 'gpt2'; config: GptConfig } | { family: 'llama'; config: LlamaConfig };

/**
 * Keys and values of the positions already run, per layer ([B, kvHeads, length, headDim]), so that a
 * generation step runs only its new token (a KV cache). Owned by the caller: `dispose` frees it.
 */
export type KvCache = { length: number; layers: { k: tf.Tensor4D; v: tf.Tensor4D }[] };

/**
 * Where a model's weights come from: called once per tensor, by Hugging Face name and shape (in the
 * family's Hugging Face layout), in the order of the model's weight table. A loader reads the
 * checkpoint's tensor; a fresh model draws random ones.
 */
export type WeightSource = (name: string, shape: number[]) => tf.Tensor;

export interface CausalLm {
  readonly spec: LmSpec;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  /** The longest sequence the model runs (positions it was trained for, or a sliding window). */
  readonly contextLength: number;
  /** Final-norm hidden states of ids [B, T] (row-major), as [B·T, hidden]. */
  hidden(ids: Int32Array, B: number, T: number): tf.Tensor2D;
  /** Hidden states [N, hidden] to next-token logits [N, vocab] (the tied embedding or the LM head). */
  unembed(hidden: tf.Tensor2D): tf.Tensor2D;
  /**
   * Runs T new tokens per row after the `past` ones (null: none) and returns their final-norm hidden states
   * [B·T, hidden] and the cache grown by them. Both are new tensors the caller keeps or disposes; `past`
   * is left as it was.
   */
  extend(ids: Int32Array, B: number, T: number, past: KvCache | null): { hidden: tf.Tensor2D; cache: KvCache };
  /** Every weight, in a fixed order. */
  variables(): tf.Variable[];
  /** What training updates, in a fixed order (the order threads and optimiser state rely on): every weight, or the LoRA adapters alone. */
  trainableVariables(): tf.Variable[];
  /** The LoRA adapter's settings when one is attached (training then updates the adapter alone), else null. */
  readonly lora: LoraConfig | null;
  readonly parameterCount: number;
  /** Weights under the family's Hugging Face names and layout, for safetensors. */
  toTensors(): NamedTensor[];
  /** Replaces every weight with the source's (e.g. toTensors() of an earlier state, read back). */
  loadWeights(source: WeightSource): void;
  /** config.json as transformers reads it. */
  configJson(extra?: { eosId?: number }): object;
  /** A frozen copy (the reference policy), sharing nothing with this model. */
  frozenCopy(): CausalLm;
  dispose(): void;
}

export const disposeCache = (cache: KvCache): void => cache.layers.forEach(({ k, v }) => (k.dispose(), v.dispose()));

/** Next-token logits [B·T, vocab]. */
export function logitsOf(model: CausalLm, ids: Int32Array, B: number, T: number): tf.Tensor2D {
  return model.unembed(model.hidden(ids, B, T));
}

/**
 * log p(ids[b, t+1] | ids[b, ≤t]) as [B, T] (the last column is 0): the log-probability of each next
 * token, which sequence log-probs sum over completion positions.
 */
export function nextTokenLogProbs(model: CausalLm, ids: Int32Array, B: number, T: number): tf.Tensor2D {
  const V = model.vocabSize;
  const logits = logitsOf(model, ids, B, T);
  const flat = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) flat[b * T + t] = (b * T + t) * V + (t + 1 < T ? ids[b * T + t + 1]! : 0);
  const picked = tf.gather(tf.reshape(logits, [B * T * V]), tf.tensor1d(flat, 'int32'));
  const last = tf.tensor2d(Float32Array.from({ length: B * T }, (_, k) => (k % T === T - 1 ? 0 : 1)), [B, T]);
  return tf.mul(tf.reshape(tf.sub(picked, logSumExpRows(logits)), [B, T]), last) as tf.Tensor2D;
}

/**
 * The additive causal mask of T new positions after `past` ones: row i (position past + i) sees keys
 * 0…past + i. Repeated `groups` times down the rows, for the grouped-query layout in which a key/value head
 * serves `groups` query heads stacked along the rows.
 */
export function causalMask(T: number, past: number, groups = 1): tf.Tensor2D {
  const S = past + T;
  const mask = new Float32Array(groups * T * S);
  for (let g = 0; g < groups; g++) for (let i = 0; i < T; i++) for (let j = past + i + 1; j < S; j++) mask[(g * T + i) * S + j] = -1e9;
  return tf.tensor2d(mask, [groups * T, S]);
}

/** The most the wasm backend's heap serves reliably: past 2 GiB its kernels fail with "memory access out of bounds". */
export const WASM_TRAINING_BYTES = 2 * 2 ** 30;

/**
 * Why a model cannot be fine-tuned in full here, or null. Full fine-tuning holds the weights, their
 * gradients, Adam's two moments and a frozen reference: about 5× the weights in float32. On the wasm and cpu
 * backends that must fit in WASM_TRAINING_BYTES; LoRA (only the adapters have gradients and moments) and the
 * native backends are not bound by it.
 */
export function fullTuningMemoryProblem(parameters: number, lora: boolean, backend: string): string | null {
  const bytes = 5 * 4 * parameters;
  if (lora || (backend !== 'wasm' && backend !== 'cpu') || bytes <= WASM_TRAINING_BYTES) return null;
  return `fine-tuning all ${(parameters / 1e6).toFixed(0)}M parameters needs about ${(bytes / 2 ** 30).toFixed(1)} GiB, more than the ${backend} backend can hold (2 GiB); train a LoRA adapter (loraRank 16, say) or run the job on a worker with tfjs-node or tfjs-node-gpu (docs/gpu.md)`;
}
