import { describe, expect, it } from 'vitest';
import { BpeTokenizer, trainBpe } from '@/lib/ml/tokenizer/bpe';

const corpus = [
  'The reward model prefers the helpful answer.',
  'The helpful answer explains the reward clearly.',
  'Rewards, rewards: helpfulness is rewarded.',
  'Zoë’s café serves crème brûlée — 美味しい! 🍰',
  'def reward(x):\n    return x * 2\n',
];

describe('byte-level BPE', () => {
  it('round-trips any text, including text it never saw, and merges shorten what it did see', () => {
    const tok = trainBpe(corpus, 120);
    for (const text of [...corpus, 'Unseen: ΑΒΓ ∑ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u0000 tabs\tand\r\nlines', '<|endoftext|> stays text']) expect(tok.decode(tok.encode(text))).toBe(text);
    const bytes = new TextEncoder().encode(corpus[0]).length;
    expect(tok.encode(corpus[0]!).length).toBeLessThan(bytes / 2);
    expect(tok.encode(' reward').length).toBeLessThanOrEqual(2); // a frequent word becomes one or two ids (6 bytes)
  });

  it('is deterministic, serialisable, and places special tokens after the merges', () => {
    const a = trainBpe(corpus, 60);
    const b = new BpeTokenizer(JSON.parse(JSON.stringify(trainBpe(corpus, 60).model)) as BpeTokenizer['model']);
    expect(b.encode(corpus.join(' '))).toEqual(a.encode(corpus.join(' ')));
    expect(a.vocabSize).toBe(256 + a.model.merges.length + 1);
    expect(a.specialId('<|endoftext|>')).toBe(256 + a.model.merges.length);
    // Merges are learned most-frequent first: the first merge is a pair inside "reward"/"the" (frequent), not a rare one.
    const first = a.decode([256]);
    expect(['e ', ' r', 're', 'ew', 'wa', 'ar', 'rd', 'he', 'th', ' t', 'Th', 'er', ' h', 'el', 'lp']).toContain(first);
  });
});
