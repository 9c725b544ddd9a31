/**
 * The Arena leaderboard: point ratings from the full data, and confidence intervals from a seeded
 * multinomial bootstrap over the collapsed data (`compute_bootstrap_bt`): each round redraws the
 * counts, refits, applies the same scale and anchor; the interval is the 2.5 / 97.5 % quantiles.
 * Arena redraws the (model_a, model_b, outcome) cells; the fit sees a cell only through its pair and
 * outcome, so we redraw the merged (pair, win/tie/loss) cells — the same distribution for every
 * quantity the fit uses, with half the draws. Each round draws from its own seeded stream (so rounds
 * can run on two threads with identical results). Rounds start from the full-data estimate and take
 * chord-Newton steps with its Hessian factor (converged to 1e-10 in θ, 4e-8 rating points).
 * A round whose resample has no finite estimate (possible without a prior) is counted and left out.
 */
import { createRng } from '@/lib/random';
import { pairStats, type Cells, type PairStats } from './battles';
import { ARENA_SCALE, fitBradleyTerryPairs, hessianFactor, scoredPairs, toRatings, type RatingScale } from './bradley-terry';
import { checkConnectivity, type ScoredPairs } from './connectivity';
import { drawPreparedMultinomial, prepareLogFactorials, prepareMultinomial } from './sampling';

export type BtLeaderboardOptions = { rounds?: number; seed?: number; l2?: number; scale?: RatingScale };

export type LeaderboardRow = {
  system: string;
  rating: number;
  lower: number;
  upper: number;
  /** Bootstrap variance of the rating (ddof = 1, as pandas' `.var()`). */
  variance: number;
  /** 1 + number of systems whose lower bound exceeds this one's upper bound. */
  rank: number;
  battles: number;
};

export type BtLeaderboard = {
  method: 'bt';
  rows: LeaderboardRow[];
  config: { rounds: number; seed: number; l2: number; scale: RatingScale };
  /** Bootstrap rounds without a finite estimate (left out of the intervals). */
  degenerateRounds: number;
};

/** numpy's default (linear) quantile of an ascending-sorted array. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function ciAwareRanks(lower: ArrayLike<number>, upper: ArrayLike<number>): number[] {
  const ranks: number[] = [];
  for (let i = 0; i < upper.length; i++) {
    let above = 0;
    for (let j = 0; j < lower.length; j++) if (j !== i && lower[j]! > upper[i]!) above++;
    ranks.push(1 + above);
  }
  return ranks;
}

/** Rows from point ratings and bootstrap rating vectors: quantile interval, variance, CI-aware rank. */
export function summariseLeaderboard(systems: string[], point: Float64Array, samples: Float64Array[], battles: Float64Array): LeaderboardRow[] {
  const m = systems.length;
  const lower = new Float64Array(m);
  const upper = new Float64Array(m);
  const variance = new Float64Array(m);
  const column = new Float64Array(samples.length);
  for (let i = 0; i < m; i++) {
    let mean = 0;
    for (let r = 0; r < samples.length; r++) mean += (column[r] = samples[r]![i]!);
    mean /= samples.length || 1;
    let ss = 0;
    for (let r = 0; r < samples.length; r++) ss += (column[r]! - mean) ** 2;
    variance[i] = samples.length > 1 ? ss / (samples.length - 1) : Number.NaN;
    column.sort();
    lower[i] = quantileSorted(column, 0.025);
    upper[i] = quantileSorted(column, 0.975);
  }
  const ranks = ciAwareRanks(lower, upper);
  const rows = systems.map((system, i) => ({ system, rating: point[i]!, lower: lower[i]!, upper: upper[i]!, variance: variance[i]!, rank: ranks[i]!, battles: battles[i]! }));
  return rows.sort((a, b) => b.rating - a.rating || a.system.localeCompare(b.system));
}

/** Multinomial weights over merged cells (pair, outcome), in the order win, tie, loss per pair. */
export function outcomeWeights(stats: PairStats): Float64Array {
  const weights = new Float64Array(3 * stats.i.length);
  for (let k = 0; k < stats.i.length; k++) {
    weights[3 * k] = stats.wins[k]!;
    weights[3 * k + 1] = stats.ties[k]!;
    weights[3 * k + 2] = stats.losses[k]!;
  }
  return weights;
}

/** Appearances of each system in the data. */
export function battlesPerSystem(m: number, stats: PairStats): Float64Array {
  const battles = new Float64Array(m);
  for (let k = 0; k < stats.i.length; k++) {
    const n = stats.wins[k]! + stats.ties[k]! + stats.losses[k]!;
    battles[stats.i[k]!]! += n;
    battles[stats.j[k]!]! += n;
  }
  return battles;
}

/** Everything a bootstrap round needs, in transferable typed arrays (the thread runner sends it as is). */
export type BtBootstrapInput = {
  systems: string[];
  i: Uint32Array;
  j: Uint32Array;
  weights: Float64Array;
  total: number;
  start: Float64Array;
  factor: Float64Array | null;
  l2: number;
  scale: RatingScale;
  seed: number;
};

/** `rounds[k]` is the round index of `samples[k]` (the summary sorts by it, so any split sums alike). */
export type BtBootstrapRounds = { samples: Float64Array[]; rounds: number[]; degenerate: number };

/** Round r draws from its own stream, so the result does not depend on how rounds are split across threads. */
export function roundSeed(seed: number, round: number): number {
  return (Math.imul(seed + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(round + 1, 0xc2b2ae35)) >>> 0;
}

/**
 * Bootstrap rounds: redraw the merged cells, refit from the full-data estimate, scale. Rounds are
 * claimed in small chunks from `next` (a shared counter when two threads work on one leaderboard, so
 * the faster thread simply takes more), until `rounds` have been claimed.
 */
export function btBootstrapRounds(input: BtBootstrapInput, next: Int32Array, rounds: number, chunk = 4): BtBootstrapRounds {
  const { systems, l2 } = input;
  const P = input.i.length;
  prepareLogFactorials(input.total);
  const prepared = prepareMultinomial(input.weights);
  const counts = new Float64Array(3 * P);
  const resampled: ScoredPairs = { i: input.i, j: input.j, n: new Float64Array(P), s: new Float64Array(P) };
  const factor = input.factor ?? undefined;
  const samples: Float64Array[] = [];
  const done: number[] = [];
  let degenerate = 0;
  for (;;) {
    const from = Atomics.add(next, 0, chunk);
    if (from >= rounds) break;
    for (let r = from; r < Math.min(from + chunk, rounds); r++) {
      drawPreparedMultinomial(createRng(roundSeed(input.seed, r)), input.total, prepared, counts);
      for (let k = 0; k < P; k++) {
        resampled.n[k] = counts[3 * k]! + counts[3 * k + 1]! + counts[3 * k + 2]!;
        resampled.s[k] = counts[3 * k]! + 0.5 * counts[3 * k + 1]!;
      }
      let fit = fitBradleyTerryPairs(systems, resampled, { l2, start: input.start, tolerance: 1e-10, skipCheck: true, maxIterations: 200, factor });
      if (!fit.converged && (l2 > 0 || checkConnectivity(systems, resampled).ok)) {
        // Chord steps can fail far from the full-data estimate (sparse data): full Newton with line search.
        fit = fitBradleyTerryPairs(systems, resampled, { l2, start: input.start, skipCheck: true });
      }
      // A resample without a finite estimate (some group never loses) cannot converge: counted, left out.
      if (fit.converged) {
        samples.push(toRatings(systems, fit.theta, input.scale));
        done.push(r);
      } else degenerate++;
    }
  }
  return { samples, rounds: done, degenerate };
}

type Prepared = { config: BtLeaderboard['config']; input: BtBootstrapInput; point: Float64Array; battles: Float64Array };

function prepareLeaderboard(cells: Cells, options: BtLeaderboardOptions): Prepared {
  const config = { rounds: options.rounds ?? 100, seed: options.seed ?? 0, l2: options.l2 ?? 0, scale: options.scale ?? ARENA_SCALE };
  const systems = cells.systems;
  const stats = pairStats(cells);
  const full = scoredPairs(stats);
  const point = fitBradleyTerryPairs(systems, full, { l2: config.l2 });
  const factor = hessianFactor(systems.length, full, point.theta, config.l2);
  const input: BtBootstrapInput = {
    systems,
    i: Uint32Array.from(stats.i),
    j: Uint32Array.from(stats.j),
    weights: outcomeWeights(stats),
    total: Math.round(cells.total),
    start: point.theta,
    factor,
    l2: config.l2,
    scale: config.scale,
    seed: config.seed,
  };
  return { config, input, point: toRatings(systems, point.theta, config.scale), battles: battlesPerSystem(systems.length, stats) };
}

function finish(p: Prepared, parts: BtBootstrapRounds[]): BtLeaderboard {
  const samples = parts
    .flatMap((part) => part.samples.map((sample, k) => ({ sample, round: part.rounds[k]! })))
    .sort((a, b) => a.round - b.round)
    .map((x) => x.sample);
  const degenerateRounds = parts.reduce((s, part) => s + part.degenerate, 0);
  return { method: 'bt', rows: summariseLeaderboard(p.input.systems, p.point, samples, p.battles), config: p.config, degenerateRounds };
}

export function bradleyTerryLeaderboard(cells: Cells, options: BtLeaderboardOptions = {}): BtLeaderboard {
  const p = prepareLeaderboard(cells, options);
  return finish(p, [btBootstrapRounds(p.input, new Int32Array(1), p.config.rounds)]);
}

/** Claims and runs bootstrap rounds from the shared counter on another thread (lib/threads). */
export type BtRoundRunner = (input: BtBootstrapInput, next: Int32Array, rounds: number) => Promise<BtBootstrapRounds>;

/**
 * The same leaderboard with the bootstrap shared between this thread and `runner`, both claiming
 * rounds from one counter. Identical to `bradleyTerryLeaderboard` for the same seed: every round has
 * its own stream, and the summary does not depend on the order of the samples.
 */
export async function bradleyTerryLeaderboardSplit(cells: Cells, options: BtLeaderboardOptions, runner: BtRoundRunner): Promise<BtLeaderboard> {
  const p = prepareLeaderboard(cells, options);
  const next = new Int32Array(new SharedArrayBuffer(4));
  const away = p.config.rounds > 8 ? runner(p.input, next, p.config.rounds) : Promise.resolve({ samples: [], rounds: [], degenerate: 0 });
  const here = btBootstrapRounds(p.input, next, p.config.rounds);
  return finish(p, [here, await away]);
}
