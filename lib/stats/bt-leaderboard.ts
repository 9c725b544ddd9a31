/**
 * The Arena leaderboard: point ratings from the full data, and confidence intervals from a seeded
 * multinomial bootstrap over the unique cells (`compute_bootstrap_bt`): each round redraws the cell
 * counts, refits, applies the same scale and anchor, and the interval is the 2.5 / 97.5 % quantiles.
 * A round whose resample has no finite estimate (possible without a prior) is counted and left out.
 */
import { createRng } from '@/lib/random';
import { pairTotals, type Cells } from './battles';
import { ARENA_SCALE, DisconnectedComparisonsError, fitBradleyTerry, fitBradleyTerryTotals, toRatings, type RatingScale } from './bradley-terry';
import { multinomial } from './sampling';

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

export function bradleyTerryLeaderboard(cells: Cells, options: BtLeaderboardOptions = {}): BtLeaderboard {
  const config = { rounds: options.rounds ?? 100, seed: options.seed ?? 0, l2: options.l2 ?? 0, scale: options.scale ?? ARENA_SCALE };
  const m = cells.systems.length;
  const point = toRatings(cells.systems, fitBradleyTerry(cells, { l2: config.l2 }).theta, config.scale);

  const rng = createRng(config.seed);
  const counts = new Float64Array(cells.w.length);
  const samples: Float64Array[] = [];
  let degenerateRounds = 0;
  for (let r = 0; r < config.rounds; r++) {
    multinomial(rng, Math.round(cells.total), cells.w, counts);
    const { n, s } = pairTotals(cells, counts);
    try {
      const fit = fitBradleyTerryTotals(cells.systems, n, s, { l2: config.l2 });
      if (!fit.converged) throw new DisconnectedComparisonsError({ ok: false, components: [], neverWins: [], neverLoses: [], message: 'did not converge' });
      samples.push(toRatings(cells.systems, fit.theta, config.scale));
    } catch (error) {
      if (!(error instanceof DisconnectedComparisonsError)) throw error;
      degenerateRounds++;
    }
  }

  const battles = new Float64Array(m);
  for (let k = 0; k < cells.i.length; k++) {
    battles[cells.i[k]!]! += cells.w[k]!;
    battles[cells.j[k]!]! += cells.w[k]!;
  }
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
  const rows = cells.systems.map((system, i) => ({ system, rating: point[i]!, lower: lower[i]!, upper: upper[i]!, variance: variance[i]!, rank: ranks[i]!, battles: battles[i]! }));
  rows.sort((a, b) => b.rating - a.rating || a.system.localeCompare(b.system));
  return { method: 'bt', rows, config, degenerateRounds };
}
