import { describe, expect, it } from 'vitest';
import { createRng } from '@/lib/random';
import { battlesFromRecords, collapseBattles, type Outcome } from '@/lib/stats/battles';
import { bradleyTerryLeaderboard, ciAwareRanks, quantileSorted } from '@/lib/stats/bt-leaderboard';

function simulate(seed: number, battles: number, strengths: number[]) {
  const rng = createRng(seed);
  const m = strengths.length;
  return Array.from({ length: battles }, () => {
    const i = rng.int(0, m - 1);
    const j = (i + rng.int(1, m - 1)) % m;
    const p = 1 / (1 + 10 ** -(strengths[i]! - strengths[j]!));
    const u = rng.next();
    return { a: `s${i}`, b: `s${j}`, outcome: (u < 0.2 ? 'tie' : u < 0.2 + 0.8 * p ? 'a' : 'b') as Outcome };
  });
}

describe('quantiles and CI-aware ranks', () => {
  it('interpolate like numpy and count only systems clearly above', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([10, 20, 30, 40, 50], 0.025)).toBeCloseTo(11, 12);
    expect(ciAwareRanks([10, 5, 0], [12, 11, 6])).toEqual([1, 1, 2]);
  });
});

describe('bradleyTerryLeaderboard', () => {
  const cells = collapseBattles(battlesFromRecords(simulate(1, 3000, [0.5, 0.25, 0, -0.25])));

  it('brackets each point rating with a seeded bootstrap interval', () => {
    const board = bradleyTerryLeaderboard(cells, { rounds: 50, seed: 0 });
    expect(board.rows.map((r) => r.system)).toEqual(['s0', 's1', 's2', 's3']);
    expect(board.degenerateRounds).toBe(0);
    for (const row of board.rows) {
      expect(row.lower).toBeLessThan(row.rating);
      expect(row.upper).toBeGreaterThan(row.rating);
      expect(row.upper - row.lower).toBeGreaterThan(10);
      expect(row.upper - row.lower).toBeLessThan(120);
      expect(row.battles).toBeGreaterThan(1000);
    }
    expect(board.rows.reduce((s, r) => s + r.rating, 0) / 4).toBeCloseTo(1000, 9);
    expect(board.rows.map((r) => r.rank)).toEqual([1, 2, 3, 4]);
  });

  it('repeats exactly for the same seed and differs for another', () => {
    const a = bradleyTerryLeaderboard(cells, { rounds: 20, seed: 7 });
    expect(bradleyTerryLeaderboard(cells, { rounds: 20, seed: 7 })).toEqual(a);
    expect(bradleyTerryLeaderboard(cells, { rounds: 20, seed: 8 }).rows[0]!.lower).not.toBe(a.rows[0]!.lower);
  });

  it('applies the anchor to the point estimate and to every bootstrap round', () => {
    const board = bradleyTerryLeaderboard(cells, { rounds: 20, seed: 0, scale: { scale: 400, base: 1000, anchor: { system: 's2', rating: 1114 } } });
    const anchored = board.rows.find((r) => r.system === 's2')!;
    expect(anchored.rating).toBeCloseTo(1114, 9);
    expect(anchored.lower).toBeCloseTo(1114, 9);
    expect(anchored.upper).toBeCloseTo(1114, 9);
  });

  it('counts bootstrap rounds without a finite estimate instead of reporting diverged ratings', () => {
    // x beat y once and lost once: about half the resamples have x undefeated or winless.
    const sparse = collapseBattles(battlesFromRecords([
      { a: 'x', b: 'y', outcome: 'a' },
      { a: 'y', b: 'x', outcome: 'a' },
    ]));
    const board = bradleyTerryLeaderboard(sparse, { rounds: 40, seed: 3 });
    expect(board.degenerateRounds).toBeGreaterThan(5);
    expect(board.degenerateRounds).toBeLessThan(40);
    expect(Number.isFinite(board.rows[0]!.upper)).toBe(true);
  });
});
