/**
 * A Llama-family decoder in TensorFlow.js, the whole architecture in one file, written from transformers'
 * modeling_llama.py (LlamaModel, LlamaAttention, LlamaMLP, LlamaRMSNorm, LlamaRotaryEmbedding) with the
 * differences of Qwen2 and Mistral settled in ./config.ts:
 * - RMSNorm before attention and before the MLP, and once more at the end (Zhang & Sennrich 2019);
 * - rotary position embeddings on queries and keys (Su et al. 2021, RoFormer), in transformers' half-split
 *   layout (rotate_half), with Llama 3's frequency rescaling or linear interpolation when configured;
 * - grouped-query attention (Ainslie et al. 2023): `numKvHeads` key/value heads, each serving
 *   numHeads / numKvHeads query heads. The query heads of one group are stacked along the rows, so one
 *   batched product per group serves them all and keys and values are never repeated;
 * - a SwiGLU MLP, down(silu(gate(x)) · up(x)) (Shazeer 2020);
 * - an LM head tied to the token embedding or its own (`lm_head.weight`).
 * Linear weights are kept as [in, out] (transformers stores nn.Linear weights as [out, in]): they are
 * transposed once on load and back on save, since a transposed product on wasm materialises the transpose
 * on every call (docs/performance.md).
 */
import { tf } from '../backend';
import { causalMask, type CausalLm, type KvCache, type LmSpec, type WeightSource } from '../lm/causal-lm';
import { rmsNorm, silu } from '../nn';
import { checkLoraConfig, peftTensorName, type LoraConfig, type LoraTarget } from '../lm/lora';
import type { NamedTensor } from '../lm/safetensors';
import { llamaConfigJson, type LlamaConfig } from './config';

/** A LoRA update of a linear layer: x·A·B·scale added to x·W (A [in, r], B [r, out] in the [in, out] layout). */
type Adapter = { a: tf.Variable; b: tf.Variable; scale: number; module: string };
type Linear = { w: tf.Variable; b: tf.Variable | null; module: string; lora: Adapter | null };
type Layer = { inputNorm: tf.Variable; q: Linear; k: Linear; v: Linear; o: Linear; postNorm: tf.Variable; gate: Linear; up: Linear; down: Linear };
/** One row of the weight table: a Hugging Face tensor and the variable that holds it (transposed for linear weights). */
type WeightEntry = { name: string; shape: number[]; variable: tf.Variable; transposed: boolean };

/** transformers' initialisation: N(0, initializer_range = 0.02) for matrices and embeddings, ones for norms, zeros for biases. */
export function randomWeights(seed: number): WeightSource {
  let k = 0;
  return (name, shape) => {
    k++;
    if (name.endsWith('norm.weight')) return tf.ones(shape);
    if (name.endsWith('.bias')) return tf.zeros(shape);
    return tf.randomNormal(shape, 0, 0.02, 'float32', seed * 7919 + k);
  };
}

/**
 * The inverse frequencies of the rotary embedding, one per pair of head dimensions: θ^(−2i/d), rescaled as
 * transformers' _compute_llama3_parameters does for "llama3" (long wavelengths divided by the factor,
 * short ones kept, a smooth blend between) and divided by the factor for "linear".
 */
export function ropeInverseFrequencies(c: LlamaConfig): Float64Array {
  const half = c.headDim / 2;
  const inv = Float64Array.from({ length: half }, (_, i) => 1 / c.ropeTheta ** ((2 * i) / c.headDim));
  const s = c.ropeScaling;
  if (!s) return inv;
  if (s.type === 'linear') return inv.map((f) => f / s.factor);
  const lowFreqWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highFreqWavelen = s.originalMaxPositions / s.highFreqFactor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highFreqWavelen) return f;
    if (wavelen > lowFreqWavelen) return f / s.factor;
    const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}

export class Llama implements CausalLm {
  readonly spec: LmSpec;
  readonly embed: tf.Variable;
  readonly layers: Layer[];
  readonly norm: tf.Variable;
  /** [hidden, vocab]; null when tied to the embedding. */
  readonly lmHead: tf.Variable | null;
  private readonly table: WeightEntry[] = [];
  private readonly inverseFrequencies: Float64Array;
  /** rotate_half(x) = x · R for a row vector x: R is the signed permutation [x₁, x₂] → [−x₂, x₁]. */
  private readonly rotateHalf: tf.Tensor2D;

  constructor(
    readonly config: LlamaConfig,
    weights: WeightSource,
    readonly trainable = true,
  ) {
    this.spec = { family: 'llama', config };
    const { vocabSize: V, hiddenSize: d, intermediateSize: I, numHeads: H, numKvHeads: Hkv, headDim: dh } = config;
    const take = (name: string, shape: number[], transposed: boolean): tf.Variable => {
      const variable = tf.tidy(() => {
        const t = weights(name, shape);
        return tf.variable(transposed ? tf.transpose(t) : t, this.trainable);
      });
      this.table.push({ name, shape, variable, transposed });
      return variable;
    };
    const linear = (name: string, out: number, inp: number, bias: boolean): Linear => ({ w: take(`${name}.weight`, [out, inp], true), b: bias ? take(`${name}.bias`, [out], false) : null, module: name, lora: null });
    this.embed = take('model.embed_tokens.weight', [V, d], false);
    this.layers = Array.from({ length: config.numLayers }, (_, i) => {
      const p = `model.layers.${i}.`;
      return {
        inputNorm: take(`${p}input_layernorm.weight`, [d], false),
        q: linear(`${p}self_attn.q_proj`, H * dh, d, config.qkvBias),
        k: linear(`${p}self_attn.k_proj`, Hkv * dh, d, config.qkvBias),
        v: linear(`${p}self_attn.v_proj`, Hkv * dh, d, config.qkvBias),
        o: linear(`${p}self_attn.o_proj`, d, H * dh, config.oBias),
        postNorm: take(`${p}post_attention_layernorm.weight`, [d], false),
        gate: linear(`${p}mlp.gate_proj`, I, d, config.mlpBias),
        up: linear(`${p}mlp.up_proj`, I, d, config.mlpBias),
        down: linear(`${p}mlp.down_proj`, d, I, config.mlpBias),
      };
    });
    this.norm = take('model.norm.weight', [d], false);
    this.lmHead = config.tieWordEmbeddings ? null : take('lm_head.weight', [V, d], true);
    this.inverseFrequencies = ropeInverseFrequencies(config);
    const half = dh / 2;
    const r = new Float32Array(dh * dh);
    for (let i = 0; i < half; i++) {
      r[(i + half) * dh + i] = -1; // output i takes −x[i + half]
      r[i * dh + i + half] = 1; // output i + half takes x[i]
    }
    this.rotateHalf = tf.tensor2d(r, [dh, dh]);
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  get hiddenSize(): number {
    return this.config.hiddenSize;
  }

  get contextLength(): number {
    return this.config.contextLength;
  }

  /** The base weights, in the weight table's order (LoRA adapters are apart: adapterVariables). */
  variables(): tf.Variable[] {
    return this.table.map((e) => e.variable);
  }

  /** What training updates: the adapters when LoRA is attached (the base is then frozen), else every weight. */
  trainableVariables(): tf.Variable[] {
    return this.lora ? this.adapterVariables() : this.variables();
  }

  private linears(): Linear[] {
    return this.layers.flatMap((l) => [l.q, l.k, l.v, l.o, l.gate, l.up, l.down]);
  }

  private adapterVariables(): tf.Variable[] {
    return this.linears().flatMap((l) => (l.lora ? [l.lora.a, l.lora.b] : []));
  }

  /** The LoRA settings, once attached. */
  lora: LoraConfig | null = null;

  /**
   * Puts a LoRA adapter on every linear layer named in `targets` (q_proj … down_proj) and freezes the base:
   * from then on training updates only the adapters. A is drawn as PEFT draws it, B is zero.
   */
  attachLora(config: LoraConfig): void {
    checkLoraConfig(config);
    if (this.lora) throw new Error('a LoRA adapter is attached already');
    let k = 0;
    for (const l of this.linears()) {
      const target = l.module.split('.').at(-1) as LoraTarget;
      if (!config.targets.includes(target)) continue;
      const [inp, out] = l.w.shape as [number, number];
      const bound = 1 / Math.sqrt(inp); // kaiming_uniform_(a=√5): √(6 / ((1 + 5)·fan_in))
      l.lora = {
        a: tf.variable(tf.randomUniform([inp, config.rank], -bound, bound, 'float32', config.seed * 7919 + ++k)),
        b: tf.variable(tf.zeros([config.rank, out])),
        scale: config.alpha / config.rank,
        module: l.module,
      };
    }
    for (const e of this.table) e.variable.trainable = false;
    this.lora = config;
  }

  /** The adapter as PEFT saves it: lora_A [r, in] and lora_B [out, r] per module, under PeftModel's names. */
  adapterTensors(): NamedTensor[] {
    return this.linears().flatMap((l) => {
      if (!l.lora) return [];
      return [
        { name: peftTensorName(l.module, 'lora_A'), tensor: l.lora.a },
        { name: peftTensorName(l.module, 'lora_B'), tensor: l.lora.b },
      ].map(({ name, tensor }) => {
        const t = tf.transpose(tensor);
        const data = t.dataSync() as Float32Array;
        t.dispose();
        return { name, shape: t.shape, data };
      });
    });
  }

  /**
   * The adapter's current values, in adapterVariables' order: tensors sharing the variables' data (no copy),
   * which stay as they are when the variables are later assigned. The caller disposes them.
   */
  adapterValues(): tf.Tensor[] {
    return this.adapterVariables().map((v) => tf.clone(v));
  }

  /** Sets the adapter to `values` (from adapterValues; assigned, not copied). */
  setAdapterValues(values: readonly tf.Tensor[]): void {
    const variables = this.adapterVariables();
    if (values.length !== variables.length) throw new Error(`expected ${variables.length} adapter tensors, got ${values.length}`);
    variables.forEach((v, i) => v.assign(values[i]!));
  }

  /** Runs `fn` with the adapter set to `values` (from adapterValues), and sets it back after, however `fn` ends. */
  withAdapterValues<T>(values: readonly tf.Tensor[], fn: () => T): T {
    const saved = this.adapterValues();
    try {
      this.setAdapterValues(values);
      return fn();
    } finally {
      this.setAdapterValues(saved);
      saved.forEach((t) => t.dispose());
    }
  }

  /** Loads adapter tensors saved by adapterTensors (or by PEFT) into the attached adapter. */
  loadAdapter(source: WeightSource): void {
    for (const l of this.linears()) {
      if (!l.lora) continue;
      const [inp, out] = l.w.shape as [number, number];
      const r = l.lora.a.shape[1]!;
      tf.tidy(() => {
        l.lora!.a.assign(tf.transpose(source(peftTensorName(l.module, 'lora_A'), [r, inp])));
        l.lora!.b.assign(tf.transpose(source(peftTensorName(l.module, 'lora_B'), [out, r])));
      });
    }
  }

  get parameterCount(): number {
    return this.table.reduce((n, e) => n + e.variable.size, 0);
  }

  hidden(ids: Int32Array, B: number, T: number): tf.Tensor2D {
    return this.run(ids, B, T, null).hidden;
  }

  unembed(hidden: tf.Tensor2D): tf.Tensor2D {
    return this.lmHead ? tf.matMul(hidden, this.lmHead) : tf.matMul(hidden, this.embed, false, true);
  }

  extend(ids: Int32Array, B: number, T: number, past: KvCache | null): { hidden: tf.Tensor2D; cache: KvCache } {
    const { hidden, layers } = this.run(ids, B, T, past);
    return { hidden, cache: { length: (past?.length ?? 0) + T, layers } };
  }

  /** cos and sin of the rotary angles of positions past…past+T−1, each [T, headDim] (angles repeated for both halves). */
  private rotary(past: number, T: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
    const dh = this.config.headDim;
    const half = dh / 2;
    const cos = new Float32Array(T * dh);
    const sin = new Float32Array(T * dh);
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < half; i++) {
        const angle = (past + t) * this.inverseFrequencies[i]!;
        cos[t * dh + i] = cos[t * dh + i + half] = Math.cos(angle);
        sin[t * dh + i] = sin[t * dh + i + half] = Math.sin(angle);
      }
    }
    return { cos: tf.tensor2d(cos, [T, dh]), sin: tf.tensor2d(sin, [T, dh]) };
  }

  private run(ids: Int32Array, B: number, T: number, past: KvCache | null): { hidden: tf.Tensor2D; layers: KvCache['layers'] } {
    const { hiddenSize: d, numHeads: H, numKvHeads: Hkv, headDim: dh, rmsNormEps: eps } = this.config;
    const P = past?.length ?? 0;
    if (P + T > this.contextLength) throw new Error(`sequence of ${P + T} tokens is longer than the model's context of ${this.contextLength}`);
    if (ids.length !== B * T) throw new Error(`expected ${B}×${T} token ids, got ${ids.length}`);
    const groups = H / Hkv;
    const { cos, sin } = this.rotary(P, T);
    const mask = causalMask(T, P, groups);
    const scale = 1 / Math.sqrt(dh);
    const project = (x: tf.Tensor2D, l: Linear): tf.Tensor2D => {
      let y = tf.matMul(x, l.w);
      if (l.lora) y = tf.add(y, tf.mul(tf.matMul(tf.matMul(x, l.lora.a), l.lora.b), l.lora.scale));
      return (l.b ? tf.add(y, l.b) : y) as tf.Tensor2D;
    };
    // [B·T, heads·dh] → [B, heads, T, dh], rotated: x·cos + rotate_half(x)·sin (cos, sin broadcast over B and heads).
    const rotatedHeads = (x: tf.Tensor2D, heads: number): tf.Tensor4D => {
      const rows = tf.reshape(x, [B * T * heads, dh]) as tf.Tensor2D;
      const c = tf.reshape(cos, [1, T, 1, dh]);
      const s = tf.reshape(sin, [1, T, 1, dh]);
      const r = tf.add(tf.mul(tf.reshape(rows, [B, T, heads, dh]), c), tf.mul(tf.reshape(tf.matMul(rows, this.rotateHalf), [B, T, heads, dh]), s));
      return tf.transpose(r, [0, 2, 1, 3]) as tf.Tensor4D;
    };
    const plainHeads = (x: tf.Tensor2D, heads: number): tf.Tensor4D => tf.transpose(tf.reshape(x, [B, T, heads, dh]), [0, 2, 1, 3]) as tf.Tensor4D;
    let x = tf.reshape(tf.gather(this.embed, tf.tensor1d(ids, 'int32')), [B * T, d]) as tf.Tensor2D;
    const layers: KvCache['layers'] = [];
    this.layers.forEach((l, i) => {
      const h = rmsNorm(x, l.inputNorm, eps);
      const q = rotatedHeads(project(h, l.q), H);
      let k = rotatedHeads(project(h, l.k), Hkv);
      let v = plainHeads(project(h, l.v), Hkv);
      const before = past?.layers[i];
      if (before) {
        k = tf.concat([before.k, k], 2);
        v = tf.concat([before.v, v], 2);
      }
      layers.push({ k, v });
      // The `groups` query heads of a key/value head, stacked along the rows: [B, Hkv, groups·T, dh].
      const grouped = tf.reshape(q, [B, Hkv, groups * T, dh]);
      const att = tf.softmax(tf.add(tf.mul(tf.matMul(grouped, k, false, true), scale), mask));
      const y = tf.reshape(tf.transpose(tf.reshape(tf.matMul(att, v), [B, H, T, dh]), [0, 2, 1, 3]), [B * T, H * dh]) as tf.Tensor2D;
      x = tf.add(x, project(y, l.o)) as tf.Tensor2D;
      const h2 = rmsNorm(x, l.postNorm, eps);
      x = tf.add(x, project(tf.mul(silu(project(h2, l.gate)), project(h2, l.up)) as tf.Tensor2D, l.down)) as tf.Tensor2D;
    });
    return { hidden: rmsNorm(x, this.norm, eps), layers };
  }

  /** The weights in Hugging Face names and layout; with LoRA, merged: W + A·B·(alpha/r). */
  toTensors(): NamedTensor[] {
    const adapters = new Map(this.linears().flatMap((l) => (l.lora ? [[l.w, l.lora] as const] : [])));
    return this.table.map(({ name, shape, variable, transposed }) => {
      if (!transposed) return { name, shape, data: variable.dataSync() as Float32Array };
      const adapter = adapters.get(variable);
      const t = tf.tidy(() => tf.transpose(adapter ? tf.add(variable, tf.mul(tf.matMul(adapter.a, adapter.b), adapter.scale)) : variable));
      const data = t.dataSync() as Float32Array;
      t.dispose();
      return { name, shape, data };
    });
  }

  loadWeights(source: WeightSource): void {
    for (const { name, shape, variable, transposed } of this.table) {
      tf.tidy(() => {
        const t = source(name, shape);
        variable.assign(transposed ? tf.transpose(t) : t);
      });
    }
  }

  configJson(extra: { eosId?: number } = {}): object {
    const json = llamaConfigJson(this.config);
    return extra.eosId !== undefined && this.config.eosTokenIds.length === 0 ? { ...json, eos_token_id: extra.eosId } : json;
  }

  /** A frozen copy (the reference policy), sharing nothing with this model; with LoRA, the merged weights. */
  frozenCopy(): Llama {
    const merged = new Map(this.toTensors().map((t) => [t.name, t]));
    return new Llama(this.config, (name, shape) => tf.tensor(merged.get(name)!.data, shape), false);
  }

  dispose(): void {
    for (const e of this.table) e.variable.dispose();
    for (const v of this.adapterVariables()) v.dispose();
    this.rotateHalf.dispose();
  }
}
