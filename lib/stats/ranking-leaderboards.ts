/**
 * Leaderboards that do not go through the pairwise cells: Plackett–Luce over rankings (k-wise
 * judgments keep their full order and ties; a pairwise judgment is a ranking of two), and Chatbot
 * Arena's online Elo baseline. Both report the same rows as Bradley–Terry (400·log10 scale, base 1000,
 * bootstrap 95% intervals, CI-aware ranks), so the UI and CLI treat every method alike.
 */
import { createRng } from '@/lib/random';
import type { BattleTable } from './battles';
import { summariseLeaderboard, type LeaderboardRow } from './bt-leaderboard';
import { onlineElo } from './elo';
import { fitPlackettLuce } from './plackett-luce';

export type RankingData = { systems: string[]; rankings: number[][][] };

export type PlLeaderboard = { method: 'pl'; rows: LeaderboardRow[]; config: { rounds: number; seed: number }; degenerateRounds: number; rankings: number };
export type EloLeaderboard = { method: 'elo'; rows: LeaderboardRow[]; config: { rounds: number; seed: number; k: number }; degenerateRounds: number };

/** Natural-log PL worth → the Arena scale, centred like BT (mean worth 0 ↦ 1000). */
const toRating = (r: Float64Array) => r.map((x) => (400 * x) / Math.LN10 + 1000);

/** Bootstrap: resample whole rankings with replacement; a resample with no finite estimate is counted and left out. */
export function plackettLuceLeaderboard(data: RankingData, options: { rounds?: number; seed?: number } = {}): PlLeaderboard {
  const config = { rounds: options.rounds ?? 100, seed: options.seed ?? 0 };
  const m = data.systems.length;
  const point = fitPlackettLuce(m, data.rankings);
  if (!point.converged) throw new Error('the Plackett–Luce fit did not converge');
  const appearances = new Float64Array(m);
  for (const ranking of data.rankings) for (const group of ranking) for (const i of group) appearances[i]! += 1;
  const rng = createRng(config.seed);
  const samples: Float64Array[] = [];
  let degenerateRounds = 0;
  const n = data.rankings.length;
  for (let round = 0; round < config.rounds; round++) {
    const resample = Array.from({ length: n }, () => data.rankings[rng.int(0, n - 1)]!);
    try {
      const fit = fitPlackettLuce(m, resample, { tolerance: 1e-9 });
      if (fit.converged) samples.push(toRating(fit.r));
      else degenerateRounds++;
    } catch {
      degenerateRounds++; // some system never ranked above another in this resample
    }
  }
  return { method: 'pl', rows: summariseLeaderboard(data.systems, toRating(point.r), samples, appearances), config, degenerateRounds, rankings: n };
}

/** Online Elo (K = 4) in stored order; intervals from Arena's bootstrap: battles resampled with replacement, in random order. */
export function eloLeaderboard(table: BattleTable, options: { rounds?: number; seed?: number; k?: number } = {}): EloLeaderboard {
  const config = { rounds: options.rounds ?? 100, seed: options.seed ?? 0, k: options.k ?? 4 };
  const m = table.systems.length;
  const battles = new Float64Array(m);
  for (let n = 0; n < table.a.length; n++) {
    battles[table.a[n]!]! += 1;
    battles[table.b[n]!]! += 1;
  }
  const rng = createRng(config.seed);
  const N = table.a.length;
  const sample: BattleTable = { systems: table.systems, a: new Uint32Array(N), b: new Uint32Array(N), y: new Float64Array(N) };
  const samples: Float64Array[] = [];
  for (let round = 0; round < config.rounds; round++) {
    for (let n = 0; n < N; n++) {
      const k = rng.int(0, N - 1);
      sample.a[n] = table.a[k]!;
      sample.b[n] = table.b[k]!;
      sample.y[n] = table.y[k]!;
    }
    samples.push(onlineElo(sample, { k: config.k }));
  }
  return { method: 'elo', rows: summariseLeaderboard(table.systems, onlineElo(table, { k: config.k }), samples, battles), config, degenerateRounds: 0 };
}

/**
 * Rebuilds rankings from pairwise facts: comparisons sharing a group (one k-wise judgment) become one
 * ranking whose tie groups are ordered by each response's wins inside the group; every other
 * comparison is a ranking of two (a tie is one group of two).
 */
export function rankingsFromComparisons(rows: readonly { group: string | null; winner: number; loser: number; isTie: boolean }[]): number[][][] {
  const rankings: number[][][] = [];
  const groups = new Map<string, { winner: number; loser: number; isTie: boolean }[]>();
  for (const row of rows) {
    if (row.winner === row.loser) continue;
    if (row.group === null) rankings.push(row.isTie ? [[row.winner, row.loser]] : [[row.winner], [row.loser]]);
    else groups.set(row.group, [...(groups.get(row.group) ?? []), row]);
  }
  for (const facts of groups.values()) {
    const wins = new Map<number, number>();
    for (const f of facts) {
      wins.set(f.winner, (wins.get(f.winner) ?? 0) + (f.isTie ? 0 : 1));
      wins.set(f.loser, wins.get(f.loser) ?? 0);
    }
    const byWins = new Map<number, number[]>();
    for (const [id, w] of wins) byWins.set(w, [...(byWins.get(w) ?? []), id]);
    rankings.push([...byWins.entries()].sort((a, b) => b[0] - a[0]).map(([, ids]) => ids.sort((x, y) => x - y)));
  }
  return rankings;
}
