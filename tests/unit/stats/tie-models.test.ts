import { describe, expect, it } from 'vitest';
import { battlesFromRecords, collapseBattles, pairStats, type Outcome } from '@/lib/stats/battles';
import { fitTieModel, tieModelRatings } from '@/lib/stats/tie-models';
import { createRng } from '@/lib/random';

function twoSystems(wins: number, losses: number, ties: number) {
  const records: { a: string; b: string; outcome: Outcome }[] = [];
  for (let k = 0; k < wins; k++) records.push({ a: 'x', b: 'y', outcome: 'a' });
  for (let k = 0; k < losses; k++) records.push({ a: 'y', b: 'x', outcome: 'a' });
  for (let k = 0; k < ties; k++) records.push({ a: k % 2 ? 'x' : 'y', b: k % 2 ? 'y' : 'x', outcome: 'tie' });
  return pairStats(collapseBattles(battlesFromRecords(records)));
}

describe('tie models', () => {
  // Two systems: both models are saturated, so the MLE reproduces the observed win/loss/tie shares.
  it('Davidson on 6 wins, 3 losses, 3 ties: r gap = ln(w/l) = ln 2 and ν = t/√(w·l) = 1/√2', () => {
    const fit = fitTieModel('davidson', 2, twoSystems(6, 3, 3));
    expect(fit.converged).toBe(true);
    expect(fit.r[0]! - fit.r[1]!).toBeCloseTo(Math.log(2), 9);
    expect(fit.tieParameter).toBeCloseTo(1 / Math.sqrt(2), 9);
    expect(fit.r[0]! + fit.r[1]!).toBeCloseTo(0, 12);
  });

  it('Rao–Kupper on 6 wins, 3 losses, 3 ties: ρ² = w(n−l)/(l(n−w)) = 3 and θ = e^η = ρ(n−w)/w = √3', () => {
    const fit = fitTieModel('rao-kupper', 2, twoSystems(6, 3, 3));
    expect(fit.converged).toBe(true);
    expect(fit.r[0]! - fit.r[1]!).toBeCloseTo(0.5 * Math.log(3), 9);
    expect(fit.tieParameter).toBeCloseTo(0.5 * Math.log(3), 9);
  });

  it('recovers a simulated Davidson tie parameter and the strength order', () => {
    const rng = createRng(12);
    const r = [0.8, 0.3, 0, -0.6];
    const nu = 0.9;
    const records = Array.from({ length: 6000 }, () => {
      const i = rng.int(0, 3);
      const j = (i + rng.int(1, 3)) % 4;
      const a = Math.exp(r[i]!);
      const b = Math.exp(r[j]!);
      const tie = nu * Math.sqrt(a * b);
      const u = rng.next() * (a + b + tie);
      return { a: `s${i}`, b: `s${j}`, outcome: (u < a ? 'a' : u < a + b ? 'b' : 'tie') as Outcome };
    });
    const table = battlesFromRecords(records);
    const fit = fitTieModel('davidson', 4, pairStats(collapseBattles(table)));
    expect(fit.tieParameter).toBeGreaterThan(0.8);
    expect(fit.tieParameter).toBeLessThan(1.0);
    const ratingOf = (name: string) => tieModelRatings(fit)[table.systems.indexOf(name)]!;
    expect(['s0', 's1', 's2', 's3'].map(ratingOf)).toEqual(['s0', 's1', 's2', 's3'].map(ratingOf).sort((x, y) => y - x));
    expect(Math.abs(fit.r[table.systems.indexOf('s0')]! - fit.r[table.systems.indexOf('s3')]! - 1.4)).toBeLessThan(0.15);
  });

  it('refuses data without a single tie', () => {
    expect(() => fitTieModel('davidson', 2, twoSystems(3, 2, 0))).toThrow(/needs at least one tie/);
  });
});

describe('tieModelLeaderboard', async () => {
  const { tieModelLeaderboard } = await import('@/lib/stats/tie-leaderboard');
  it('brackets the ratings and the tie parameter with seeded bootstrap intervals', () => {
    const rng = createRng(5);
    const r = [0.6, 0, -0.6];
    const records = Array.from({ length: 1500 }, () => {
      const i = rng.int(0, 2);
      const j = (i + rng.int(1, 2)) % 3;
      const a = Math.exp(r[i]!);
      const b = Math.exp(r[j]!);
      const tie = 0.7 * Math.sqrt(a * b);
      const u = rng.next() * (a + b + tie);
      return { a: `s${i}`, b: `s${j}`, outcome: (u < a ? 'a' : u < a + b ? 'b' : 'tie') as Outcome };
    });
    const cells = collapseBattles(battlesFromRecords(records));
    const board = tieModelLeaderboard('davidson', cells, { rounds: 30, seed: 2 });
    expect(board.rows.map((row) => row.system)).toEqual(['s0', 's1', 's2']);
    for (const row of board.rows) expect(row.lower < row.rating && row.rating < row.upper).toBe(true);
    expect(board.tieParameter.lower).toBeLessThan(board.tieParameter.value);
    expect(board.tieParameter.upper).toBeGreaterThan(board.tieParameter.value);
    expect(Math.abs(board.tieParameter.value - 0.7)).toBeLessThan(0.2); // 1,500 battles: SE ≈ 0.05
    expect(tieModelLeaderboard('davidson', cells, { rounds: 30, seed: 2 })).toEqual(board);
  });
});
