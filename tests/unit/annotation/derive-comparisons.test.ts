import { describe, expect, it } from 'vitest';
import { comparisonFromPairwise, comparisonsFromRanking } from '@/lib/annotation/derive-comparisons';

describe('comparisonFromPairwise', () => {
  it('maps A and B wins to winner and loser, keeping |strength|', () => {
    expect(comparisonFromPairwise([10, 20], 'a', 2)).toMatchObject({ winnerResponseId: 10, loserResponseId: 20, isTie: false, strength: 2 });
    expect(comparisonFromPairwise([10, 20], 'b', -3)).toMatchObject({ winnerResponseId: 20, loserResponseId: 10, isTie: false, strength: 3 });
  });
  it('keeps both-good and both-bad ties apart', () => {
    expect(comparisonFromPairwise([1, 2], 'tie', null)).toMatchObject({ isTie: true, tieKind: 'both_good' });
    expect(comparisonFromPairwise([1, 2], 'both_bad', null)).toMatchObject({ isTie: true, tieKind: 'both_bad' });
  });
  it('rejects items that are not pairs', () => {
    expect(() => comparisonFromPairwise([1, 2, 3], 'a', null)).toThrow(/exactly two/);
  });
});

describe('comparisonsFromRanking', () => {
  it('expands tie groups into wins across groups and ties inside them', () => {
    const facts = comparisonsFromRanking([[1], [2, 3], [4]]);
    expect(facts).toHaveLength(6);
    expect(facts.filter((f) => f.isTie)).toEqual([expect.objectContaining({ winnerResponseId: 2, loserResponseId: 3 })]);
    expect(facts.filter((f) => f.winnerResponseId === 1 && !f.isTie).map((f) => f.loserResponseId)).toEqual([2, 3, 4]);
  });
  it('rejects a response ranked twice', () => {
    expect(() => comparisonsFromRanking([[1], [1, 2]])).toThrow(/twice/);
  });
});
