/**
 * The Arena leaderboard: point ratings from the full data, and confidence intervals from a seeded
 * multinomial bootstrap over the collapsed data (`compute_bootstrap_bt`): each round redraws the
 * counts, refits, applies the same scale and anchor; the interval is the 2.5 / 97.5 % quantiles.
 * Arena redraws the (model_a, model_b, outcome) cells; the fit sees a cell only through its pair and
 * outcome, so we redraw the merged (pair, win/tie/loss) cells — the same distribution for every
 * quantity the fit uses, with half the draws. Rounds start from the full-data estimate and take
 * chord-Newton steps with its Hessian factor (converged to 1e-10 in θ, 4e-8 rating points).
 * A round whose resample has no finite estimate (possible without a prior) is counted and left out.
 */
import { createRng } from '@/lib/random';
import { pairStats, type Cells, type PairStats } from './battles';
import { ARENA_SCALE, fitBradleyTerryPairs, hessianFactor, scoredPairs, toRatings, type RatingScale } from './bradley-terry';
import { checkConnectivity, type ScoredPairs } from './connectivity';
import { multinomial, prepareLogFactorials } from './sampling';

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

export function bradleyTerryLeaderboard(cells: Cells, options: BtLeaderboardOptions = {}): BtLeaderboard {
  const config = { rounds: options.rounds ?? 100, seed: options.seed ?? 0, l2: options.l2 ?? 0, scale: options.scale ?? ARENA_SCALE };
  const systems = cells.systems;
  const stats = pairStats(cells);
  const full = scoredPairs(stats);
  const point = fitBradleyTerryPairs(systems, full, { l2: config.l2 });
  const P = stats.i.length;
  const factor = hessianFactor(systems.length, full, point.theta, config.l2) ?? undefined;

  const weights = outcomeWeights(stats);
  const total = Math.round(cells.total);
  prepareLogFactorials(total);
  const rng = createRng(config.seed);
  const counts = new Float64Array(3 * P);
  const resampled: ScoredPairs = { i: stats.i, j: stats.j, n: new Float64Array(P), s: new Float64Array(P) };
  const samples: Float64Array[] = [];
  let degenerateRounds = 0;
  for (let r = 0; r < config.rounds; r++) {
    multinomial(rng, total, weights, counts);
    for (let k = 0; k < P; k++) {
      resampled.n[k] = counts[3 * k]! + counts[3 * k + 1]! + counts[3 * k + 2]!;
      resampled.s[k] = counts[3 * k]! + 0.5 * counts[3 * k + 1]!;
    }
    let fit = fitBradleyTerryPairs(systems, resampled, { l2: config.l2, start: point.theta, tolerance: 1e-10, skipCheck: true, maxIterations: 200, factor });
    if (!fit.converged && (config.l2 > 0 || checkConnectivity(systems, resampled).ok)) {
      // Chord steps can fail far from the full-data estimate (sparse data): full Newton with line search.
      fit = fitBradleyTerryPairs(systems, resampled, { l2: config.l2, start: point.theta, skipCheck: true });
    }
    // A resample without a finite estimate (some group never loses) cannot converge: counted, left out.
    if (fit.converged) samples.push(toRatings(systems, fit.theta, config.scale));
    else degenerateRounds++;
  }

  const rows = summariseLeaderboard(systems, toRatings(systems, point.theta, config.scale), samples, battlesPerSystem(systems.length, stats));
  return { method: 'bt', rows, config, degenerateRounds };
}
