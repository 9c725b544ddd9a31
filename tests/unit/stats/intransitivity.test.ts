import { describe, expect, it } from 'vitest';
import { triadCycles } from '@/lib/stats/intransitivity';

describe('triadCycles', () => {
  it('finds the one cycle among two fully judged triads', () => {
    const r = triadCycles([
      { winner: 1, loser: 2 },
      { winner: 2, loser: 3 },
      { winner: 3, loser: 1 }, // 1 ≻ 2 ≻ 3 ≻ 1
      { winner: 4, loser: 5 },
      { winner: 5, loser: 6 },
      { winner: 4, loser: 6 }, // transitive
    ]);
    expect(r).toMatchObject({ triads: 2, cyclic: 1, rate: 0.5, cycles: [[1, 2, 3]] });
  });

  it('uses the majority direction of repeated votes and skips tied pairs', () => {
    const votes = [
      { winner: 1, loser: 2 },
      { winner: 1, loser: 2 },
      { winner: 2, loser: 1 }, // majority 1 ≻ 2
      { winner: 2, loser: 3 },
      { winner: 3, loser: 1 },
    ];
    expect(triadCycles(votes)).toMatchObject({ triads: 1, cyclic: 1 });
    expect(triadCycles([...votes, { winner: 1, loser: 2 }, { winner: 2, loser: 1 }, { winner: 2, loser: 1 }]).triads).toBe(0);
  });

  it('does not depend on the order of the votes or the labels', () => {
    const edges = [
      { winner: 10, loser: 20 },
      { winner: 20, loser: 30 },
      { winner: 30, loser: 10 },
      { winner: 10, loser: 40 },
      { winner: 40, loser: 20 },
      { winner: 30, loser: 40 },
    ];
    const base = triadCycles(edges);
    const shuffled = triadCycles([...edges].reverse().map((e) => ({ winner: e.winner * 7, loser: e.loser * 7 })));
    expect([shuffled.triads, shuffled.cyclic]).toEqual([base.triads, base.cyclic]);
    expect(base.triads).toBe(4);
  });
});
