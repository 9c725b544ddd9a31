/**
 * Gold items: items with a known answer, served like any other item, scored per annotator.
 * A pair's gold answer is the canonical winner; a ranking's is the id of the best response.
 */
import { z } from 'zod';
import { WINNERS, type Winner } from './kinds';

export const goldAnswerSchema = z.union([
  z.object({ winner: z.enum(WINNERS) }).strict(),
  z.object({ best: z.number().int().positive() }).strict(),
]);
export type GoldAnswer = z.infer<typeof goldAnswerSchema>;

/** Whether a stored judgment (canonical terms) matches the gold answer; null when the answer does not apply. */
export function matchesGold(gold: GoldAnswer, judgment: { winner: Winner | null; ranking: number[][] | null }): boolean | null {
  if ('winner' in gold) return judgment.winner === null ? null : judgment.winner === gold.winner;
  const top = judgment.ranking?.[0];
  if (!top) return null;
  return top.length === 1 && top[0] === gold.best;
}

export type GoldTally = { answered: number; correct: number; accuracy: number | null };

export function tallyGold(results: readonly (boolean | null)[]): GoldTally {
  const scored = results.filter((r): r is boolean => r !== null);
  const correct = scored.filter(Boolean).length;
  return { answered: scored.length, correct, accuracy: scored.length ? correct / scored.length : null };
}
