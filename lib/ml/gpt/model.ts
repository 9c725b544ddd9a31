/**
 * A GPT-2-style causal transformer in TensorFlow.js, the whole architecture in one file (after nanoGPT's
 * model.py): learned token and position embeddings, pre-LN blocks of causal self-attention and a GELU
 * MLP, a final layer norm, and an unembedding tied to the token embedding. Weights are named and laid out
 * as Hugging Face's GPT2Model (Conv1D weights are [in, out]; the fused c_attn is split into q, k, v on
 * load — separate products are faster on wasm — and fused again on save), so a local GPT-2-family
 * checkpoint loads as is and a trained policy saves as one.
 */
import { tf } from '../backend';
import { causalMask, type CausalLm, type KvCache, type LmSpec, type WeightSource } from '../lm/causal-lm';
import { gelu, layerNorm } from '../nn';
import { gptConfigJson, type GptConfig } from './config';
import type { NamedTensor } from '../lm/safetensors';


type Block = {
  ln1g: tf.Variable; ln1b: tf.Variable;
  wq: tf.Variable; bq: tf.Variable; wk: tf.Variable; bk: tf.Variable; wv: tf.Variable; bv: tf.Variable;
  wo: tf.Variable; bo: tf.Variable;
  ln2g: tf.Variable; ln2b: tf.Variable;
  wfc: tf.Variable; bfc: tf.Variable; wproj: tf.Variable; bproj: tf.Variable;
};

export class Gpt implements CausalLm {
  readonly spec: LmSpec;
  readonly wte: tf.Variable;
  readonly wpe: tf.Variable;
  readonly blocks: Block[];
  readonly lnfg: tf.Variable;
  readonly lnfb: tf.Variable;

  /** Fresh weights (GPT-2's init: N(0, 0.02), residual projections scaled by 1/√(2·layers)), or given ones. */
  constructor(readonly config: GptConfig, seed = 0, trainable = true) {
    this.spec = { family: 'gpt2', config };
    const { vocabSize, nPositions, nEmbd: d, nLayer } = config;
    if (d % config.nHead !== 0) throw new Error(`n_embd ${d} is not a multiple of n_head ${config.nHead}`);
    let s = 0;
    const init = (shape: number[], std: number) => tf.variable(tf.randomNormal(shape, 0, std, 'float32', seed * 7919 + ++s), trainable);
    const ones = (n: number) => tf.variable(tf.ones([n]), trainable);
    const zeros = (n: number) => tf.variable(tf.zeros([n]), trainable);
    const residual = 0.02 / Math.sqrt(2 * nLayer);
    this.wte = init([vocabSize, d], 0.02);
    this.wpe = init([nPositions, d], 0.01);
    this.blocks = Array.from({ length: nLayer }, () => ({
      ln1g: ones(d), ln1b: zeros(d),
      wq: init([d, d], 0.02), bq: zeros(d), wk: init([d, d], 0.02), bk: zeros(d), wv: init([d, d], 0.02), bv: zeros(d),
      wo: init([d, d], residual), bo: zeros(d),
      ln2g: ones(d), ln2b: zeros(d),
      wfc: init([d, 4 * d], 0.02), bfc: zeros(4 * d), wproj: init([4 * d, d], residual), bproj: zeros(d),
    }));
    this.lnfg = ones(d);
    this.lnfb = zeros(d);
  }

  variables(): tf.Variable[] {
    return [this.wte, this.wpe, ...this.blocks.flatMap((b) => Object.values(b) as tf.Variable[]), this.lnfg, this.lnfb];
  }

  /** GPT-2 policies are small: no LoRA (it is offered on the Llama family), every weight trains. */
  readonly lora = null;

  trainableVariables(): tf.Variable[] {
    return this.variables();
  }

  get parameterCount(): number {
    return this.variables().reduce((n, v) => n + v.size, 0);
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  get hiddenSize(): number {
    return this.config.nEmbd;
  }

  get contextLength(): number {
    return this.config.nPositions;
  }

  /** Final-layer-norm hidden states of ids [B, T] (row-major), as [B·T, d]. */
  hidden(ids: Int32Array, B: number, T: number): tf.Tensor2D {
    return this.run(ids, B, T, null).hidden;
  }

  /** Next-token logits through the tied unembedding. */
  unembed(hidden: tf.Tensor2D): tf.Tensor2D {
    return tf.matMul(hidden, this.wte, false, true);
  }

  extend(ids: Int32Array, B: number, T: number, past: KvCache | null): { hidden: tf.Tensor2D; cache: KvCache } {
    const { hidden, layers } = this.run(ids, B, T, past);
    return { hidden, cache: { length: (past?.length ?? 0) + T, layers } };
  }

  private run(ids: Int32Array, B: number, T: number, past: KvCache | null): { hidden: tf.Tensor2D; layers: KvCache['layers'] } {
    const { nEmbd: d, nHead: H, nPositions, layerNormEpsilon: eps } = this.config;
    const P = past?.length ?? 0;
    if (P + T > nPositions) throw new Error(`sequence of ${P + T} tokens is longer than the model's ${nPositions} positions`);
    const dh = d / H;
    const tokens = tf.gather(this.wte, tf.tensor1d(ids, 'int32'));
    let x = tf.reshape(tf.add(tf.reshape(tokens, [B, T, d]), tf.slice(this.wpe, [P, 0], [T, d])), [B * T, d]) as tf.Tensor2D;
    const causal = causalMask(T, P);
    const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, dh]), [0, 2, 1, 3]) as tf.Tensor4D;
    const layers: KvCache['layers'] = [];
    this.blocks.forEach((b, i) => {
      const h = layerNorm(x, b.ln1g, b.ln1b, eps);
      const q = heads(tf.add(tf.matMul(h, b.wq), b.bq));
      let k = heads(tf.add(tf.matMul(h, b.wk), b.bk));
      let v = heads(tf.add(tf.matMul(h, b.wv), b.bv));
      const before = past?.layers[i];
      if (before) {
        k = tf.concat([before.k, k], 2);
        v = tf.concat([before.v, v], 2);
      }
      layers.push({ k, v });
      const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), causal));
      const y = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, d]) as tf.Tensor2D;
      x = tf.add(x, tf.add(tf.matMul(y, b.wo), b.bo)) as tf.Tensor2D;
      const h2 = layerNorm(x, b.ln2g, b.ln2b, eps);
      x = tf.add(x, tf.add(tf.matMul(gelu(tf.add(tf.matMul(h2, b.wfc), b.bfc)), b.wproj), b.bproj)) as tf.Tensor2D;
    });
    return { hidden: layerNorm(x, this.lnfg, this.lnfb, eps), layers };
  }

  configJson(extra: { eosId?: number } = {}): object {
    return gptConfigJson(this.config, extra);
  }

  /**
   * The one table of Hugging Face GPT2Model names, in the order GPT2Model lists them: each name with its
   * shape and the variables it holds. Saving and loading both read it, so they cannot drift apart. A name
   * with several variables is fused along its last axis: c_attn holds q, k and v, kept apart here because
   * separate products are faster on wasm.
   */
  private hfWeights(): { name: string; shape: number[]; parts: tf.Variable[] }[] {
    const { vocabSize, nPositions, nEmbd: d } = this.config;
    return [
      { name: 'wte.weight', shape: [vocabSize, d], parts: [this.wte] },
      { name: 'wpe.weight', shape: [nPositions, d], parts: [this.wpe] },
      ...this.blocks.flatMap((b, i) => {
        const p = `h.${i}.`;
        return [
          { name: `${p}ln_1.weight`, shape: [d], parts: [b.ln1g] },
          { name: `${p}ln_1.bias`, shape: [d], parts: [b.ln1b] },
          { name: `${p}attn.c_attn.weight`, shape: [d, 3 * d], parts: [b.wq, b.wk, b.wv] },
          { name: `${p}attn.c_attn.bias`, shape: [3 * d], parts: [b.bq, b.bk, b.bv] },
          { name: `${p}attn.c_proj.weight`, shape: [d, d], parts: [b.wo] },
          { name: `${p}attn.c_proj.bias`, shape: [d], parts: [b.bo] },
          { name: `${p}ln_2.weight`, shape: [d], parts: [b.ln2g] },
          { name: `${p}ln_2.bias`, shape: [d], parts: [b.ln2b] },
          { name: `${p}mlp.c_fc.weight`, shape: [d, 4 * d], parts: [b.wfc] },
          { name: `${p}mlp.c_fc.bias`, shape: [4 * d], parts: [b.bfc] },
          { name: `${p}mlp.c_proj.weight`, shape: [4 * d, d], parts: [b.wproj] },
          { name: `${p}mlp.c_proj.bias`, shape: [d], parts: [b.bproj] },
        ];
      }),
      { name: 'ln_f.weight', shape: [d], parts: [this.lnfg] },
      { name: 'ln_f.bias', shape: [d], parts: [this.lnfb] },
    ];
  }

  /** Weights under Hugging Face GPT2Model names (c_attn fused), for safetensors. */
  toTensors(): NamedTensor[] {
    return this.hfWeights().map(({ name, shape, parts }) => {
      if (parts.length === 1) return { name, shape, data: parts[0]!.dataSync() as Float32Array };
      const fused = tf.tidy(() => tf.concat(parts, shape.length - 1));
      const data = fused.dataSync() as Float32Array;
      fused.dispose();
      return { name, shape, data };
    });
  }

  /** Loads Hugging Face GPT-2 weights; each tensor is checked by shape where it is read. */
  loadWeights(source: WeightSource): void {
    for (const { name, shape, parts } of this.hfWeights()) {
      tf.tidy(() => {
        const whole = source(name, shape);
        const pieces = parts.length === 1 ? [whole] : tf.split(whole, parts.length, shape.length - 1);
        parts.forEach((v, k) => v.assign(pieces[k]!));
      });
    }
  }

  /** A frozen copy (the reference policy), sharing nothing with this model. */
  frozenCopy(): Gpt {
    const copy = new Gpt(this.config, 0, false);
    const mine = this.variables();
    copy.variables().forEach((v, i) => v.assign(mine[i]!));
    return copy;
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}
