/**
 * Self-consistency on repeated pairs: an annotator meets a pair they already judged again, with the
 * sides flipped (the assignment engine's `repeatRate`). A consistent annotator gives the same answer
 * in canonical terms; one who follows the side ("always left") flips. Reported per annotator and overall,
 * with the share of repeats whose first answer was decisive (A or B) and was reversed.
 */
import type { Winner } from '@/lib/annotation/kinds';

export type RepeatPair = { annotator: string; first: Winner; second: Winner };
export type ConsistencyTally = { repeats: number; consistent: number; rate: number; reversed: number };
export type SelfConsistency = ConsistencyTally & { perAnnotator: (ConsistencyTally & { annotator: string })[] };

function tally(pairs: readonly RepeatPair[]): ConsistencyTally {
  const consistent = pairs.filter((p) => p.first === p.second).length;
  const reversed = pairs.filter((p) => (p.first === 'a' && p.second === 'b') || (p.first === 'b' && p.second === 'a')).length;
  return { repeats: pairs.length, consistent, rate: pairs.length ? consistent / pairs.length : Number.NaN, reversed };
}

export function selfConsistency(pairs: readonly RepeatPair[]): SelfConsistency {
  const annotators = [...new Set(pairs.map((p) => p.annotator))].sort();
  return { ...tally(pairs), perAnnotator: annotators.map((annotator) => ({ annotator, ...tally(pairs.filter((p) => p.annotator === annotator)) })) };
}
