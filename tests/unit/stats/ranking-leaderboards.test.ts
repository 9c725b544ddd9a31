import { describe, expect, it } from 'vitest';
import { createRng } from '@/lib/random';
import { collapseBattles, type BattleTable } from '@/lib/stats/battles';
import { bradleyTerryLeaderboard } from '@/lib/stats/bt-leaderboard';
import { eloLeaderboard, plackettLuceLeaderboard, rankingsFromComparisons } from '@/lib/stats/ranking-leaderboards';
import { onlineElo } from '@/lib/stats/elo';

function pairsWithoutTies(n: number): BattleTable {
  const rng = createRng(5);
  const quality = [0.8, 0.2, -0.1, -0.9];
  const a = new Uint32Array(n);
  const b = new Uint32Array(n);
  const y = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = rng.int(0, 3);
    let j = rng.int(0, 2);
    if (j >= i) j++;
    const win = rng.next() < 1 / (1 + Math.exp(quality[j]! - quality[i]!));
    a[k] = win ? i : j;
    b[k] = win ? j : i;
    y[k] = 1;
  }
  return { systems: ['w', 'x', 'y', 'z'], a, b, y };
}

describe('Plackett–Luce leaderboard', () => {
  it('equals the Bradley–Terry ratings on pairwise data without ties', () => {
    const table = pairsWithoutTies(3000);
    const rankings = Array.from(table.a, (winner, k) => [[winner], [table.b[k]!]]);
    const pl = plackettLuceLeaderboard({ systems: table.systems, rankings }, { rounds: 0 });
    const bt = bradleyTerryLeaderboard(collapseBattles(table), { rounds: 0 });
    for (const row of bt.rows) expect(pl.rows.find((r) => r.system === row.system)!.rating).toBeCloseTo(row.rating, 6);
  });

  it('gives seeded, reproducible intervals that contain the point rating', () => {
    const table = pairsWithoutTies(800);
    const rankings = Array.from(table.a, (winner, k) => [[winner], [table.b[k]!]]);
    const one = plackettLuceLeaderboard({ systems: table.systems, rankings }, { rounds: 40, seed: 9 });
    const two = plackettLuceLeaderboard({ systems: table.systems, rankings }, { rounds: 40, seed: 9 });
    expect(one.rows).toEqual(two.rows);
    expect(one.rows.every((r) => r.lower < r.rating && r.rating < r.upper)).toBe(true);
  });
});

describe('rebuilding rankings from pairwise facts', () => {
  it('restores tie groups of a k-wise judgment and keeps other comparisons as pairs', () => {
    // Judgment g: 3 > {1, 2} > 0.
    const rows = [
      { group: 'g', winner: 3, loser: 1, isTie: false },
      { group: 'g', winner: 3, loser: 2, isTie: false },
      { group: 'g', winner: 3, loser: 0, isTie: false },
      { group: 'g', winner: 1, loser: 2, isTie: true },
      { group: 'g', winner: 1, loser: 0, isTie: false },
      { group: 'g', winner: 2, loser: 0, isTie: false },
      { group: null, winner: 4, loser: 0, isTie: false },
      { group: null, winner: 4, loser: 1, isTie: true },
    ];
    expect(rankingsFromComparisons(rows)).toEqual([[[4], [0]], [[4, 1]], [[3], [1, 2], [0]]]);
  });
});

describe('Elo leaderboard', () => {
  it('reports Arena online Elo as the point and bootstrap intervals around it', () => {
    const table = pairsWithoutTies(2000);
    const board = eloLeaderboard(table, { rounds: 30, seed: 2 });
    const direct = onlineElo(table);
    for (const row of board.rows) expect(row.rating).toBeCloseTo(direct[table.systems.indexOf(row.system)]!, 10);
    expect(board.rows[0]!.system).toBe('w');
    expect(board.rows.every((r) => r.upper > r.lower)).toBe(true);
  });
});
