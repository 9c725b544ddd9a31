import { describe, expect, it } from 'vitest';
import { addComparisons, createWinRateAccumulator, summarizeWinRates, wilsonInterval, type ComparisonSystems } from '@/lib/stats/win-rates';

const rows: ComparisonSystems[] = [
  { winner: 'a', loser: 'b', isTie: false, tieKind: null },
  { winner: 'a', loser: 'b', isTie: false, tieKind: null },
  { winner: 'b', loser: 'c', isTie: false, tieKind: null },
  { winner: 'a', loser: 'c', isTie: true, tieKind: 'both_good' },
  { winner: 'b', loser: 'c', isTie: true, tieKind: 'both_bad' },
  { winner: 'c', loser: 'c', isTie: false, tieKind: null },
];

describe('win rates', () => {
  it('counts a tie as half a win for each side and skips self-comparisons', () => {
    const summary = summarizeWinRates(addComparisons(createWinRateAccumulator(), rows));
    expect(summary.comparisons).toBe(5);
    expect(summary.ties).toBe(2);
    expect(summary.bothBad).toBe(1);
    const a = summary.systems.find((s) => s.system === 'a')!;
    expect(a).toMatchObject({ wins: 2, losses: 0, ties: 1, battles: 3 });
    expect(a.winRate).toBeCloseTo(2.5 / 3, 12);
    const c = summary.systems.find((s) => s.system === 'c')!;
    expect(c).toMatchObject({ wins: 0, losses: 1, ties: 2, bothBad: 1, battles: 3 });
    expect(summary.systems.map((s) => s.system)).toEqual(['a', 'b', 'c']);
  });

  it('gives the same totals whether fed at once or in JSON-checkpointed chunks', () => {
    const whole = summarizeWinRates(addComparisons(createWinRateAccumulator(), rows));
    let acc = createWinRateAccumulator();
    for (let i = 0; i < rows.length; i += 2) {
      acc = JSON.parse(JSON.stringify(addComparisons(acc, rows.slice(i, i + 2)))) as typeof acc;
    }
    expect(summarizeWinRates(acc)).toEqual(whole);
  });
});

describe('Wilson score interval', () => {
  it("matches statsmodels' proportion_confint(method='wilson') and narrows with n", () => {
    const [lo, hi] = wilsonInterval(8, 10);
    expect(lo).toBeCloseTo(0.4902, 4);
    expect(hi).toBeCloseTo(0.9433, 4);
    const [zeroLo, zeroHi] = wilsonInterval(0, 10);
    expect(zeroLo).toBe(0);
    expect(zeroHi).toBeCloseTo(0.2775, 4);
    const [a, b] = wilsonInterval(32, 64);
    expect(a).toBeCloseTo(0.381, 3);
    expect(b).toBeCloseTo(0.619, 3);
    // Three prompts say almost nothing: the interval spans most of [0, 1].
    const [x, y] = wilsonInterval(2, 3);
    expect(y - x).toBeGreaterThan(0.6);
  });
});
