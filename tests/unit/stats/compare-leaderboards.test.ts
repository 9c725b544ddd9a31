import { describe, expect, it } from 'vitest';
import { compareLeaderboards } from '@/lib/stats/compare-leaderboards';

describe('compareLeaderboards', () => {
  it('lines systems up in the reference order and marks how each rank moved under the other methods', () => {
    const c = compareLeaderboards([
      { method: 'bt', rows: [{ system: 'b', rank: 2, rating: 1010 }, { system: 'a', rank: 1, rating: 1050 }, { system: 'c', rank: 3, rating: 940 }] },
      { method: 'elo', rows: [{ system: 'a', rank: 2, rating: 1020 }, { system: 'b', rank: 1, rating: 1030 }, { system: 'c', rank: 3, rating: 950 }] },
      { method: 'pl', rows: [{ system: 'a', rank: 1, rating: 1100 }, { system: 'd', rank: 2, rating: 990 }] },
    ]);
    expect(c.methods).toEqual(['bt', 'elo', 'pl']);
    expect(c.systems).toEqual(['a', 'b', 'c', 'd']);
    expect(c.cells[0]).toEqual([{ rank: 1, rating: 1050, moved: null }, { rank: 2, rating: 1020, moved: -1 }, { rank: 1, rating: 1100, moved: 0 }]);
    expect(c.cells[1]![1]).toEqual({ rank: 1, rating: 1030, moved: 1 });
    expect(c.cells[2]![2]).toBeNull(); // c is not in the Plackett–Luce board
    expect(c.cells[3]).toEqual([null, null, { rank: 2, rating: 990, moved: null }]); // d has no reference rank
    expect(compareLeaderboards([])).toEqual({ methods: [], systems: [], cells: [] });
  });
});
