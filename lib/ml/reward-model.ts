/**
 * Reward models behind one interface — fit (fit.ts), score, save, load (model-io.ts); the losses and
 * their sources are in docs/algorithms.md#reward-model-losses:
 * - 'bt': Bradley–Terry on a tower (MLP or linear) over cached response features, with margins from
 *   annotated strength, label smoothing, reward centring; ties through a Davidson head (or ½ / dropped);
 *   rankings through Plackett–Luce;
 * - 'ensemble': k BT members (different seeds and bootstrap resamples), aggregated by mean, worst case or
 *   uncertainty-weighted (mean − λ·variance), each member z-normalised on the training responses;
 * - 'gpm': the general preference model — 2k-dimensional preference embeddings, block skew-symmetric
 *   operator with optional prompt-dependent scales, P(a≻b) = σ(s/τ) — which can represent cycles;
 * - 'regression': one head per rated attribute (MSE against 0–4 ratings), reward = their mean, plus the
 *   BT loss on pairs when the project has them (the combination of both).
 */
import { tf } from './backend';
import { gpmScore } from './losses';
import type { SparseVector } from './features/hashed-ngrams';
import type { EnsembleAggregation, RewardModelKind } from './kinds';
import { sparseMatMul, toBatch, type SparseBatch } from './sparse';

export { AGGREGATIONS, REWARD_MODEL_KINDS, type EnsembleAggregation, type RewardModelKind } from './kinds';

export type RewardModelConfig = {
  kind: RewardModelKind;
  /** Hidden width of the tower; 0 = linear. */
  hidden: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  l2: number;
  seed: number;
  /** Subtract the pair's margin (from annotated strength) inside log σ. */
  useMargin: boolean;
  labelSmoothing: number;
  /** η of the centring term η·E[(r_w + r_l)²]. */
  centering: number;
  ties: 'davidson' | 'half' | 'drop';
  rankings: 'plackett-luce' | 'pairs';
  members: number;
  /** Ensemble members on worker threads as well, when there are cores for them. */
  parallelMembers: boolean;
  bootstrap: boolean;
  aggregation: EnsembleAggregation;
  /** λ of the uncertainty-weighted rule. */
  lambda: number;
  /** GPM: embedding width 2k, temperature τ, prompt-dependent scales λ(x). */
  gpmDims: number;
  tau: number;
  promptScales: boolean;
  attributes: string[];
};

export const DEFAULT_CONFIG: RewardModelConfig = {
  kind: 'bt',
  hidden: 0,
  epochs: 10,
  batchSize: 128,
  learningRate: 1e-2,
  l2: 1e-5,
  seed: 0,
  useMargin: false,
  labelSmoothing: 0,
  centering: 0.01,
  ties: 'davidson',
  rankings: 'plackett-luce',
  members: 5,
  parallelMembers: true,
  bootstrap: true,
  aggregation: 'mean',
  lambda: 0.5,
  gpmDims: 8,
  tau: 0.1,
  promptScales: true,
  attributes: [],
};

/** Training rows: features per response, and what is known about them. Pair `a` is preferred unless tie. */
export type PreferenceData = {
  features: SparseVector[];
  dims: number;
  /** Columns holding the prompt block (for GPM's prompt-dependent scales). */
  promptBlock: [number, number];
  pairs: { a: number; b: number; tie: boolean; margin: number }[];
  /** Tie groups of feature rows, best first. */
  rankings: number[][][];
  ratings: { row: number; values: Record<string, number> }[];
};

export type Tower = { w1: tf.Variable | null; b1: tf.Variable | null; w2: tf.Variable; b2: tf.Variable };

/** A tower: relu(x·W1 + b1)·W2 + b2 (or x·W2 + b2 when linear). */
export function makeTower(inputs: number, hidden: number, outputs: number, seed: number, prefix: string): Tower {
  if (hidden <= 0) return { w1: null, b1: null, w2: tf.variable(tf.randomNormal([inputs, outputs], 0, 0.1, 'float32', seed), true, `${prefix}w2`), b2: tf.variable(tf.zeros([outputs]), true, `${prefix}b2`) };
  return {
    w1: tf.variable(tf.randomNormal([inputs, hidden], 0, 0.5, 'float32', seed), true, `${prefix}w1`),
    b1: tf.variable(tf.zeros([hidden]), true, `${prefix}b1`),
    w2: tf.variable(tf.randomNormal([hidden, outputs], 0, 1 / Math.sqrt(hidden), 'float32', seed + 1), true, `${prefix}w2`),
    b2: tf.variable(tf.zeros([outputs]), true, `${prefix}b2`),
  };
}

export function forward(t: Tower, x: SparseBatch): tf.Tensor2D {
  if (!t.w1) return tf.add(sparseMatMul(x.idx, x.val, x.seg, x.rows, t.w2 as tf.Tensor2D), t.b2) as tf.Tensor2D;
  const first = x.dense ? tf.matMul(x.dense, t.w1) : sparseMatMul(x.idx, x.val, x.seg, x.rows, t.w1 as tf.Tensor2D);
  const h = tf.relu(tf.add(first, t.b1!));
  return tf.add(tf.matMul(h as tf.Tensor2D, t.w2), t.b2) as tf.Tensor2D;
}

export const towerVariables = (t: Tower) => [t.w1, t.b1, t.w2, t.b2].filter((v): v is tf.Variable => v !== null);

export type MemberNorm = { mean: number; std: number };

/** A fitted model: its parameters as named tensors, and how to score with them. */
export class RewardModel {
  constructor(
    readonly config: RewardModelConfig,
    readonly dims: number,
    readonly promptBlock: [number, number],
    private readonly towers: Tower[],
    /** log ν of the Davidson tie head (BT members share the data; one per member). */
    readonly logNu: tf.Variable[],
    /** GPM prompt-scale layer [promptDims, k]. */
    private readonly scaleLayer: tf.Variable | null,
    /** Per-member reward mean / std on the training responses (ensemble aggregation). */
    public norms: MemberNorm[],
  ) {}

  /** After a fit with bootstrap resampling: per member, how often each training pair was drawn (0 = out of bag). Not saved. */
  bags: Uint16Array[] | null = null;

  get members() {
    return this.towers.length;
  }

  /** Raw outputs of every member for these rows: [member][row × outputs]. */
  private outputs(rows: readonly SparseVector[], batch = 512): Float32Array[] {
    const out = this.towers.map(() => [] as Float32Array[]);
    for (let k = 0; k < rows.length; k += batch) {
      const chunk = rows.slice(k, k + batch);
      tf.tidy(() => {
        const x = toBatch(chunk, this.promptBlock, this.config.hidden > 0 ? this.dims : 0);
        this.towers.forEach((t, m) => out[m]!.push(forward(t, x).dataSync() as Float32Array));
      });
    }
    return out.map((parts) => concat(parts));
  }

  /**
   * Scalar rewards per member (bt, ensemble: one reward; regression: the mean of the attribute heads).
   * GPM has no scalar reward: see preferences().
   */
  memberRewards(rows: readonly SparseVector[]): Float32Array[] {
    if (this.config.kind === 'gpm') throw new Error('a general preference model scores pairs, not single responses');
    const outs = this.outputs(rows);
    if (this.config.kind !== 'regression') return outs;
    const a = this.config.attributes.length;
    return outs.map((o) => Float32Array.from({ length: rows.length }, (_, i) => mean(Array.from(o.subarray(i * a, i * a + a)))));
  }

  /** Per-attribute predictions of a regression model: [row][attribute]. */
  attributeScores(rows: readonly SparseVector[]): number[][] {
    const a = this.config.attributes.length;
    const o = this.outputs(rows)[0]!;
    return Array.from({ length: rows.length }, (_, i) => Array.from(o.subarray(i * a, i * a + a)));
  }

  /** One reward per row: members z-normalised then aggregated (mean, worst case, or mean − λ·variance). */
  rewards(rows: readonly SparseVector[], aggregation: EnsembleAggregation = this.config.aggregation, lambda = this.config.lambda): Float32Array {
    const members = this.memberRewards(rows);
    if (members.length === 1) return members[0]!;
    const z = members.map((r, m) => r.map((v) => (v - this.norms[m]!.mean) / this.norms[m]!.std));
    return Float32Array.from({ length: rows.length }, (_, i) => aggregate(z.map((r) => r[i]!), aggregation, lambda));
  }

  /** GPM embeddings [row][2k] (x-coordinates then y-coordinates). */
  embeddings(rows: readonly SparseVector[]): number[][] {
    const d = this.config.gpmDims;
    const o = this.outputs(rows)[0]!;
    return Array.from({ length: rows.length }, (_, i) => Array.from(o.subarray(i * d, i * d + d)));
  }

  /** P(a ≻ b) for each pair of rows (every kind; for GPM σ(s/τ), otherwise σ of the aggregated reward difference). */
  preferences(a: readonly SparseVector[], b: readonly SparseVector[]): Float32Array {
    if (this.config.kind !== 'gpm') {
      const ra = this.rewards(a);
      const rb = this.rewards(b);
      return ra.map((v, i) => sigmoid(v - rb[i]!));
    }
    const scores = this.gpmScores(a, b);
    return scores.map((s) => sigmoid(s / this.config.tau));
  }

  /** GPM preference scores s(a ≻ b). */
  gpmScores(a: readonly SparseVector[], b: readonly SparseVector[]): Float32Array {
    const parts: Float32Array[] = [];
    for (let k = 0; k < a.length; k += 512) {
      const ca = a.slice(k, k + 512);
      const cb = b.slice(k, k + 512);
      tf.tidy(() => {
        const xa = toBatch(ca, this.promptBlock, this.config.hidden > 0 ? this.dims : 0);
        const xb = toBatch(cb, this.promptBlock, this.config.hidden > 0 ? this.dims : 0);
        parts.push(gpmForward(this, xa, xb).dataSync() as Float32Array);
      });
    }
    return concat(parts);
  }

  /** Per-pair reward difference of every member: [member][pair] (the ensemble's disagreement). */
  memberDeltas(a: readonly SparseVector[], b: readonly SparseVector[]): Float32Array[] {
    const ra = this.memberRewards(a);
    const rb = this.memberRewards(b);
    return ra.map((r, m) => r.map((v, i) => (v - rb[m]![i]!) / this.norms[m]!.std));
  }

  /** Named tensors of every parameter (for save). */
  namedWeights(): { name: string; tensor: tf.Tensor }[] {
    const out: { name: string; tensor: tf.Tensor }[] = [];
    this.towers.forEach((t, m) => {
      for (const [key, v] of Object.entries(t)) if (v) out.push({ name: `member${m}.${key}`, tensor: v as tf.Tensor });
    });
    this.logNu.forEach((v, m) => out.push({ name: `member${m}.log_nu`, tensor: v }));
    if (this.scaleLayer) out.push({ name: 'gpm.scale', tensor: this.scaleLayer });
    return out;
  }

  /** Builds a model from saved named tensors. */
  static fromWeights(config: RewardModelConfig, dims: number, promptBlock: [number, number], norms: MemberNorm[], weights: Map<string, tf.Tensor>): RewardModel {
    const members = config.kind === 'ensemble' ? config.members : 1;
    const get = (name: string) => {
      const t = weights.get(name);
      if (!t) throw new Error(`the saved model has no tensor ${name}`);
      return tf.variable(t, false, `${name}#${Math.random()}`);
    };
    const towers = Array.from({ length: members }, (_, m) => ({
      w1: config.hidden > 0 ? get(`member${m}.w1`) : null,
      b1: config.hidden > 0 ? get(`member${m}.b1`) : null,
      w2: get(`member${m}.w2`),
      b2: get(`member${m}.b2`),
    }));
    const logNu = Array.from({ length: members }, (_, m) => (weights.has(`member${m}.log_nu`) ? get(`member${m}.log_nu`) : null)).filter((v): v is tf.Variable => v !== null);
    return new RewardModel(config, dims, promptBlock, towers, logNu, weights.has('gpm.scale') ? get('gpm.scale') : null, norms);
  }

  /** Exposed for the GPM score. */
  get _internals() {
    return { towers: this.towers, scaleLayer: this.scaleLayer };
  }

  dispose() {
    for (const { tensor } of this.namedWeights()) tensor.dispose();
  }
}

export function gpmForward(model: RewardModel, xa: SparseBatch, xb: SparseBatch, tower?: Tower): tf.Tensor1D {
  const { towers, scaleLayer } = model._internals;
  const k = model.config.gpmDims / 2;
  const t = tower ?? towers[0]!;
  const va = forward(t, xa);
  const vb = forward(t, xb);
  // λ(x) = k · softmax(x_prompt · W): the same for both responses (they share the prompt).
  const scales = scaleLayer ? (tf.mul(tf.softmax(sparseMatMul(xa.promptIdx, xa.promptVal, xa.promptSeg, xa.rows, scaleLayer as tf.Tensor2D)), k) as tf.Tensor2D) : null;
  return gpmScore(tf.slice(va, [0, 0], [-1, k]), tf.slice(va, [0, k], [-1, k]), tf.slice(vb, [0, 0], [-1, k]), tf.slice(vb, [0, k], [-1, k]), scales);
}

export function aggregate(values: number[], rule: EnsembleAggregation, lambda: number): number {
  if (rule === 'worst-case') return Math.min(...values);
  const m = mean(values);
  if (rule === 'mean') return m;
  return m - lambda * mean(values.map((v) => (v - m) ** 2));
}

export const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
