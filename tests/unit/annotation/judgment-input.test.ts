import { describe, expect, it } from 'vitest';
import { canonicalWinner, normalizeJudgment, requiredParts } from '@/lib/annotation/judgment-input';
import type { AppError } from '@/lib/errors';
import { planItems } from '@/lib/annotation/items-from-candidates';
import { matchesGold, tallyGold } from '@/lib/annotation/gold';
import { projectSettingsSchema } from '@/lib/projects/settings';

const pair = { kind: 'pair' as const, responseIds: [10, 20] };
const id = '0b7c7b8e-6a53-4c0e-9a58-9d1c2f0f3a11';

describe('shown terms → canonical terms', () => {
  it('maps the left side to whichever response was shown there', () => {
    expect(canonicalWinner('a', pair, [10, 20])).toBe('a');
    expect(canonicalWinner('a', pair, [20, 10])).toBe('b');
    expect(canonicalWinner('b', pair, [20, 10])).toBe('a');
    expect(canonicalWinner('tie', pair, [20, 10])).toBe('tie');
    expect(canonicalWinner('both_bad', pair, [20, 10])).toBe('both_bad');
  });

  it('keeps strength only for decisive answers and trims justifications', () => {
    const settings = projectSettingsSchema.parse({ strengthScale: '7', justification: 'optional' });
    expect(normalizeJudgment({ id, assignmentId: 1, winner: 'a', strength: 2, justification: '  ok ' }, pair, settings, [20, 10])).toEqual({
      winner: 'b',
      strength: 2,
      justification: 'ok',
      ranking: null,
      ratings: null,
    });
    expect(normalizeJudgment({ id, assignmentId: 1, winner: 'tie' }, pair, settings, [10, 20]).strength).toBeNull();
  });

  it('names the field of every refusal', () => {
    const settings = projectSettingsSchema.parse({ tasks: ['pairwise', 'rating'], attributes: ['helpfulness'] });
    const field = (input: object) => {
      try {
        normalizeJudgment({ id, assignmentId: 1, ...input }, pair, settings, [10, 20]);
        return 'ok';
      } catch (e) {
        return (e as AppError).details.field;
      }
    };
    expect(field({ winner: 'a' })).toBe('ratings');
    expect(field({ winner: 'a', ratings: { 10: { helpfulness: 3 } } })).toBe('ratings');
    expect(field({ winner: 'a', ratings: { 10: { helpfulness: 3 }, 20: { helpfulness: 1, style: 2 } } })).toBe('ratings');
    expect(field({ winner: 'a', ratings: { 10: { helpfulness: 3 }, 20: { helpfulness: 1 } } })).toBe('ok');
    expect(field({ winner: 'a', strength: 1, ratings: { 10: { helpfulness: 3 }, 20: { helpfulness: 1 } } })).toBe('strength');
    expect(field({ winner: 'a', justification: 'x', ratings: { 10: { helpfulness: 3 }, 20: { helpfulness: 1 } } })).toBe('justification');
  });

  it('knows which parts each item kind needs', () => {
    const both = projectSettingsSchema.parse({ tasks: ['ranking', 'rating'], attributes: ['x'] });
    expect(requiredParts({ kind: 'ranking', responseIds: [1, 2, 3] }, both)).toEqual({ pairwise: false, ranking: true, ratings: true });
    expect(requiredParts(pair, projectSettingsSchema.parse({}))).toEqual({ pairwise: true, ranking: false, ratings: false });
  });
});

describe('planning items from candidates', () => {
  const settings = (tasks: ('pairwise' | 'ranking' | 'rating')[], rankingSize = 4) => ({ tasks, rankingSize });
  it('makes every pair for pairwise projects', () => {
    expect(planItems(3, settings(['pairwise'])).map((p) => p.indexes)).toEqual([[0, 1], [0, 2], [1, 2]]);
    expect(planItems(1, settings(['pairwise']))).toEqual([]);
  });
  it('splits rankings evenly, never below three responses, covering every response once', () => {
    for (let n = 3; n <= 30; n++) {
      for (const size of [3, 4, 5, 9]) {
        const plan = planItems(n, settings(['ranking'], size));
        expect(plan.flatMap((p) => p.indexes)).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(plan.every((p) => p.indexes.length >= 3 && p.indexes.length <= Math.max(size, 6))).toBe(true);
      }
    }
    expect(planItems(5, settings(['ranking'], 4)).map((p) => p.indexes.length)).toEqual([5]);
    expect(planItems(10, settings(['ranking'], 4)).map((p) => p.indexes.length)).toEqual([4, 3, 3]);
  });
  it('falls back to pairs when a ranking project gets only two responses, and to one rating list', () => {
    expect(planItems(2, settings(['ranking', 'pairwise']))).toEqual([{ kind: 'pair', indexes: [0, 1] }]);
    expect(planItems(4, settings(['rating']))).toEqual([{ kind: 'rating', indexes: [0, 1, 2, 3] }]);
  });
});

describe('gold', () => {
  it('scores pairs by winner and rankings by a unique best response', () => {
    expect(matchesGold({ winner: 'a' }, { winner: 'a', ranking: null })).toBe(true);
    expect(matchesGold({ winner: 'tie' }, { winner: 'both_bad', ranking: null })).toBe(false);
    expect(matchesGold({ best: 3 }, { winner: null, ranking: [[3], [1, 2]] })).toBe(true);
    expect(matchesGold({ best: 3 }, { winner: null, ranking: [[3, 1], [2]] })).toBe(false);
    expect(matchesGold({ best: 3 }, { winner: null, ranking: null })).toBeNull();
    expect(tallyGold([true, false, null, true])).toEqual({ answered: 3, correct: 2, accuracy: 2 / 3 });
  });
});
