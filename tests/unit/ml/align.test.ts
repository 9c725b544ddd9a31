/** Alignment of a GPT policy: sequences and masks, SFT, DPO raising a property the chosen responses carry, resume, sampling. */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LOSS_PARAMS } from '@/lib/ml/align/losses';
import { generate, sampleToken } from '@/lib/ml/align/generate';
import { batchSequences, buildSequence, sequenceLogProbs } from '@/lib/ml/align/sequences';
import { logitsOf, nextTokenLogProbs } from '@/lib/ml/lm/causal-lm';
import { preferenceOptimize, referenceLogProbs, sft, type PreferenceExample, type StepReport, type TrainState } from '@/lib/ml/align/train';
import { initBackend, tf } from '@/lib/ml/backend';
import { Gpt } from '@/lib/ml/gpt/model';
import { trainBpe } from '@/lib/ml/tokenizer/bpe';
import { createRng } from '@/lib/random';

beforeAll(async () => {
  await initBackend({ preference: 'wasm', appRoot: process.cwd() });
});

describe('sequences', () => {
  it('keeps the prompt tail and the completion head, masks prompt and padding, and sums completion log-probs only', () => {
    expect(buildSequence([1, 2, 3, 4, 5, 6], [7, 8, 0], 6)).toEqual({ ids: [4, 5, 6, 7, 8, 0], start: 3 });
    expect(buildSequence([1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12, 0], 6)).toEqual({ ids: [4, 5, 6, 7, 8, 9], start: 3 });
    const model = new Gpt({ vocabSize: 16, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2, layerNormEpsilon: 1e-5 }, 3);
    const seqs = [buildSequence([1, 2, 3], [4, 5, 0], 8), buildSequence([6], [7, 8, 9, 10, 0], 8)];
    const batch = batchSequences(seqs, 15);
    expect(batch.lengths).toEqual([3, 5]);
    const mask = batch.mask.arraySync();
    expect(mask[0]).toEqual([0, 0, 1, 1, 1, 0]);
    expect(mask[1]).toEqual([1, 1, 1, 1, 1, 0]);
    const tokenLps = tf.tidy(() => nextTokenLogProbs(model, batch.ids, batch.B, batch.T).arraySync());
    const sums = tf.tidy(() => Array.from(sequenceLogProbs(model, batch).dataSync()));
    expect(sums[0]).toBeCloseTo(tokenLps[0]![2]! + tokenLps[0]![3]! + tokenLps[0]![4]!, 4);
    expect(sums[1]).toBeCloseTo(tokenLps[1]!.slice(0, 5).reduce((s, v) => s + v, 0), 4);
    model.dispose();
  });

  it('samples with temperature, top-k and top-p', () => {
    const logits = Float32Array.from([2, 1, 0, -1]);
    expect(sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, 0.99)).toBe(0);
    expect(sampleToken(logits, { temperature: 1, topK: 1, topP: 1 }, 0.99)).toBe(0);
    // p ∝ e^2, e^1, e^0, e^-1 = 0.644, 0.237, 0.087, 0.032: top-p 0.85 keeps the first two.
    const counts = [0, 0, 0, 0];
    const rng = createRng(1);
    for (let k = 0; k < 4000; k++) counts[sampleToken(logits, { temperature: 1, topK: 0, topP: 0.85 }, rng.next())]!++;
    expect(counts[2]! + counts[3]!).toBe(0);
    expect(counts[0]! / 4000).toBeCloseTo(0.644 / (0.644 + 0.237), 1);
    const hot = [0, 0, 0, 0];
    for (let k = 0; k < 4000; k++) hot[sampleToken(logits, { temperature: 5, topK: 0, topP: 1 }, rng.next())]!++;
    expect(hot[3]! / 4000).toBeGreaterThan(0.15);
  });
});

describe('DPO on a GPT policy', () => {
  // Chosen responses say "please"; rejected ones never do. SFT sees both, so the policy starts near 50%.
  const rng = createRng(5);
  const filler = ['the', 'answer', 'is', 'here', 'look', 'at', 'this', 'now', 'we', 'can'];
  const say = (polite: boolean) => {
    const words = Array.from({ length: 4 }, () => rng.pick(filler));
    if (polite) words.splice(rng.int(0, 4), 0, 'please');
    return words.join(' ');
  };
  const data = Array.from({ length: 160 }, (_, k) => ({ prompt: `Q${k % 20}:`, chosen: say(true), rejected: say(false) }));
  const tok = trainBpe(data.flatMap((d) => [d.prompt, ` ${d.chosen}`, ` ${d.rejected}`]), 60);
  const eos = tok.specialId('<|endoftext|>');
  const config = { vocabSize: tok.vocabSize, nPositions: 32, nEmbd: 32, nLayer: 2, nHead: 2, layerNormEpsilon: 1e-5 };
  const seq = (prompt: string, completion: string) => buildSequence(tok.encode(prompt), [...tok.encode(` ${completion}`), eos], 32);
  const examples: PreferenceExample[] = data.map((d) => ({ chosen: seq(d.prompt, d.chosen), rejected: seq(d.prompt, d.rejected) }));
  const rate = (model: Gpt) => {
    let polite = 0;
    for (let k = 0; k < 20; k++) {
      const samples = generate(model, tok.encode(`Q${k}:`), 4, eos, { maxNewTokens: 12, seed: k });
      polite += samples.filter((s) => tok.decode(s).includes('please')).length;
    }
    return polite / 80;
  };

  it('raises the rate of the preferred property, ends with rewards/accuracies > 0.9 on train, and reports KL to the reference', async () => {
    const policy = new Gpt(config, 1);
    await sft(policy, examples.flatMap((e) => ('chosen' in e ? [e.chosen, e.rejected] : [])), eos, { epochs: 6, learningRate: 3e-3, batchSize: 16, seed: 0 });
    const reference = policy.frozenCopy();
    const before = rate(policy);
    const refLogps = referenceLogProbs(reference, examples, eos);
    const steps: StepReport[] = [];
    await preferenceOptimize(policy, reference, examples, refLogps, eos, { lossTypes: ['sigmoid'], lossWeights: null, params: { ...DEFAULT_LOSS_PARAMS, beta: 0.1 }, epochs: 4, learningRate: 1e-3, batchSize: 16, seed: 0, klEvery: 10 }, { onStep: (r) => steps.push(r) });
    const after = rate(policy);
    console.log(`property rate before DPO ${before}, after ${after}; last accuracies ${steps.slice(-10).map((s) => s.metrics['rewards/accuracies']).join(',')}`);
    // The first DPO step starts at ln 2 (policy = reference).
    expect(steps[0]!.metrics.loss).toBeCloseTo(Math.LN2, 3);
    expect(Object.keys(steps[0]!.metrics)).toEqual(expect.arrayContaining(['loss', 'rewards/chosen', 'rewards/rejected', 'rewards/margins', 'rewards/accuracies', 'logps/chosen', 'logps/rejected']));
    const lastEpoch = steps.filter((s) => s.epoch === 4);
    expect(lastEpoch.reduce((s, r) => s + r.metrics['rewards/accuracies']!, 0) / lastEpoch.length).toBeGreaterThan(0.9);
    expect(after).toBeGreaterThan(before + 0.2);
    const kl = steps.filter((s) => s.metrics.kl !== undefined).map((s) => s.metrics.kl!);
    expect(kl.length).toBeGreaterThan(2);
    expect(kl.at(-1)!).toBeGreaterThan(0);
    policy.dispose();
    reference.dispose();
  }, 120_000);

  it('resumes SFT from a saved state to the same weights as an uninterrupted run', async () => {
    const seqs = examples.slice(0, 48).map((e) => (e as { chosen: ReturnType<typeof seq> }).chosen);
    const straight = new Gpt(config, 2);
    await sft(straight, seqs, eos, { epochs: 2, learningRate: 3e-3, batchSize: 16, seed: 0 });
    const interrupted = new Gpt(config, 2);
    let saved: TrainState | null = null;
    await sft(interrupted, seqs, eos, { epochs: 1, learningRate: 3e-3, batchSize: 16, seed: 0 }, { onEpoch: async (_e, state) => void (saved = await state()) });
    const resumed = new Gpt(config, 99);
    await sft(resumed, seqs, eos, { epochs: 2, learningRate: 3e-3, batchSize: 16, seed: 0 }, { resume: saved! });
    const probe = Int32Array.from(seqs[0]!.ids);
    const a = tf.tidy(() => logitsOf(straight, probe, 1, probe.length).dataSync());
    const b = tf.tidy(() => logitsOf(resumed, probe, 1, probe.length).dataSync());
    expect(Math.abs(a[5]! - b[5]!)).toBeLessThan(1e-4);
    [straight, interrupted, resumed].forEach((m) => m.dispose());
  }, 60_000);
});

describe('alignment examples from comparisons', () => {
  const seq = (m: string, r: string) => ({ ids: [m.length, r.length], start: 1 });
  const pairs = [
    { messages: 'q1', chosen: 'good', rejected: 'bad', tie: false, tieKind: null },
    { messages: 'q2', chosen: 'fine', rejected: 'also fine', tie: true, tieKind: 'both_good' as const },
    { messages: 'q3', chosen: 'awful', rejected: 'worse', tie: true, tieKind: 'both_bad' as const },
  ];
  it('paired losses take decisive pairs; KTO reads chosen and both-good as desirable, rejected and both-bad as undesirable; NPO forgets the undesirable', async () => {
    const { alignmentExamples } = await import('@/lib/ml/align/examples');
    expect(alignmentExamples(pairs, ['sigmoid'], seq)).toEqual([{ chosen: seq('q1', 'good'), rejected: seq('q1', 'bad') }]);
    const kto = alignmentExamples(pairs, ['kto'], seq) as { sample: { ids: number[] }; desirable: boolean }[];
    expect(kto.map((e) => e.desirable)).toEqual([true, false, true, true, false, false]);
    expect(kto.map((e) => e.sample.ids[1])).toEqual([4, 3, 4, 9, 5, 5]);
    const npo = alignmentExamples(pairs, ['npo'], seq) as { sample: { ids: number[] }; desirable: boolean }[];
    expect(npo.map((e) => e.sample.ids[1])).toEqual([3, 5, 5]);
  });
});
