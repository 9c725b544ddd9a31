import type { Winner } from './kinds';

/** A pairwise fact, as stored in `comparisons` (ids are response ids). */
export type ComparisonFact = {
  winnerResponseId: number;
  loserResponseId: number;
  isTie: boolean;
  tieKind: 'both_good' | 'both_bad' | null;
  strength: number | null;
  weight: number;
};

/**
 * One pairwise judgment → one comparison. `responseIds` is the item's canonical order [a, b].
 * A tie keeps both sides (winner = a) with the tie kind, so both-bad stays separable from both-good.
 */
export function comparisonFromPairwise(responseIds: readonly number[], winner: Winner, strength: number | null): ComparisonFact {
  const [a, b] = responseIds;
  if (a === undefined || b === undefined || responseIds.length !== 2) throw new Error('a pairwise item has exactly two responses');
  const magnitude = strength === null ? null : Math.abs(strength);
  switch (winner) {
    case 'a':
      return { winnerResponseId: a, loserResponseId: b, isTie: false, tieKind: null, strength: magnitude, weight: 1 };
    case 'b':
      return { winnerResponseId: b, loserResponseId: a, isTie: false, tieKind: null, strength: magnitude, weight: 1 };
    case 'tie':
      return { winnerResponseId: a, loserResponseId: b, isTie: true, tieKind: 'both_good', strength: 0, weight: 1 };
    case 'both_bad':
      return { winnerResponseId: a, loserResponseId: b, isTie: true, tieKind: 'both_bad', strength: 0, weight: 1 };
    default: {
      const unreachable: never = winner;
      throw new Error(`unknown winner ${String(unreachable)}`);
    }
  }
}

/** A ranking with tie groups (best first) → every implied pair: across groups a win, inside a group a tie. */
export function comparisonsFromRanking(groups: readonly (readonly number[])[]): ComparisonFact[] {
  const out: ComparisonFact[] = [];
  const seen = new Set<number>();
  for (const group of groups) {
    for (const id of group) {
      if (seen.has(id)) throw new Error(`response ${id} appears twice in the ranking`);
      seen.add(id);
    }
  }
  groups.forEach((group, g) => {
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) {
        out.push({ winnerResponseId: group[i]!, loserResponseId: group[j]!, isTie: true, tieKind: 'both_good', strength: 0, weight: 1 });
      }
      for (const lower of groups.slice(g + 1)) {
        for (const loser of lower) {
          out.push({ winnerResponseId: group[i]!, loserResponseId: loser, isTie: false, tieKind: null, strength: null, weight: 1 });
        }
      }
    }
  });
  return out;
}
