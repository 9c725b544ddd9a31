import { describe, expect, it } from 'vitest';
import { selfConsistency } from '@/lib/stats/self-consistency';

describe('self-consistency', () => {
  it('counts same answers and reversed decisive answers per annotator and overall', () => {
    const r = selfConsistency([
      { annotator: 'x', first: 'a', second: 'a' },
      { annotator: 'x', first: 'a', second: 'b' },
      { annotator: 'y', first: 'tie', second: 'tie' },
      { annotator: 'y', first: 'b', second: 'tie' },
    ]);
    expect(r).toMatchObject({ repeats: 4, consistent: 2, rate: 0.5, reversed: 1 });
    expect(r.perAnnotator).toEqual([
      { annotator: 'x', repeats: 2, consistent: 1, rate: 0.5, reversed: 1 },
      { annotator: 'y', repeats: 2, consistent: 1, rate: 0.5, reversed: 0 },
    ]);
    expect(Number.isNaN(selfConsistency([]).rate)).toBe(true);
  });
});
