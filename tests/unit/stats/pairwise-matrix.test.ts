import { describe, expect, it } from 'vitest';
import { battlesFromRecords, collapseBattles } from '@/lib/stats/battles';
import { pairwiseMatrix } from '@/lib/stats/pairwise-matrix';

describe('pairwise matrices', () => {
  it('counts battles symmetrically and gives complementary win rates with ties as ½, in the given order', () => {
    const table = battlesFromRecords([
      { a: 'x', b: 'y', outcome: 'a' },
      { a: 'y', b: 'x', outcome: 'a' },
      { a: 'x', b: 'y', outcome: 'a' },
      { a: 'y', b: 'x', outcome: 'tie' },
      { a: 'x', b: 'z', outcome: 'b' },
    ]);
    const m = pairwiseMatrix(collapseBattles(table), ['z', 'x', 'y']);
    expect(m.systems).toEqual(['z', 'x', 'y']);
    expect(m.battles).toEqual([
      [0, 1, 0],
      [1, 0, 4],
      [0, 4, 0],
    ]);
    expect(m.winRate[1]![2]).toBeCloseTo(2.5 / 4, 12);
    expect(m.winRate[2]![1]).toBeCloseTo(1.5 / 4, 12);
    expect(m.winRate[0]![1]).toBe(1);
    expect(m.winRate[0]![2]).toBeNull();
    expect(m.winRate[1]![1]).toBeNull();
  });
});
