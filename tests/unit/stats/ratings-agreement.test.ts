import { describe, expect, it } from 'vitest';
import { krippendorffAlpha } from '@/lib/stats/agreement';
import { ratingsAgreement, type RatingRow } from '@/lib/stats/ratings-agreement';

describe('ratings agreement per attribute', () => {
  it('computes ordinal α per attribute over responses × annotators, and Fleiss κ over the five categories', () => {
    const rows: RatingRow[] = [];
    const helpful = [
      [4, 4, 3],
      [0, 1, 0],
      [2, 2, 2],
      [3, 4, 4],
    ];
    const verbose = [
      [0, 4, 2],
      [4, 0, 1],
      [1, 3, 0],
      [2, 2, 4],
    ];
    helpful.forEach((row, response) => row.forEach((v, a) => rows.push({ annotator: `a${a}`, responseId: 100 + response, ratings: { helpfulness: v, verbosity: verbose[response]![a]! } })));
    const [h, v] = ratingsAgreement(rows, ['helpfulness', 'verbosity']);
    const transpose = (m: number[][]) => m[0]!.map((_, a) => m.map((row) => row[a]!));
    expect(h!.alphaOrdinal).toBeCloseTo(krippendorffAlpha(transpose(helpful), 'ordinal'), 12);
    expect(h!.alphaOrdinal!).toBeGreaterThan(0.8);
    expect(v!.alphaOrdinal!).toBeLessThan(0.2);
    expect(h).toMatchObject({ attribute: 'helpfulness', ratings: 12, units: 4, fleissUnits: 4 });
    expect(h!.fleissKappa).not.toBeNull();
    expect(h!.mean).toBeCloseTo(29 / 12, 12);
  });
});
