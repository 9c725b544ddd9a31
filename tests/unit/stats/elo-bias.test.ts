import { describe, expect, it } from 'vitest';
import { battlesFromRecords } from '@/lib/stats/battles';
import { lengthBias, positionBias } from '@/lib/stats/bias';
import { binomialTestTwoSided } from '@/lib/stats/binomial-test';
import { onlineElo } from '@/lib/stats/elo';

describe('online Elo (Arena baseline)', () => {
  it('moves K·(score − expected) per battle, in order', () => {
    const table = battlesFromRecords([
      { a: 'x', b: 'y', outcome: 'a' },
      { a: 'y', b: 'x', outcome: 'tie' },
    ]);
    const ratings = onlineElo(table);
    // First battle: equal ratings, expected ½, x gains 2. Second: y (998) vs x (1002), tie.
    const expectedY = 1 / (1 + 10 ** ((1002 - 998) / 400));
    expect(ratings[0]).toBeCloseTo(1002 - 4 * (0.5 - expectedY), 12);
    expect(ratings[1]).toBeCloseTo(998 + 4 * (0.5 - expectedY), 12);
    expect(ratings[0]! + ratings[1]!).toBeCloseTo(2000, 12);
  });
});

describe('binomial test (two-sided, exact)', () => {
  it('matches scipy.stats.binomtest p-values', () => {
    // Reference values printed by scipy 1.10 (Debian python3-scipy).
    expect(binomialTestTwoSided(7, 10)).toBeCloseTo(0.34375, 12);
    expect(binomialTestTwoSided(3, 10, 0.2)).toBeCloseTo(0.429574656, 9);
    expect(binomialTestTwoSided(70, 100) / 7.85013964559367e-5).toBeCloseTo(1, 9);
    expect(binomialTestTwoSided(92, 112) / 3.1880856558543937e-12).toBeCloseTo(1, 6); // Copilot Arena's 92 of 112 left wins
    expect(binomialTestTwoSided(5, 10)).toBe(1);
  });
});

describe('bias diagnostics', () => {
  it('flags a left-side preference and swapping every side mirrors it', () => {
    const leftWon = [...Array(70).fill(true), ...Array(30).fill(false)];
    const left = positionBias(leftWon);
    expect(left).toMatchObject({ decisive: 100, favoured: 70, share: 0.7 });
    expect(left.pValue).toBeLessThan(0.001);
    const swapped = positionBias(leftWon.map((w) => !w));
    expect(swapped.share).toBeCloseTo(0.3, 12);
    expect(swapped.pValue).toBeCloseTo(left.pValue, 12);
  });
  it('measures how often the longer response wins, ignoring equal lengths', () => {
    const r = lengthBias([
      { winnerLength: 200, loserLength: 100 },
      { winnerLength: 50, loserLength: 100 },
      { winnerLength: 300, loserLength: 120 },
      { winnerLength: 80, loserLength: 80 },
    ]);
    expect(r).toMatchObject({ decisive: 3, favoured: 2 });
    expect(r.share).toBeCloseTo(2 / 3, 12);
    expect(r.pValue).toBe(1);
  });
});
