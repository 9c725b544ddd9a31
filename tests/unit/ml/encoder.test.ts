import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@/lib/ml/backend';
import { EncoderRewardModel, fitEncoderRewardModel, type EncoderResume } from '@/lib/ml/encoder';
import { trainBpe } from '@/lib/ml/tokenizer/bpe';
import { createRng } from '@/lib/random';

beforeAll(async () => {
  await initBackend({ preference: 'wasm', appRoot: process.cwd() });
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

  it('resumes after an epoch from its weights and Adam state exactly where an uninterrupted fit would be', async () => {
    const rng = createRng(5);
    const seq = () => Array.from({ length: 3 + Math.floor(rng.next() * 8) }, () => 1 + Math.floor(rng.next() * 60));
    const pairs = { a: Array.from({ length: 64 }, seq), b: Array.from({ length: 64 }, seq) };
    const config = { ...small, vocab: 64, epochs: 3 };
    const straight = await fitEncoderRewardModel(pairs, config);
    let saved: EncoderResume | null = null;
    const first = await fitEncoderRewardModel(pairs, { ...config, epochs: 1 }, {
      onEpoch: async (r) => {
        saved = { epoch: r.epoch, weights: r.model.variables().map((v) => (v.dataSync() as Float32Array).slice()), optimizer: await r.optimizerState() };
      },
    });
    first.dispose();
    const resumed = await fitEncoderRewardModel(pairs, config, { resume: saved! });
    const probe = [[1, 2, 3], [7, 8, 9, 10]];
    const a = straight.rewards(probe).dataSync();
    const b = resumed.rewards(probe).dataSync();
    expect(b[0]).toBeCloseTo(a[0]!, 4);
    expect(b[1]).toBeCloseTo(a[1]!, 4);
    // A fresh fit of one epoch does not land there: the resume carried real state.
    const cold = await fitEncoderRewardModel(pairs, { ...config, epochs: 1 });
    expect(Math.abs(cold.rewards(probe).dataSync()[0]! - a[0]!)).toBeGreaterThan(1e-3);
  });

  it('ties pull both rewards together (−½(log σ(Δ) + log σ(−Δ))), decisive pairs push them apart', async () => {
    const rng = createRng(8);
    const seq = (base: number) => Array.from({ length: 6 }, () => base + Math.floor(rng.next() * 20));
    const a = Array.from({ length: 96 }, () => seq(1));
    const b = Array.from({ length: 96 }, () => seq(30));
    const config = { ...small, vocab: 64, epochs: 8 };
    const gap = (m: EncoderRewardModel) => {
      const ra = m.rewards(a.slice(0, 32)).dataSync() as Float32Array;
      const rb = m.rewards(b.slice(0, 32)).dataSync() as Float32Array;
      return ra.reduce((s, x, i) => s + Math.abs(x - rb[i]!), 0) / 32;
    };
    const decisive = await fitEncoderRewardModel({ a, b }, config);
    const tied = await fitEncoderRewardModel({ a, b, tie: a.map(() => true) }, config);
    expect(gap(decisive)).toBeGreaterThan(1);
    expect(gap(tied)).toBeLessThan(0.2);
  });
});
