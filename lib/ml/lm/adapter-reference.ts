/**
 * The reference policy of a LoRA run without a second copy of the model. Under LoRA the base weights never
 * change, so the reference (the policy at an earlier stage: after SFT, or the previous round's iterate)
 * differs from the policy by its adapter alone. This model shares the policy's base and runs each call with
 * the reference's adapter values swapped in, then swapped back: the cost is the adapter's values (a few MB),
 * where a frozen copy held every weight again, which on the wasm backend put SmolLM2-135M's DPO step past
 * the memory it serves. TRL does the same with PEFT: its reference is the model with the adapter switched.
 */
import type { tf } from '../backend';
import type { Llama } from '../llama/model';
import type { CausalLm, KvCache } from './causal-lm';

export class AdapterReference implements CausalLm {
  readonly lora = null;

  /** `values`: the reference's adapter (from policy.adapterValues()), owned from here on. */
  constructor(
    private readonly policy: Llama,
    private readonly values: tf.Tensor[],
  ) {}

  get spec() {
    return this.policy.spec;
  }
  get vocabSize() {
    return this.policy.vocabSize;
  }
  get hiddenSize() {
    return this.policy.hiddenSize;
  }
  get contextLength() {
    return this.policy.contextLength;
  }
  get parameterCount() {
    return this.policy.parameterCount;
  }

  hidden(ids: Int32Array, B: number, T: number): tf.Tensor2D {
    return this.policy.withAdapterValues(this.values, () => this.policy.hidden(ids, B, T));
  }

  /** The LM head has no adapter: the policy's is the reference's. */
  unembed(hidden: tf.Tensor2D): tf.Tensor2D {
    return this.policy.unembed(hidden);
  }

  extend(ids: Int32Array, B: number, T: number, past: KvCache | null): { hidden: tf.Tensor2D; cache: KvCache } {
    return this.policy.withAdapterValues(this.values, () => this.policy.extend(ids, B, T, past));
  }

  /** The shared base weights (frozen under LoRA); nothing of the reference trains. */
  variables(): tf.Variable[] {
    return this.policy.variables();
  }

  trainableVariables(): tf.Variable[] {
    return [];
  }

  toTensors() {
    return this.policy.withAdapterValues(this.values, () => this.policy.toTensors());
  }

  loadWeights(): void {
    throw new Error('a reference policy is read-only');
  }

  configJson(extra?: { eosId?: number }): object {
    return this.policy.configJson(extra);
  }

  frozenCopy(): CausalLm {
    return this.policy.withAdapterValues(this.values, () => this.policy.frozenCopy());
  }

  /** Frees the reference's adapter values; the shared base is the policy's. */
  dispose(): void {
    this.values.forEach((t) => t.dispose());
  }
}
