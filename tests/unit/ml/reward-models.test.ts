/** Quality bars of the reward models on data with a known answer (issue: reward models). */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type tf } from '@/lib/ml/backend';
import { deserializeModel, serializeModel } from '@/lib/ml/model-io';
import { evaluateModel } from '@/lib/ml/model-evaluation';
import { fitRewardModel } from '@/lib/ml/fit';
import { DEFAULT_CONFIG, type PreferenceData, type RewardModel } from '@/lib/ml/reward-model';
import { DEFAULT_HASHED_NGRAMS, hashedNgramFeatures } from '@/lib/ml/features/hashed-ngrams';
import { cyclicPreferences, linearPreferences, linearRankings, syntheticData, type SyntheticPair } from '@/lib/ml/synthetic';
import { createRng } from '@/lib/random';

beforeAll(async () => {
  await initBackend({ preference: 'wasm', appRoot: process.cwd() });
});

const heldOut = (pairs: SyntheticPair[]) => {
  const cut = Math.floor(pairs.length * 0.8);
  return { train: syntheticData(pairs.slice(0, cut)), test: syntheticData(pairs.slice(cut)) };
};
const accuracy = (model: RewardModel, test: PreferenceData) => {
  const p = model.preferences(
    test.pairs.map((x) => test.features[x.a]!),
    test.pairs.map((x) => test.features[x.b]!),
  );
  return p.filter((x) => x > 0.5).length / p.length;
};

describe('reward models', () => {
  it('Bradley–Terry recovers a hidden linear reward: ≥ 90% held-out accuracy', async () => {
    const { train, test } = heldOut(linearPreferences(6000, 3).pairs);
    const model = await fitRewardModel(train, { ...DEFAULT_CONFIG, kind: 'bt' });
    expect(accuracy(model, test)).toBeGreaterThanOrEqual(0.9);
  }, 60_000);

  it('on rock-paper-scissors preferences the GPM reaches ≥ 95% while Bradley–Terry stays near 50%', async () => {
    const { train, test } = heldOut(cyclicPreferences(1500, 3));
    const gpm = await fitRewardModel(train, { ...DEFAULT_CONFIG, kind: 'gpm' });
    const bt = await fitRewardModel(train, { ...DEFAULT_CONFIG, kind: 'bt' });
    expect(accuracy(gpm, test)).toBeGreaterThanOrEqual(0.95);
    expect(Math.abs(accuracy(bt, test) - 0.5)).toBeLessThan(0.1);
  }, 60_000);

  it('an ensemble flags most pairs whose labels were flipped (negative out-of-bag preference strength)', async () => {
    const { pairs } = linearPreferences(3000, 5);
    const rng = createRng(9);
    const flipped = new Set<number>();
    const noisy = pairs.map((p, k) => (rng.next() < 0.2 ? (flipped.add(k), { ...p, chosen: p.rejected, rejected: p.chosen }) : p));
    const data = syntheticData(noisy);
    const meta = noisy.map((_, k) => ({ comparisonId: k, promptId: k, a: 2 * k, b: 2 * k + 1, tie: false, tags: [] }));
    const model = await fitRewardModel(data, { ...DEFAULT_CONFIG, kind: 'ensemble', members: 5 });
    const { flags } = evaluateModel(model, { features: data.features, lengths: noisy.map((p) => p.chosen.length) }, meta, [], meta);
    const mislabelled = new Set(flags.pairs.filter((f) => f.kind === 'mislabelled').map((f) => f.comparisonId));
    const caught = [...flipped].filter((k) => mislabelled.has(k)).length;
    expect(caught / flipped.size).toBeGreaterThan(0.6);
    // Far more of the flipped pairs are flagged than of the clean ones.
    const clean = pairs.length - flipped.size;
    expect(caught / flipped.size).toBeGreaterThan(3 * ((mislabelled.size - caught) / clean));
  }, 90_000);

  it('ensembles aggregate by mean, worst case and uncertainty-weighted rewards', async () => {
    const { train } = heldOut(linearPreferences(800, 7).pairs);
    const model = await fitRewardModel(train, { ...DEFAULT_CONFIG, kind: 'ensemble', members: 3, epochs: 3 });
    const rows = train.features.slice(0, 10);
    const members = model.memberRewards(rows).map((r, m) => Array.from(r, (x) => (x - model.norms[m]!.mean) / model.norms[m]!.std));
    const mean = model.rewards(rows, 'mean');
    const worst = model.rewards(rows, 'worst-case');
    const uwo = model.rewards(rows, 'uncertainty-weighted', 2);
    rows.forEach((_, i) => {
      const z = members.map((m) => m[i]!);
      const mu = z.reduce((s, x) => s + x, 0) / 3;
      expect(mean[i]).toBeCloseTo(mu, 4);
      expect(worst[i]).toBeCloseTo(Math.min(...z), 4);
      expect(uwo[i]).toBeCloseTo(mu - 2 * (z.reduce((s, x) => s + (x - mu) ** 2, 0) / 3), 4);
    });
  }, 60_000);

  it('learns from rankings alone through Plackett–Luce', async () => {
    const { rankings } = linearRankings(1800, 4, 13);
    const train = rankings.slice(0, 1500);
    const features = train.flatMap((r) => r.responses.map((t) => hashedNgramFeatures(r.prompt, t)));
    const data: PreferenceData = { ...syntheticData([]), features, rankings: train.map((_, i) => [0, 1, 2, 3].map((j) => [4 * i + j])) };
    const model = await fitRewardModel(data, { ...DEFAULT_CONFIG, kind: 'bt' });
    // Held-out: adjacent pairs of the other rankings (same hidden reward).
    const test = rankings.slice(1500).flatMap((r) => [0, 1, 2].map((j) => ({ prompt: r.prompt, chosen: r.responses[j]!, rejected: r.responses[j + 1]! })));
    expect(accuracy(model, syntheticData(test))).toBeGreaterThan(0.85);
  }, 60_000);

  it('regression heads learn attribute ratings, and their mean ranks responses', async () => {
    const { pairs, weights } = linearPreferences(2000, 17);
    const data = syntheticData(pairs);
    const reward = (text: string) => text.split(' ').reduce((s, w) => s + (weights.get(w) ?? 0), 0);
    const ratings = pairs.flatMap((p, k) =>
      [p.chosen, p.rejected].map((t, j) => ({ row: 2 * k + j, values: { helpfulness: Math.max(0, Math.min(4, Math.round(2 + reward(t) / 3))) } })),
    );
    const model = await fitRewardModel({ ...data, pairs: [], ratings: ratings.slice(0, 3200) }, { ...DEFAULT_CONFIG, kind: 'regression', attributes: ['helpfulness'] });
    const test = ratings.slice(3200);
    const predicted = model.attributeScores(test.map((r) => data.features[r.row]!)).map((x) => x[0]!);
    const truth = test.map((r) => r.values.helpfulness);
    const mp = predicted.reduce((s, x) => s + x, 0) / predicted.length;
    const mt = truth.reduce((s, x) => s + x, 0) / truth.length;
    const cov = predicted.reduce((s, x, i) => s + (x - mp) * (truth[i]! - mt), 0);
    const corr = cov / Math.sqrt(predicted.reduce((s, x) => s + (x - mp) ** 2, 0) * truth.reduce((s, x) => s + (x - mt) ** 2, 0));
    expect(corr).toBeGreaterThan(0.8);
  }, 60_000);

  it('saves and loads every kind to identical predictions', async () => {
    const { train, test } = heldOut(cyclicPreferences(300, 5));
    for (const kind of ['bt', 'ensemble', 'gpm'] as const) {
      const model = await fitRewardModel(train, { ...DEFAULT_CONFIG, kind, members: 2, epochs: 2, hidden: kind === 'gpm' ? 8 : 0 });
      const { manifest, weights } = serializeModel(model, DEFAULT_HASHED_NGRAMS);
      const loaded = deserializeModel(JSON.parse(JSON.stringify(manifest)) as typeof manifest, new Uint8Array(weights));
      const a = test.pairs.map((x) => test.features[x.a]!);
      const b = test.pairs.map((x) => test.features[x.b]!);
      expect(Array.from(loaded.preferences(a, b))).toEqual(Array.from(model.preferences(a, b)));
    }
  }, 60_000);

  it('resumes from a checkpoint: finished members are not trained again, the current one continues', async () => {
    const { train, test } = heldOut(linearPreferences(1500, 19).pairs);
    const config = { ...DEFAULT_CONFIG, kind: 'ensemble' as const, members: 2, epochs: 4 };
    let checkpoint: Map<string, tf.Tensor> | null = null;
    const controller = new AbortController();
    await fitRewardModel(train, config, {
      signal: controller.signal,
      onEpoch: (r) => {
        if (r.member === 1 && r.epoch === 1) {
          checkpoint = new Map(r.model.namedWeights().map(({ name, tensor }) => [name, tensor.clone()]));
          controller.abort(new Error('worker died'));
        }
      },
    }).catch((e: unknown) => expect((e as Error).message).toBe('worker died'));
    expect(checkpoint).not.toBeNull();
    const seen: string[] = [];
    const resumed = await fitRewardModel(train, config, { resume: { weights: checkpoint!, member: 1, epoch: 1 }, onEpoch: (r) => void seen.push(`${r.member}:${r.epoch}`) });
    expect(seen).toEqual(['1:2', '1:3', '1:4']);
    expect(accuracy(resumed, test)).toBeGreaterThan(0.7);
  }, 60_000);
});
