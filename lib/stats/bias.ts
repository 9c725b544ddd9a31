/**
 * Preference-specific biases of the annotators (docs/algorithms.md#annotator-biases):
 * position bias — under randomised sides, how often the response shown on the left wins;
 * length bias — how often the longer response wins. Ties are left out of both. Each comes with an
 * exact two-sided binomial test against ½ (no bias).
 */
import { binomialTestTwoSided } from './binomial-test';

export type BiasReport = { decisive: number; favoured: number; share: number; pValue: number };

function report(favoured: number, decisive: number): BiasReport {
  return { decisive, favoured, share: decisive === 0 ? Number.NaN : favoured / decisive, pValue: binomialTestTwoSided(favoured, decisive) };
}

/** `leftWon` per decisive judgment: whether the winner was the response shown on the left. */
export function positionBias(leftWon: readonly boolean[]): BiasReport {
  return report(leftWon.filter(Boolean).length, leftWon.length);
}

/** Per decisive judgment, the lengths of the winner and the loser; pairs of equal length are left out. */
export function lengthBias(pairs: readonly { winnerLength: number; loserLength: number }[]): BiasReport {
  const unequal = pairs.filter((p) => p.winnerLength !== p.loserLength);
  return report(unequal.filter((p) => p.winnerLength > p.loserLength).length, unequal.length);
}
