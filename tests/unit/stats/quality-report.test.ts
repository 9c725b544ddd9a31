import { describe, expect, it } from 'vitest';
import { qualityReport, type PairwiseJudgment } from '@/lib/stats/quality-report';

function judgment(itemId: number, annotator: string, winner: PairwiseJudgment['winner'], responseIds: [number, number], shownFlipped: boolean, lengths: [number, number] = [100, 100]): PairwiseJudgment {
  return { itemId, annotator, winner, strength: winner === 'a' || winner === 'b' ? 2 : 0, responseIds, shownOrder: shownFlipped ? [responseIds[1], responseIds[0]] : [...responseIds], lengths };
}

describe('qualityReport', () => {
  it('reports perfect agreement, no position bias and the length preference', () => {
    const list: PairwiseJudgment[] = [];
    for (let item = 0; item < 20; item++) {
      const ids: [number, number] = [2 * item, 2 * item + 1];
      const winner = item % 3 === 0 ? 'b' : 'a';
      const lengths: [number, number] = winner === 'a' ? [300, 100] : [100, 300];
      list.push(judgment(item, 'ann', winner, ids, item % 2 === 0, lengths), judgment(item, 'bob', winner, ids, item % 2 === 1, lengths));
    }
    const r = qualityReport(list);
    expect(r.agreement.alphaChoice).toBeCloseTo(1, 12);
    expect(r.agreement.fleissKappa).toBeCloseTo(1, 12);
    expect(r.agreement.cohen).toEqual([{ a: 'ann', b: 'bob', items: 20, kappa: 1 }]);
    expect(r.positionBias).toMatchObject({ decisive: 40, favoured: 20, share: 0.5 });
    expect(r.lengthBias).toMatchObject({ decisive: 40, favoured: 40, share: 1 });
    expect(r.lengthBias.pValue).toBeLessThan(1e-9);
  });

  it('finds an annotator who always picks the left side, and her cycles', () => {
    const list = [
      judgment(1, 'lefty', 'a', [1, 2], false),
      judgment(2, 'lefty', 'a', [2, 3], false),
      judgment(3, 'lefty', 'a', [3, 1], false),
      judgment(4, 'lefty', 'b', [4, 5], true),
    ];
    const r = qualityReport(list);
    expect(r.perAnnotator[0]).toMatchObject({ annotator: 'lefty', judgments: 4, leftShare: 1 });
    expect(r.perAnnotator[0]!.cycles).toMatchObject({ triads: 1, cyclic: 1 });
    expect(r.majorityCycles.cyclic).toBe(1);
    expect(r.positionBias.share).toBe(1);
  });
});
