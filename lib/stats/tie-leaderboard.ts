/**
 * Davidson / Rao–Kupper leaderboards with the same seeded multinomial bootstrap as the BT one:
 * point ratings and tie parameter from the full data, intervals from refits on resampled counts.
 */
import { createRng } from '@/lib/random';
import { pairStats, type Cells, type PairStats } from './battles';
import { battlesPerSystem, outcomeWeights, quantileSorted, summariseLeaderboard, type LeaderboardRow } from './bt-leaderboard';
import { drawPreparedMultinomial, prepareLogFactorials, prepareMultinomial } from './sampling';
import { fitTieModel, tieModelRatings, type TieModel } from './tie-models';

export type TieLeaderboard = {
  method: TieModel;
  rows: LeaderboardRow[];
  /** Davidson ν or Rao–Kupper η, with its bootstrap 95% interval. */
  tieParameter: { value: number; lower: number; upper: number };
  config: { rounds: number; seed: number };
  degenerateRounds: number;
};

export function tieModelLeaderboard(model: TieModel, cells: Cells, options: { rounds?: number; seed?: number } = {}): TieLeaderboard {
  const config = { rounds: options.rounds ?? 100, seed: options.seed ?? 0 };
  const m = cells.systems.length;
  const stats = pairStats(cells);
  const point = fitTieModel(model, m, stats);
  if (!point.converged) throw new Error(`the ${model} fit did not converge (is every system connected to the others by wins, losses or ties?)`);
  const weights = outcomeWeights(stats);
  const total = Math.round(cells.total);
  prepareLogFactorials(total);
  const rng = createRng(config.seed);
  const prepared = prepareMultinomial(weights);
  const counts = new Float64Array(weights.length);
  const resampled: PairStats = { i: stats.i, j: stats.j, wins: new Float64Array(stats.i.length), ties: new Float64Array(stats.i.length), losses: new Float64Array(stats.i.length) };
  const samples: Float64Array[] = [];
  const tieSamples: number[] = [];
  let degenerateRounds = 0;
  for (let r = 0; r < config.rounds; r++) {
    drawPreparedMultinomial(rng, total, prepared, counts);
    for (let k = 0; k < stats.i.length; k++) {
      resampled.wins[k] = counts[3 * k]!;
      resampled.ties[k] = counts[3 * k + 1]!;
      resampled.losses[k] = counts[3 * k + 2]!;
    }
    try {
      const fit = fitTieModel(model, m, resampled, point);
      if (!fit.converged) throw new Error('no finite estimate');
      samples.push(tieModelRatings(fit));
      tieSamples.push(fit.tieParameter);
    } catch {
      degenerateRounds++;
    }
  }
  tieSamples.sort((a, b) => a - b);
  return {
    method: model,
    rows: summariseLeaderboard(cells.systems, tieModelRatings(point), samples, battlesPerSystem(m, stats)),
    tieParameter: { value: point.tieParameter, lower: quantileSorted(tieSamples, 0.025), upper: quantileSorted(tieSamples, 0.975) },
    config,
    degenerateRounds,
  };
}
