import { describe, expect, it } from 'vitest';
import { generatePreferences } from '@/lib/demo/generate-preferences';
import { addComparisons, createWinRateAccumulator, summarizeWinRates } from '@/lib/stats/win-rates';

describe('generatePreferences', () => {
  it('is deterministic for a seed', () => {
    expect(generatePreferences({ seed: 5 })).toEqual(generatePreferences({ seed: 5 }));
    expect(generatePreferences({ seed: 5 }).judgments).not.toEqual(generatePreferences({ seed: 6 }).judgments);
  });

  it('gives every prompt 2–4 responses from distinct named systems', () => {
    const data = generatePreferences({ prompts: 60 });
    expect(data.prompts).toHaveLength(60);
    for (const p of data.prompts) {
      expect(p.responses.length).toBeGreaterThanOrEqual(2);
      expect(p.responses.length).toBeLessThanOrEqual(4);
      expect(new Set(p.responses.map((r) => r.system)).size).toBe(p.responses.length);
      expect(p.messages.at(-1)?.role).toBe('user');
      expect(p.responses.every((r) => r.content.length > 0)).toBe(true);
    }
  });

  it('leaves some pairs unjudged and never lets one annotator judge a pair twice', () => {
    const data = generatePreferences({ prompts: 80, unjudgedShare: 0.3 });
    const judged = new Set(data.judgments.map((j) => j.pair));
    expect(judged.size).toBeLessThan(data.pairs.length);
    const keys = data.judgments.map((j) => `${j.pair}:${j.annotator}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('produces judgments whose win rates recover the hidden quality order', () => {
    const data = generatePreferences({ prompts: 1500, seed: 11 });
    const acc = createWinRateAccumulator();
    addComparisons(
      acc,
      data.judgments.map((j) => {
        const pair = data.pairs[j.pair]!;
        const prompt = data.prompts[pair.prompt]!;
        const a = prompt.responses[pair.a]!.system;
        const b = prompt.responses[pair.b]!.system;
        const isTie = j.winner === 'tie' || j.winner === 'both_bad';
        return { winner: j.winner === 'b' ? b : a, loser: j.winner === 'b' ? a : b, isTie, tieKind: j.winner === 'both_bad' ? 'both_bad' : isTie ? 'both_good' : null };
      }),
    );
    const order = summarizeWinRates(acc).systems.map((s) => s.system);
    const truth = [...data.config.systems].sort((x, y) => y.quality - x.quality).map((s) => s.name);
    expect(order).toEqual(truth);
  });

  it('rejects impossible configurations', () => {
    expect(() => generatePreferences({ systems: [{ name: 'solo', quality: 0 }] })).toThrow(/two systems/);
    expect(() => generatePreferences({ responsesPerPrompt: [1, 2] })).toThrow(/two responses/);
  });
});
