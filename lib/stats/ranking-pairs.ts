/**
 * A ranking judgment read as the pairwise judgments it implies, so a ranking project gets the same agreement,
 * bias and transitivity diagnostics as a pairwise one: every two responses of the item, the better-placed one
 * winning (a tie when they share a group), "left" being the one shown first, each pair its own unit of agreement.
 */
import type { PairwiseJudgment } from './quality-report';

export type RankingJudgment = { itemId: number; annotator: string; responseIds: number[]; ranking: number[][]; shownOrder: number[] | null };

/** Units of agreement are (item, pair); the pair's index is folded into a numeric key (rankings hold at most 9 responses). */
const pairKey = (itemId: number, i: number, j: number) => itemId * 100 + i * 10 + j;

export function rankingAsPairs(j: RankingJudgment, lengthOf: (responseId: number) => number): PairwiseJudgment[] {
  const place = new Map<number, number>();
  j.ranking.forEach((group, g) => group.forEach((id) => place.set(id, g)));
  const shown = new Map((j.shownOrder ?? []).map((id, k) => [id, k]));
  const out: PairwiseJudgment[] = [];
  for (let i = 0; i < j.responseIds.length; i++) {
    for (let k = i + 1; k < j.responseIds.length; k++) {
      const [a, b] = [j.responseIds[i]!, j.responseIds[k]!];
      const [pa, pb] = [place.get(a), place.get(b)];
      if (pa === undefined || pb === undefined) continue;
      const [sa, sb] = [shown.get(a), shown.get(b)];
      out.push({
        itemId: pairKey(j.itemId, i, k),
        annotator: j.annotator,
        winner: pa === pb ? 'tie' : pa < pb ? 'a' : 'b',
        strength: null,
        responseIds: [a, b],
        shownOrder: sa === undefined || sb === undefined ? null : sa < sb ? [a, b] : [b, a],
        lengths: [lengthOf(a), lengthOf(b)],
      });
    }
  }
  return out;
}
