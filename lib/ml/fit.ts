/**
 * Fitting reward models: each member (its own seed and bootstrap resample) trained with Adam over
 * minibatches of pairs, rankings and ratings, resumable from a checkpoint; ensemble members optionally
 * split with a worker thread (lib/threads/ml-pool.ts). The losses are in losses.ts, the model in reward-model.ts.
 */
import { createRng } from '@/lib/random';
import { tf } from './backend';
import { createAdam } from './adam';
import { btLoss, pairwiseRewardLoss, plackettLuceLoss } from './losses';
import { forward, gpmForward, makeTower, mean, RewardModel, towerVariables, type PreferenceData, type RewardModelConfig, type Tower } from './reward-model';
import { toBatch, type SparseBatch } from './sparse';

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
  const optimizer = createAdam(config.learningRate);
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
    // Epochs of other threads arrive as messages, so their reports cannot be awaited where they arrive:
    // each one's failure (a metrics write) is kept and raised once the threads are done.
    let remoteReportError: unknown = null;
    const reportRemoteEpoch = (r: Omit<EpochReport, 'model' | 'checkpointable'>) => {
      Promise.resolve(hooks.onEpoch?.({ ...r, model, checkpointable: false })).catch((error: unknown) => (remoteReportError ??= error));
    };
    const remote = hooks.parallel(data, config, theirs, reportRemoteEpoch).then(async (results) => {
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
    if (remoteReportError) throw remoteReportError;
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
    if (config.kind === 'gpm') {
      const margin = config.useMargin ? tf.tensor1d(batch.map((p) => (p.tie ? 0 : p.margin))) : null;
      const score = gpmForward(s.model, xa, xb, tower);
      const z = tf.div(margin ? tf.sub(score, margin) : score, config.tau) as tf.Tensor1D;
      parts.push(tf.mean(btLoss(z, null, config.labelSmoothing)) as tf.Scalar);
    } else {
      parts.push(pairwiseRewardLoss(reward(xa), reward(xb), batch, { useMargin: config.useMargin, labelSmoothing: config.labelSmoothing, centering: config.centering, logNu: s.useDavidson ? s.nu : null }));
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
