/**
 * Reward models behind one interface — fit, score, save, load (ALGORITHMS.md 2.1–2.6):
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
import { createRng } from '@/lib/random';
import { tf } from './backend';
import { btLoss, davidsonLoss, gpmScore, plackettLuceLoss } from './losses';
import { densify, type SparseVector } from './features/hashed-ngrams';

import type { EnsembleAggregation, RewardModelKind } from './kinds';

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

/**
 * `checkpointable`: the model holds every member up to `member`, trained through `epoch` (so it can be
 * saved and resumed from). With parallel members only completed-member reports (`memberDone`) are.
 */
export type EpochReport = { epoch: number; member: number; loss: number; seconds: number; examples: number; model: RewardModel; checkpointable: boolean; memberDone?: boolean };
export type FitHooks = {
  onEpoch?: (r: EpochReport) => void | Promise<void>;
  signal?: AbortSignal;
  /** Continue a fit from a checkpoint: members before `member` are complete, `member` has finished `epoch` epochs. */
  resume?: { weights: Map<string, tf.Tensor>; member: number; epoch: number };
  /** Train ensemble members on other threads too (lib/threads/ml-pool.ts). */
  parallel?: MemberRunner;
};

type Tower = { w1: tf.Variable | null; b1: tf.Variable | null; w2: tf.Variable; b2: tf.Variable };

/** A tower: relu(x·W1 + b1)·W2 + b2 (or x·W2 + b2 when linear). */
function makeTower(inputs: number, hidden: number, outputs: number, seed: number, prefix: string): Tower {
  if (hidden <= 0) return { w1: null, b1: null, w2: tf.variable(tf.randomNormal([inputs, outputs], 0, 0.1, 'float32', seed), true, `${prefix}w2`), b2: tf.variable(tf.zeros([outputs]), true, `${prefix}b2`) };
  return {
    w1: tf.variable(tf.randomNormal([inputs, hidden], 0, 0.5, 'float32', seed), true, `${prefix}w1`),
    b1: tf.variable(tf.zeros([hidden]), true, `${prefix}b1`),
    w2: tf.variable(tf.randomNormal([hidden, outputs], 0, 1 / Math.sqrt(hidden), 'float32', seed + 1), true, `${prefix}w2`),
    b2: tf.variable(tf.zeros([outputs]), true, `${prefix}b2`),
  };
}

/**
 * A minibatch kept sparse: the non-zeros of every row (index, value, row), so the first layer is a
 * gather of weight rows and a segment sum — never a [rows × dims] dense matrix (a response has a few
 * hundred non-zeros among thousands of dimensions). Also the prompt block's non-zeros, for GPM scales.
 */
export type SparseBatch = { rows: number; idx: tf.Tensor1D; val: tf.Tensor2D; seg: tf.Tensor1D; promptIdx: tf.Tensor1D; promptVal: tf.Tensor2D; promptSeg: tf.Tensor1D; dense: tf.Tensor2D | null };

/**
 * `denseDims`: also a dense [rows × dims] copy, for MLP towers — at ~15% density a dense XNNPACK product
 * of a 64-wide layer beats gathering 64-wide rows (bench/reward-head.ts measured both).
 */
export function toBatch(vectors: readonly SparseVector[], promptBlock: [number, number], denseDims = 0): SparseBatch {
  let nnz = 0;
  let pnz = 0;
  for (const v of vectors) {
    nnz += v.index.length;
    for (const i of v.index) if (i >= promptBlock[0] && i < promptBlock[1]) pnz++;
  }
  const idx = new Int32Array(nnz);
  const val = new Float32Array(nnz);
  const seg = new Int32Array(nnz);
  const pIdx = new Int32Array(pnz);
  const pVal = new Float32Array(pnz);
  const pSeg = new Int32Array(pnz);
  let o = 0;
  let p = 0;
  vectors.forEach((v, r) => {
    idx.set(v.index, o);
    val.set(v.value, o);
    seg.fill(r, o, o + v.index.length);
    o += v.index.length;
    for (let k = 0; k < v.index.length; k++) {
      const i = v.index[k]!;
      if (i < promptBlock[0] || i >= promptBlock[1]) continue;
      pIdx[p] = i - promptBlock[0];
      pVal[p] = v.value[k]!;
      pSeg[p++] = r;
    }
  });
  return {
    rows: vectors.length,
    idx: tf.tensor1d(idx, 'int32'),
    val: tf.tensor2d(val, [nnz, 1]),
    seg: tf.tensor1d(seg, 'int32'),
    promptIdx: tf.tensor1d(pIdx, 'int32'),
    promptVal: tf.tensor2d(pVal, [pnz, 1]),
    promptSeg: tf.tensor1d(pSeg, 'int32'),
    dense: denseDims ? tf.tensor2d(densify(vectors, denseDims), [vectors.length, denseDims]) : null,
  };
}

/** Σ_k value_k · W[index_k] per row: a sparse × dense product as gather + segment sum (its gradient is the same pair reversed). */
export function sparseMatMul(idx: tf.Tensor1D, val: tf.Tensor2D, seg: tf.Tensor1D, rows: number, w: tf.Tensor2D): tf.Tensor2D {
  // A custom gradient: dW = segment-sum over the feature ids of dy[row]·value — tfjs's own chain
  // (gather's and segment-sum's gradients) adds masks for negative ids that cost more than the product.
  // The index tensors are inputs (saved), not closures: the gradient runs after the forward scope ends.
  const body = (weights: tf.Tensor, i: tf.Tensor, v: tf.Tensor, s: tf.Tensor, save: tf.GradSaveFunc) => {
    save([i, v, s]);
    return {
      value: tf.unsortedSegmentSum(tf.mul(tf.gather(weights, i), v), s as tf.Tensor1D, rows),
      gradFunc: (dy: tf.Tensor, [si, sv, ss]: tf.Tensor[]) => [tf.unsortedSegmentSum(tf.mul(tf.gather(dy, ss!), sv!), si as tf.Tensor1D, w.shape[0]), tf.zerosLike(si!), tf.zerosLike(sv!), tf.zerosLike(ss!)],
    };
  };
  // customGrad's typing has no room for a 4-input function with the save callback last.
  const op = tf.customGrad(body as never) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor;
  return op(w, idx, val, seg) as tf.Tensor2D;
}

function forward(t: Tower, x: SparseBatch): tf.Tensor2D {
  if (!t.w1) return tf.add(sparseMatMul(x.idx, x.val, x.seg, x.rows, t.w2 as tf.Tensor2D), t.b2) as tf.Tensor2D;
  const first = x.dense ? tf.matMul(x.dense, t.w1) : sparseMatMul(x.idx, x.val, x.seg, x.rows, t.w1 as tf.Tensor2D);
  const h = tf.relu(tf.add(first, t.b1!));
  return tf.add(tf.matMul(h as tf.Tensor2D, t.w2), t.b2) as tf.Tensor2D;
}

const towerVariables = (t: Tower) => [t.w1, t.b1, t.w2, t.b2].filter((v): v is tf.Variable => v !== null);

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

function gpmForward(model: RewardModel, xa: SparseBatch, xb: SparseBatch, tower?: Tower): tf.Tensor1D {
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

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
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

/** Fits a model of `config.kind` on the data. Members train one after another (each with its own seed and resample). */
/** A member's trained parameters as plain arrays (what a worker thread sends back). */
export type MemberWeights = { member: number; tensors: { name: string; shape: number[]; data: Float32Array }[]; draws: Uint16Array | null };

/** Trains ensemble members on other threads; `onEpoch` reports their epochs as they finish. */
export type MemberRunner = (data: PreferenceData, config: RewardModelConfig, members: number[], onEpoch: (r: Omit<EpochReport, 'model' | 'checkpointable'>) => void) => Promise<MemberWeights[]>;

type FitContext = {
  data: PreferenceData;
  config: RewardModelConfig;
  model: RewardModel;
  unique: string;
  outputs: number;
  useDavidson: boolean;
  rankingRows: number[][][];
  scaleLayer: tf.Variable | null;
};

function contextFor(data: PreferenceData, config: RewardModelConfig, scaleLayer: tf.Variable | null, model: RewardModel): FitContext {
  const kind = config.kind;
  return {
    data,
    config,
    model,
    unique: `${config.seed}_${Date.now()}_${Math.random().toString(36).slice(2)}`,
    outputs: kind === 'gpm' ? config.gpmDims : kind === 'regression' ? config.attributes.length : 1,
    useDavidson: kind !== 'gpm' && config.ties === 'davidson' && data.pairs.some((p) => p.tie),
    rankingRows: config.rankings === 'plackett-luce' && kind !== 'gpm' ? data.rankings : [],
    scaleLayer,
  };
}

/**
 * Trains member m (its own seed and bootstrap resample) for epochs firstEpoch…epochs, starting from
 * `restore`d tensors when given. Resampling and shuffles replay from the member's seed, so a resumed
 * member sees the same data order.
 */
async function trainMember(
  c: FitContext,
  m: number,
  options: { firstEpoch: number; restore?: (name: string) => tf.Variable; signal?: AbortSignal; onEpoch?: (r: { epoch: number; loss: number; seconds: number; examples: number; tower: Tower; nu: tf.Variable | null }) => Promise<void> | void },
): Promise<{ tower: Tower; nu: tf.Variable | null; draws: Uint16Array | null }> {
  const { data, config } = c;
  const seed = config.seed * 1000 + m * 17 + 1;
  const rng = createRng(seed);
  const restore = options.restore;
  const tower: Tower = restore
    ? { w1: config.hidden > 0 ? restore(`member${m}.w1`) : null, b1: config.hidden > 0 ? restore(`member${m}.b1`) : null, w2: restore(`member${m}.w2`), b2: restore(`member${m}.b2`) }
    : makeTower(data.dims, config.hidden, c.outputs, seed, `m${m}_${c.unique}_`);
  const nu = c.useDavidson ? (restore ? restore(`member${m}.log_nu`) : tf.variable(tf.scalar(0), true, `nu${m}_${c.unique}`)) : null;
  let pairs = config.ties === 'drop' || config.kind === 'gpm' ? data.pairs.filter((p) => !p.tie) : data.pairs;
  let draws: Uint16Array | null = null;
  if (config.kind === 'ensemble' && config.bootstrap) {
    const counts = new Uint16Array(pairs.length);
    const source = pairs;
    pairs = source.map(() => {
      const i = rng.int(0, source.length - 1);
      counts[i]!++;
      return source[i]!;
    });
    draws = counts;
  }
  if (options.firstEpoch > config.epochs) return { tower, nu, draws };
  const vars = [...towerVariables(tower), ...(nu ? [nu] : []), ...(c.scaleLayer && m === 0 ? [c.scaleLayer] : [])];
  const optimizer = tf.train.adam(config.learningRate);
  // Rankings and ratings are spread over the same steps; with few pairs, their own count sets the step count.
  const batches = Math.max(1, Math.ceil(Math.max(pairs.length, c.rankingRows.length * 4, data.ratings.length) / config.batchSize));
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const started = performance.now();
      const order = rng.shuffle([...pairs.keys()]);
      const rankingOrder = rng.shuffle([...c.rankingRows.keys()]);
      const ratingOrder = rng.shuffle([...data.ratings.keys()]);
      if (epoch < options.firstEpoch) continue;
      let total = 0;
      let yielded = performance.now();
      for (let b = 0; b < batches; b++) {
        // Let the worker's heartbeat (and messages from other threads) run during long epochs.
        if (performance.now() - yielded > 250) {
          await new Promise((resolve) => setImmediate(resolve));
          yielded = performance.now();
        }
        options.signal?.throwIfAborted();
        const batch = order.slice(b * config.batchSize, (b + 1) * config.batchSize).map((i) => pairs[i]!);
        const rankBatch = rankingOrder.filter((_, i) => i % batches === b).map((i) => c.rankingRows[i]!);
        const rateBatch = ratingOrder.filter((_, i) => i % batches === b).map((i) => data.ratings[i]!);
        const loss = optimizer.minimize(() => stepLoss({ model: c.model, tower, nu, data, config, batch, rankBatch, rateBatch, rng, useDavidson: c.useDavidson }), true, vars);
        total += loss!.dataSync()[0]!;
        loss!.dispose();
      }
      await options.onEpoch?.({ epoch, loss: total / batches, seconds: (performance.now() - started) / 1000, examples: pairs.length + c.rankingRows.length + data.ratings.length, tower, nu });
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    optimizer.dispose();
  }
  return { tower, nu, draws };
}

/** One ensemble member trained on its own (the worker-thread side of parallel members). */
export async function trainMemberWeights(data: PreferenceData, config: RewardModelConfig, m: number, onEpoch?: (r: { epoch: number; loss: number; seconds: number; examples: number }) => void): Promise<MemberWeights> {
  const model = new RewardModel(config, data.dims, data.promptBlock, [], [], null, []);
  const c = contextFor(data, config, null, model);
  const { tower, nu, draws } = await trainMember(c, m, { firstEpoch: 1, onEpoch: (r) => onEpoch?.({ epoch: r.epoch, loss: r.loss, seconds: r.seconds, examples: r.examples }) });
  const tensors = [...Object.entries(tower).filter(([, v]) => v), ...(nu ? [['log_nu', nu] as const] : [])].map(([key, v]) => ({ name: `member${m}.${key}`, shape: (v as tf.Tensor).shape, data: (v as tf.Tensor).dataSync() as Float32Array }));
  for (const v of [...towerVariables(tower), ...(nu ? [nu] : [])]) v.dispose();
  return { member: m, tensors, draws };
}

/**
 * Fits a model of `config.kind` on the data. Ensemble members train one after another, or — with a
 * `parallel` runner and no checkpoint to resume — split between this thread and worker threads.
 */
export async function fitRewardModel(data: PreferenceData, config: RewardModelConfig, hooks: FitHooks = {}): Promise<RewardModel> {
  const kind = config.kind;
  const memberCount = kind === 'ensemble' ? config.members : 1;
  if (kind === 'gpm' && (config.gpmDims < 2 || config.gpmDims % 2)) throw new Error('gpmDims must be an even number ≥ 2');
  if (kind === 'regression' && config.attributes.length === 0) throw new Error('a regression model needs at least one rated attribute');
  const [plo, phi] = data.promptBlock;
  const towers: Tower[] = [];
  const logNu: tf.Variable[] = [];
  const resume = hooks.resume;
  const tag = `${Date.now()}_${Math.random().toString(36).slice(2)}`;
  const fromCheckpoint = (name: string) => {
    const t = resume?.weights.get(name);
    if (!t) throw new Error(`the checkpoint has no tensor ${name}`);
    return tf.variable(t, true, `${name}_${tag}`);
  };
  const scaleLayer = kind === 'gpm' && config.promptScales ? (resume ? fromCheckpoint('gpm.scale') : tf.variable(tf.zeros([phi - plo, config.gpmDims / 2]), true, `gpm_scale_${tag}`)) : null;
  const model = new RewardModel(config, data.dims, data.promptBlock, towers, logNu, scaleLayer, []);
  const c = contextFor(data, config, scaleLayer, model);
  const bags: (Uint16Array | null)[] = [];

  if (hooks.parallel && memberCount > 1 && !resume) {
    // Members alternate between this thread (even) and the runner (odd); finished members are
    // assembled in order, and a report is checkpointable once every member up to it is done.
    const mine = Array.from({ length: memberCount }, (_, m) => m).filter((m) => m % 2 === 0);
    const theirs = Array.from({ length: memberCount }, (_, m) => m).filter((m) => m % 2 === 1);
    const done = new Map<number, { tower: Tower; nu: tf.Variable | null; draws: Uint16Array | null }>();
    let prefix = 0;
    const settle = async () => {
      while (done.has(prefix)) {
        const d = done.get(prefix)!;
        towers.push(d.tower);
        if (d.nu) logNu.push(d.nu);
        bags.push(d.draws);
        prefix++;
        await hooks.onEpoch?.({ epoch: config.epochs, member: prefix - 1, loss: Number.NaN, seconds: 0, examples: 0, model, checkpointable: true, memberDone: true });
      }
    };
    const remote = hooks.parallel(data, config, theirs, (r) => void hooks.onEpoch?.({ ...r, model, checkpointable: false })).then(async (results) => {
      for (const r of results) {
        const weights = new Map(r.tensors.map((t) => [t.name, tf.tensor(t.data, t.shape)]));
        const take = (name: string) => tf.variable(weights.get(name)!, true, `${name}_${tag}`);
        done.set(r.member, { tower: { w1: config.hidden > 0 ? take(`member${r.member}.w1`) : null, b1: config.hidden > 0 ? take(`member${r.member}.b1`) : null, w2: take(`member${r.member}.w2`), b2: take(`member${r.member}.b2`) }, nu: weights.has(`member${r.member}.log_nu`) ? take(`member${r.member}.log_nu`) : null, draws: r.draws });
        for (const t of weights.values()) t.dispose();
      }
      await settle();
    });
    for (const m of mine) {
      const result = await trainMember(c, m, { firstEpoch: 1, signal: hooks.signal, onEpoch: (r) => hooks.onEpoch?.({ epoch: r.epoch, member: m, loss: r.loss, seconds: r.seconds, examples: r.examples, model, checkpointable: false }) });
      done.set(m, result);
      await settle();
    }
    await remote;
    await settle();
  } else {
    for (let m = 0; m < memberCount; m++) {
      const restored = resume && m <= resume.member;
      const firstEpoch = resume && m === resume.member ? resume.epoch + 1 : resume && m < resume.member ? config.epochs + 1 : 1;
      let current: { tower: Tower; nu: tf.Variable | null } | null = null;
      const result = await trainMember(c, m, {
        firstEpoch,
        restore: restored ? fromCheckpoint : undefined,
        signal: hooks.signal,
        onEpoch: async (r) => {
          // The member in training is the model's last one while it reports.
          if (!current) {
            current = { tower: r.tower, nu: r.nu };
            towers.push(r.tower);
            if (r.nu) logNu.push(r.nu);
          }
          await hooks.onEpoch?.({ epoch: r.epoch, member: m, loss: r.loss, seconds: r.seconds, examples: r.examples, model, checkpointable: true });
        },
      });
      if (!current) {
        towers.push(result.tower);
        if (result.nu) logNu.push(result.nu);
      }
      bags.push(result.draws);
    }
  }
  if (kind === 'ensemble' && config.bootstrap) model.bags = bags.map((b) => b ?? new Uint16Array(0));
  if (kind !== 'gpm') {
    // Member norms on the training responses, so aggregation compares like with like.
    const used = [...new Set(data.pairs.flatMap((p) => [p.a, p.b]))].map((i) => data.features[i]!);
    model.norms = model.memberRewards(used.length ? used : data.features.slice(0, 1)).map((r) => {
      const mu = mean(Array.from(r));
      const sd = Math.sqrt(mean(Array.from(r, (v) => (v - mu) ** 2))) || 1;
      return { mean: mu, std: sd };
    });
  } else model.norms = [{ mean: 0, std: 1 }];
  return model;
}

function stepLoss(s: {
  model: RewardModel;
  tower: Tower;
  nu: tf.Variable | null;
  data: PreferenceData;
  config: RewardModelConfig;
  batch: PreferenceData['pairs'];
  rankBatch: number[][][];
  rateBatch: PreferenceData['ratings'];
  rng: ReturnType<typeof createRng>;
  useDavidson: boolean;
}): tf.Scalar {
  const { data, config, batch, tower } = s;
  const parts: tf.Scalar[] = [];
  const rowsOf = (idx: number[]) => toBatch(idx.map((i) => data.features[i]!), data.promptBlock, config.hidden > 0 ? data.dims : 0);
  const reward = (x: SparseBatch) => {
    const out = forward(tower, x);
    return (config.kind === 'regression' ? tf.mean(out, 1) : tf.reshape(out, [-1])) as tf.Tensor1D;
  };
  if (batch.length) {
    const xa = rowsOf(batch.map((p) => p.a));
    const xb = rowsOf(batch.map((p) => p.b));
    const margin = config.useMargin ? tf.tensor1d(batch.map((p) => (p.tie ? 0 : p.margin))) : null;
    if (config.kind === 'gpm') {
      const score = gpmForward(s.model, xa, xb, tower);
      const z = tf.div(margin ? tf.sub(score, margin) : score, config.tau) as tf.Tensor1D;
      parts.push(tf.mean(btLoss(z, null, config.labelSmoothing)) as tf.Scalar);
    } else {
      const ra = reward(xa);
      const rb = reward(xb);
      const delta = tf.sub(ra, rb) as tf.Tensor1D;
      const isTie = tf.tensor1d(batch.map((p) => (p.tie ? 1 : 0)));
      if (s.useDavidson && s.nu) {
        parts.push(tf.mean(davidsonLoss(margin ? (tf.sub(delta, tf.mul(margin, tf.sub(1, isTie))) as tf.Tensor1D) : delta, isTie, s.nu)) as tf.Scalar);
      } else {
        // Ties as half a win each way (when kept without a tie head).
        const decisive = tf.mul(btLoss(delta, margin, config.labelSmoothing), tf.sub(1, isTie));
        const half = tf.mul(tf.mul(tf.add(btLoss(delta, null, 0), btLoss(tf.neg(delta) as tf.Tensor1D, null, 0)), 0.5), isTie);
        parts.push(tf.mean(tf.add(decisive, half)) as tf.Scalar);
      }
      if (config.centering > 0) parts.push(tf.mul(tf.mean(tf.square(tf.add(ra, rb))), config.centering) as tf.Scalar);
    }
  }
  if (s.rankBatch.length && config.kind !== 'gpm') {
    const lists = s.rankBatch.map((groups) => groups.flatMap((g) => s.rng.shuffle([...g])));
    const K = Math.max(...lists.map((l) => l.length));
    const flat = lists.flatMap((l) => l);
    const scores = reward(rowsOf(flat));
    // Scatter the flat scores into an [N, K] grid padded with a very low score.
    const index: number[] = [];
    let o = 0;
    for (const l of lists) {
      for (let k = 0; k < K; k++) index.push(k < l.length ? o + k : flat.length);
      o += l.length;
    }
    const padded = tf.gather(tf.concat([scores, tf.tensor1d([-1e9])]), tf.tensor1d(index, 'int32')).reshape([lists.length, K]) as tf.Tensor2D;
    parts.push(tf.mean(plackettLuceLoss(padded, lists.map((l) => l.length))) as tf.Scalar);
  }
  if (s.rateBatch.length && config.kind === 'regression') {
    const out = forward(tower, rowsOf(s.rateBatch.map((r) => r.row)));
    const attrs = config.attributes;
    const target = tf.tensor2d(s.rateBatch.map((r) => attrs.map((a) => r.values[a] ?? Number.NaN)));
    const known = tf.tensor2d(s.rateBatch.map((r) => attrs.map((a) => (r.values[a] === undefined ? 0 : 1))));
    const err = tf.mul(tf.square(tf.sub(out, tf.where(tf.isNaN(target), tf.zerosLike(target), target))), known);
    parts.push(tf.div(tf.sum(err), tf.maximum(tf.sum(known), 1)) as tf.Scalar);
  }
  let total: tf.Scalar = parts.length ? (tf.addN(parts) as tf.Scalar) : tf.scalar(0);
  if (config.l2 > 0) total = tf.add(total, tf.mul(tf.addN(towerVariables(tower).map((v) => tf.sum(tf.square(v)))), config.l2)) as tf.Scalar;
  return total;
}
