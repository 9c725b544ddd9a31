import { describe, expect, it } from 'vitest';
import { rankingAsPairs } from '@/lib/stats/ranking-pairs';
import { qualityReport } from '@/lib/stats/quality-report';

describe('rankingAsPairs', () => {
  it('expands a ranking with a tie into its implied pairs, left being the one shown first', () => {
    const pairs = rankingAsPairs({ itemId: 7, annotator: 'ann', responseIds: [10, 11, 12], ranking: [[12], [10, 11]], shownOrder: [11, 12, 10] }, (id) => id * 2);
    expect(pairs).toEqual([
      { itemId: 701, annotator: 'ann', winner: 'tie', strength: null, responseIds: [10, 11], shownOrder: [11, 10], lengths: [20, 22] },
      { itemId: 702, annotator: 'ann', winner: 'b', strength: null, responseIds: [10, 12], shownOrder: [12, 10], lengths: [20, 24] },
      { itemId: 712, annotator: 'ann', winner: 'b', strength: null, responseIds: [11, 12], shownOrder: [11, 12], lengths: [22, 24] },
    ]);
  });

  it('gives two annotators who rank alike full agreement, and counts the first-shown response winning as position bias', () => {
    // Items 1 and 2 ranked in the shown order, item 3 in reverse, by both annotators alike.
    const rankingOf = (itemId: number) => (itemId === 3 ? [[4], [3], [2], [1]] : [[1], [2], [3], [4]]);
    const judgments = [1, 2, 3].flatMap((itemId) => ['x', 'y'].flatMap((annotator) => rankingAsPairs({ itemId, annotator, responseIds: [1, 2, 3, 4], ranking: rankingOf(itemId), shownOrder: [1, 2, 3, 4] }, () => 10)));
    const report = qualityReport(judgments);
    expect(report.judgments).toBe(36);
    expect(report.agreement.alphaChoice).toBeCloseTo(1, 6);
    expect(report.positionBias.share).toBeCloseTo(2 / 3, 9); // the first-shown wins 24 of 36 pairs
  });
});
