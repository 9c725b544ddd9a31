import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@/lib/ml/backend';
import { EncoderRewardModel, fitEncoderRewardModel } from '@/lib/ml/encoder';
import { trainBpe } from '@/lib/ml/tokenizer/bpe';
import { createRng } from '@/lib/random';

beforeAll(async () => {
  await initBackend('wasm');
});

const small = { dModel: 32, layers: 1, heads: 2, maxLen: 32, seed: 0, learningRate: 3e-3, batchSize: 16 };

describe('transformer-encoder reward model', () => {
  it('ignores padding: a sequence scores the same alone and beside a longer one', () => {
    const model = new EncoderRewardModel({ ...small, vocab: 300, epochs: 1 });
    const alone = model.rewards([[5, 6, 7]]).dataSync()[0]!;
    const padded = model.rewards([[5, 6, 7], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]).dataSync()[0]!;
    expect(padded).toBeCloseTo(alone, 4);
  });

  it('learns which responses are preferred from BPE tokens (held out ≥ 90%)', async () => {
    const rng = createRng(3);
    const filler = ['the', 'answer', 'is', 'here', 'and', 'it', 'says', 'that', 'we', 'can', 'help'];
    const sentence = (good: boolean) => [...Array.from({ length: 6 }, () => rng.pick(filler)), good ? rng.pick(['thanks', 'certainly', 'gladly']) : rng.pick(['whatever', 'no', 'go away'])].join(' ');
    const pairs = Array.from({ length: 500 }, () => ({ chosen: sentence(true), rejected: sentence(false) }));
    const tok = trainBpe(pairs.flatMap((p) => [p.chosen, p.rejected]), 80);
    const enc = (t: string) => tok.encode(t);
    const train = pairs.slice(0, 400);
    const test = pairs.slice(400);
    const model = await fitEncoderRewardModel({ a: train.map((p) => enc(p.chosen)), b: train.map((p) => enc(p.rejected)) }, { ...small, vocab: tok.vocabSize, epochs: 6 });
    const ra = model.rewards(test.map((p) => enc(p.chosen))).dataSync();
    const rb = model.rewards(test.map((p) => enc(p.rejected))).dataSync();
    expect(test.filter((_, i) => ra[i]! > rb[i]!).length / test.length).toBeGreaterThanOrEqual(0.9);
  }, 60_000);
});
