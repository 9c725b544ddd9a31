/** Data-parallel preference optimisation: a worker thread computes half of every batch; the result matches one thread. */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LOSS_PARAMS } from '@/lib/ml/align/losses';
import { buildSequence } from '@/lib/ml/align/sequences';
import { logitsOf } from '@/lib/ml/lm/causal-lm';
import { preferenceOptimize, referenceLogProbs, type PreferenceExample } from '@/lib/ml/align/train';
import { initBackend, tf } from '@/lib/ml/backend';
import { Gpt } from '@/lib/ml/gpt/model';
import { createRng } from '@/lib/random';
import { openGradientPeer } from '@/lib/threads/align-pool';

beforeAll(async () => {
  await initBackend({ preference: 'wasm', appRoot: process.cwd() });
});

describe('data-parallel DPO', () => {
  it('two replicas (this thread and a worker thread) end where one thread ends', async () => {
    const rng = createRng(2);
    const seq = () => buildSequence(Array.from({ length: 5 }, () => rng.int(1, 40)), [...Array.from({ length: 3 + rng.int(0, 6) }, () => rng.int(1, 40)), 0], 24);
    const examples: PreferenceExample[] = Array.from({ length: 24 }, () => ({ chosen: seq(), rejected: seq() }));
    const config = { vocabSize: 48, nPositions: 24, nEmbd: 16, nLayer: 1, nHead: 2, layerNormEpsilon: 1e-5 };
    const run = async (parallel: boolean) => {
      const policy = new Gpt(config, 5);
      const reference = policy.frozenCopy();
      const refLogps = referenceLogProbs(reference, examples, 0);
      const lossConfig = { lossTypes: ['sigmoid' as const, 'sft' as const], lossWeights: [1, 0.1], params: DEFAULT_LOSS_PARAMS };
      const peer = parallel ? await openGradientPeer(policy, examples, 0, lossConfig) : null;
      if (parallel) expect(peer).not.toBeNull();
      const losses: number[] = [];
      await preferenceOptimize(policy, reference, examples, refLogps, 0, { ...lossConfig, epochs: 2, learningRate: 5e-3, batchSize: 6, seed: 1, klEvery: 0 }, { peer: peer ?? undefined, onStep: (r) => losses.push(r.metrics.loss!) });
      await peer?.close();
      const probe = Int32Array.from((examples[0] as { chosen: { ids: number[] } }).chosen.ids);
      const logits = tf.tidy(() => Array.from(logitsOf(policy, probe, 1, probe.length).dataSync()));
      policy.dispose();
      reference.dispose();
      return { losses, logits };
    };
    const one = await run(false);
    const two = await run(true);
    expect(two.losses).toHaveLength(one.losses.length);
    two.losses.forEach((l, i) => expect(l).toBeCloseTo(one.losses[i]!, 4));
    const worst = Math.max(...two.logits.map((v, i) => Math.abs(v - one.logits[i]!)));
    expect(worst).toBeLessThan(1e-3);
    // Training moved the policy: the comparison is not between two untouched models.
    expect(one.losses.at(-1)!).toBeLessThan(one.losses[0]!);
  }, 60_000);
});
