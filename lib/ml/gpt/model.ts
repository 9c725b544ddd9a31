/**
 * A GPT-2-style causal transformer in TensorFlow.js, the whole architecture in one file (after nanoGPT's
 * model.py): learned token and position embeddings, pre-LN blocks of causal self-attention and a GELU
 * MLP, a final layer norm, and an unembedding tied to the token embedding. Weights are named and laid out
 * as Hugging Face's GPT2Model (Conv1D weights are [in, out]; the fused c_attn is split into q, k, v on
 * load — separate products are faster on wasm — and fused again on save), so a local GPT-2-family
 * checkpoint loads as is and a trained policy saves as one.
 */
import { tf } from '../backend';
import { gelu, layerNorm, logSumExpRows } from '../nn';
import type { NamedTensor } from './safetensors';

export type GptConfig = { vocabSize: number; nPositions: number; nEmbd: number; nLayer: number; nHead: number; layerNormEpsilon: number };

type Block = {
  ln1g: tf.Variable; ln1b: tf.Variable;
  wq: tf.Variable; bq: tf.Variable; wk: tf.Variable; bk: tf.Variable; wv: tf.Variable; bv: tf.Variable;
  wo: tf.Variable; bo: tf.Variable;
  ln2g: tf.Variable; ln2b: tf.Variable;
  wfc: tf.Variable; bfc: tf.Variable; wproj: tf.Variable; bproj: tf.Variable;
};

export class Gpt {
  readonly wte: tf.Variable;
  readonly wpe: tf.Variable;
  readonly blocks: Block[];
  readonly lnfg: tf.Variable;
  readonly lnfb: tf.Variable;

  /** Fresh weights (GPT-2's init: N(0, 0.02), residual projections scaled by 1/√(2·layers)), or given ones. */
  constructor(readonly config: GptConfig, seed = 0, trainable = true) {
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

  get parameterCount(): number {
    return this.variables().reduce((n, v) => n + v.size, 0);
  }

  /** Final-layer-norm hidden states of ids [B, T] (row-major), as [B·T, d]. */
  hidden(ids: Int32Array, B: number, T: number): tf.Tensor2D {
    const { nEmbd: d, nHead: H, nPositions, layerNormEpsilon: eps } = this.config;
    if (T > nPositions) throw new Error(`sequence of ${T} tokens is longer than the model's ${nPositions} positions`);
    const dh = d / H;
    const tokens = tf.gather(this.wte, tf.tensor1d(ids, 'int32'));
    let x = tf.reshape(tf.add(tf.reshape(tokens, [B, T, d]), tf.slice(this.wpe, [0, 0], [T, d])), [B * T, d]) as tf.Tensor2D;
    const causal = tf.tensor2d(Float32Array.from({ length: T * T }, (_, k) => (k % T > Math.floor(k / T) ? -1e9 : 0)), [T, T]);
    const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, dh]), [0, 2, 1, 3]);
    for (const b of this.blocks) {
      const h = layerNorm(x, b.ln1g, b.ln1b, eps);
      const q = heads(tf.add(tf.matMul(h, b.wq), b.bq));
      const k = heads(tf.add(tf.matMul(h, b.wk), b.bk));
      const v = heads(tf.add(tf.matMul(h, b.wv), b.bv));
      const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), causal));
      const y = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, d]) as tf.Tensor2D;
      x = tf.add(x, tf.add(tf.matMul(y, b.wo), b.bo)) as tf.Tensor2D;
      const h2 = layerNorm(x, b.ln2g, b.ln2b, eps);
      x = tf.add(x, tf.add(tf.matMul(gelu(tf.add(tf.matMul(h2, b.wfc), b.bfc)), b.wproj), b.bproj)) as tf.Tensor2D;
    }
    return layerNorm(x, this.lnfg, this.lnfb, eps);
  }

  /** Next-token logits [B·T, vocab] through the tied unembedding. */
  logits(ids: Int32Array, B: number, T: number): tf.Tensor2D {
    return tf.matMul(this.hidden(ids, B, T), this.wte, false, true);
  }

  /**
   * log p(ids[b, t+1] | ids[b, ≤t]) as [B, T] (the last column is 0): the log-probability of each next
   * token, which sequence log-probs sum over completion positions.
   */
  nextTokenLogProbs(ids: Int32Array, B: number, T: number): tf.Tensor2D {
    const V = this.config.vocabSize;
    const logits = this.logits(ids, B, T);
    const flat = new Int32Array(B * T);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) flat[b * T + t] = (b * T + t) * V + (t + 1 < T ? ids[b * T + t + 1]! : 0);
    const picked = tf.gather(tf.reshape(logits, [B * T * V]), tf.tensor1d(flat, 'int32'));
    const last = tf.tensor2d(Float32Array.from({ length: B * T }, (_, k) => (k % T === T - 1 ? 0 : 1)), [B, T]);
    return tf.mul(tf.reshape(tf.sub(picked, logSumExpRows(logits)), [B, T]), last) as tf.Tensor2D;
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

  /** Loads Hugging Face GPT-2 weights (with or without the `transformer.` prefix); every tensor is checked by shape. */
  loadTensors(tensors: ReadonlyMap<string, NamedTensor>): void {
    for (const { name, shape, parts } of this.hfWeights()) {
      const t = tensors.get(name) ?? tensors.get(`transformer.${name}`);
      if (!t) throw new Error(`checkpoint: tensor ${name} is missing`);
      if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) throw new Error(`checkpoint: tensor ${name} has shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(shape)} from config.json`);
      tf.tidy(() => {
        const whole = tf.tensor(t.data, shape);
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
