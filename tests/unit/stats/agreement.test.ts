import { describe, expect, it } from 'vitest';
import { cohenKappa, fleissKappa, krippendorffAlpha } from '@/lib/stats/agreement';

describe('Cohen’s kappa', () => {
  it('is 0.4 on the textbook 2×2 table (20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no)', () => {
    const a = [...Array(25).fill('yes'), ...Array(25).fill('no')];
    const b = [...Array(20).fill('yes'), ...Array(5).fill('no'), ...Array(10).fill('yes'), ...Array(15).fill('no')];
    expect(cohenKappa(a, b)).toBeCloseTo(0.4, 12);
  });
  it('is 1 for identical labels and needs aligned items', () => {
    expect(cohenKappa(['a', 'b', 'a'], ['a', 'b', 'a'])).toBe(1);
    expect(() => cohenKappa(['a'], ['a', 'b'])).toThrow(/same items/);
  });
});

describe('Fleiss’ kappa', () => {
  it('is 0.210 on Fleiss’ classic 10 subjects × 14 raters × 5 categories example', () => {
    const table = [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0],
      [3, 2, 6, 3, 0],
      [2, 5, 3, 2, 2],
      [6, 5, 2, 1, 0],
      [0, 2, 2, 3, 7],
    ];
    expect(fleissKappa(table)).toBeCloseTo(0.20993, 4);
  });
  it('refuses items with different numbers of ratings', () => {
    expect(() => fleissKappa([[1, 1], [2, 1]])).toThrow(/same number of ratings/);
  });
});

describe('Krippendorff’s alpha', () => {
  // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers, 12 units, missing values.
  const data = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
    [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
  ];
  it.each([
    ['nominal', 0.743],
    ['ordinal', 0.815],
    ['interval', 0.849],
    ['ratio', 0.797],
  ] as const)('%s α = %f on the reference data', (level, expected) => {
    expect(krippendorffAlpha(data, level)).toBeCloseTo(expected, 3);
  });
  it('is 1 under perfect agreement and ignores units with a single value', () => {
    expect(krippendorffAlpha([[1, 2, 3, 1], [1, 2, 3, null]], 'nominal')).toBe(1);
  });
});
