import { describe, expect, it } from 'vitest';
import { aggregateVotes, buildRows, DEFAULT_EXPORT_OPTIONS, marginOf, selectRankingPairs, splitPrompts, votesFromRatings, type ExportContext, type Vote } from '@/lib/data/export';
import { validateExport } from '@/lib/data/export-validation';

const vote = (a: number, b: number, outcome: Vote['outcome'], annotator: string, strength: number | null = null, groupId: string | null = null): Vote => ({ promptId: 1, a, b, outcome, strength, annotator, groupId });

const ctx: ExportContext = {
  prompts: new Map([
    [1, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Capital of France?' }]],
    [2, [{ role: 'user', content: '2+2?' }]],
  ]),
  responses: new Map([
    [10, { content: 'Paris.', system: 'm1' }],
    [11, { content: 'Lyon.', system: 'm2' }],
    [12, { content: 'Marseille.', system: 'm3' }],
    [13, { content: 'Nice.', system: 'm4' }],
    [20, { content: '4', system: 'm1' }],
    [21, { content: '5', system: 'm2' }],
  ]),
};

describe('aggregation', () => {
  it('takes the majority per pair with its agreement and the agreeing strength', () => {
    const [p] = aggregateVotes([vote(10, 11, 'a', 'x', 3), vote(11, 10, 'a', 'y', 1), vote(10, 11, 'a', 'z', 1)], { aggregation: 'majority' });
    expect(p).toMatchObject({ chosen: 10, rejected: 11, tie: null, annotators: ['x', 'y', 'z'], strength: 2 });
    expect(p!.agreement).toBeCloseTo(2 / 3, 12);
  });

  it('lets strength weigh when asked, and Dawid–Skene weights silence a spammer', () => {
    const votes = [vote(10, 11, 'a', 'x', 3), vote(11, 10, 'a', 'y', 1), vote(11, 10, 'a', 'z', 1)];
    expect(aggregateVotes(votes, { aggregation: 'majority' })[0]!.chosen).toBe(11);
    expect(aggregateVotes(votes, { aggregation: 'strength-weighted' })[0]!.chosen).toBe(10);
    const weights = new Map([
      ['x', 2],
      ['y', 0.1],
      ['z', 0.1],
    ]);
    expect(aggregateVotes(votes, { aggregation: 'dawid-skene', weights })[0]!.chosen).toBe(10);
  });

  it('keeps ties apart: both good vs both bad, and a tie wins a split vote', () => {
    expect(aggregateVotes([vote(10, 11, 'tie', 'x'), vote(10, 11, 'tie', 'y'), vote(10, 11, 'a', 'z')], { aggregation: 'majority' })[0]!.tie).toBe('both_good');
    expect(aggregateVotes([vote(10, 11, 'both_bad', 'x'), vote(10, 11, 'a', 'y'), vote(11, 10, 'a', 'z')], { aggregation: 'majority' })[0]!.tie).toBe('both_bad');
  });

  it('keeps best-vs-each plus adjacent pairs of a ranking (2K−3), or all of them', () => {
    // 10 > 11 > 12 > 13 as all six implied pairs.
    const order = [10, 11, 12, 13];
    const all: Vote[] = [];
    for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) all.push(vote(order[i]!, order[j]!, 'a', 'x', null, 'g'));
    const kept = selectRankingPairs(all, 'best-vs-each-adjacent').map((v) => `${v.a}>${v.b}`);
    expect(kept.sort()).toEqual(['10>11', '10>12', '10>13', '11>12', '12>13']);
    expect(selectRankingPairs(all, 'all')).toHaveLength(6);
  });
});

describe('rows and validation', () => {
  it('writes the canonical conversational shape with an explicit prompt, optional margin, and sibling files', () => {
    const pairs = aggregateVotes([vote(10, 11, 'a', 'x', 2), { ...vote(20, 21, 'a', 'x', 1), promptId: 2 }, vote(12, 13, 'both_bad', 'x')], { aggregation: 'majority' });
    const rows = buildRows(pairs, ctx, { ...DEFAULT_EXPORT_OPTIONS, margin: 'llama2' });
    const first = rows.canonical.train[0]!;
    expect(first.prompt).toEqual(ctx.prompts.get(1));
    expect(first.chosen).toEqual([{ role: 'assistant', content: 'Paris.' }]);
    expect(first.rejected).toEqual([{ role: 'assistant', content: 'Lyon.' }]);
    expect(first.margin).toBe(0.67);
    expect(rows.implicit.train[0]).toEqual({ chosen: [...ctx.prompts.get(1)!, { role: 'assistant', content: 'Paris.' }], rejected: [...ctx.prompts.get(1)!, { role: 'assistant', content: 'Lyon.' }], margin: 0.67 });
    expect(rows.standard.train[0]!.prompt).toBe('System: Be brief.\n\nUser: Capital of France?\n\nAssistant:');
    expect(rows.counts).toMatchObject({ pairs: 2, ties: 1, tiesDropped: 1, desirable: 2, undesirable: 4 });
    expect(rows.unpaired.train.filter((r) => r.label === false)).toHaveLength(4); // two rejected + both-bad pair
    expect(rows.llamafactory[0]).toMatchObject({ system: 'Be brief.', conversations: [{ from: 'human', value: 'Capital of France?' }], chosen: { from: 'gpt', value: 'Paris.' } });
    expect(validateExport(rows).ok).toBe(true);
  });

  it('omits the margin key when off (never null) and writes ties in both orders only when asked', () => {
    const pairs = aggregateVotes([vote(10, 11, 'tie', 'x'), vote(12, 13, 'a', 'y', 3)], { aggregation: 'majority' });
    const off = buildRows(pairs, ctx, DEFAULT_EXPORT_OPTIONS);
    expect(off.canonical.train.every((r) => !('margin' in r))).toBe(true);
    expect(off.canonical.train).toHaveLength(1);
    const both = buildRows(pairs, ctx, { ...DEFAULT_EXPORT_OPTIONS, ties: 'both-orderings' });
    const ties = both.canonical.train.filter((r) => r.tie === true);
    expect(ties).toHaveLength(2);
    expect(ties.every((r) => r.margin === 0)).toBe(true);
    expect(marginOf(2, 'abs')).toBe(2);
    expect(marginOf(null, 'abs')).toBeUndefined();
  });

  it('splits by prompt with a seed, never putting one prompt on both sides', () => {
    const ids = Array.from({ length: 100 }, (_, k) => k + 1);
    const split = splitPrompts(ids, 0.2, 5);
    expect([...split.values()].filter((s) => s === 'test')).toHaveLength(20);
    expect(splitPrompts(ids, 0.2, 5)).toEqual(split);
    expect(splitPrompts(ids, 0.2, 6)).not.toEqual(split);
  });

  it('flags rows trainers would reject', () => {
    const rows = buildRows(aggregateVotes([vote(10, 11, 'a', 'x')], { aggregation: 'majority' }), ctx, DEFAULT_EXPORT_OPTIONS);
    rows.canonical.train.push({ prompt: [{ role: 'assistant', content: 'hi' }], chosen: [{ role: 'assistant', content: 'same' }], rejected: [{ role: 'assistant', content: 'same' }], margin: -1 });
    rows.canonical.train.push({ ...rows.canonical.train[0]! });
    const report = validateExport(rows);
    expect(report.ok).toBe(false);
    expect(report.errors).toEqual(['train.jsonl line 2: prompt must end with a user turn', 'train.jsonl line 2: chosen and rejected are the same text', 'train.jsonl line 2: margin must be a number ≥ 0']);
    expect(report.duplicatePairs).toBe(1);
  });
});

describe('BT consensus', () => {
  it('decides a split pair by how each response fared against the others of the prompt', () => {
    // 10 vs 11 is split 1–1, but 10 beats 12 and 13 everywhere while 11 loses to both.
    const votes = [vote(10, 11, 'a', 'x'), vote(11, 10, 'a', 'y'), vote(10, 12, 'a', 'x'), vote(10, 13, 'a', 'y'), vote(12, 11, 'a', 'x'), vote(13, 11, 'a', 'y')];
    const pair = (agg: 'majority' | 'bt-consensus') => aggregateVotes(votes, { aggregation: agg }).find((p) => [p.chosen, p.rejected].sort().join() === '10,11')!;
    expect(pair('bt-consensus')).toMatchObject({ chosen: 10, rejected: 11, tie: null, agreement: 0.5 });
    expect(pair('majority').tie).toBe('both_good'); // a 1–1 split is a tie for the majority rule
  });
});

describe('pairs from ratings', () => {
  it('pairs responses whose ratings differ by at least the threshold, margin = difference / 4', () => {
    const votes = votesFromRatings([{ promptId: 1, annotator: 'x', ratings: { 10: { helpfulness: 4 }, 11: { helpfulness: 1 }, 12: { helpfulness: 4 } } }], 'helpfulness', 1);
    expect(votes).toEqual([
      { promptId: 1, a: 10, b: 11, outcome: 'a', strength: null, annotator: 'x', groupId: null, margin: 0.75 },
      { promptId: 1, a: 12, b: 11, outcome: 'a', strength: null, annotator: 'x', groupId: null, margin: 0.75 },
    ]);
    expect(votesFromRatings([{ promptId: 1, annotator: 'x', ratings: { 10: { helpfulness: 3 }, 11: { helpfulness: 2 } } }], 'helpfulness', 2)).toEqual([]);
    const rows = buildRows(aggregateVotes(votes, { aggregation: 'majority' }), ctx, DEFAULT_EXPORT_OPTIONS);
    expect(rows.canonical.train.map((r) => [r.margin, r.source])).toEqual([
      [0.75, 'ratings'],
      [0.75, 'ratings'],
    ]);
  });
});
