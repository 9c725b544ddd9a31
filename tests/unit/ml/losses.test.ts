import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, logSigmoid, tf } from '@/lib/ml/backend';
import { btLoss, davidsonLoss, gpmScore, plackettLuceLoss } from '@/lib/ml/losses';
import { bestOf4Sets, davidsonOutcomes, evaluatePairs, fitTieParameter } from '@/lib/ml/evaluate';
import { createRng } from '@/lib/random';

const v = (t: tf.Tensor) => Array.from(t.dataSync());
const sig = (x: number) => 1 / (1 + Math.exp(-x));

beforeAll(async () => {
  await initBackend({ preference: 'wasm', appRoot: process.cwd() });
});

describe('reward-model losses (docs/algorithms.md)', () => {
  it('log σ is −softplus(−x), with a working gradient (tf.logSigmoid’s is broken in 4.22)', () => {
    const x = tf.tensor1d([-30, -2, 0, 3, 40]);
    v(logSigmoid(x)).forEach((y, i) => expect(y).toBeCloseTo(Math.log(sig([-30, -2, 0, 3, 40][i]!)), 5));
    expect(v(tf.grad((t: tf.Tensor) => tf.sum(logSigmoid(t)))(x))).toEqual([-30, -2, 0, 3, 40].map((z) => expect.closeTo(1 - sig(z), 5)));
  });

  it('Bradley–Terry: ln 2 at Δ = 0; the margin sits inside log σ; label smoothing mixes both directions', () => {
    expect(v(btLoss(tf.tensor1d([0]), null, 0))[0]).toBeCloseTo(Math.LN2, 6);
    expect(v(btLoss(tf.tensor1d([1.5]), tf.tensor1d([0.5]), 0))[0]).toBeCloseTo(-Math.log(sig(1)), 6);
    expect(v(btLoss(tf.tensor1d([2]), null, 0.1))[0]).toBeCloseTo(-(0.9 * Math.log(sig(2)) + 0.1 * Math.log(sig(-2))), 6);
  });

  it('Davidson: the three outcomes sum to one, a tie is likeliest at equal rewards, and ν → 0 is Bradley–Terry', () => {
    const d = 0.7;
    const nu = 0.8;
    const win = Math.exp(-v(davidsonLoss(tf.tensor1d([d]), tf.tensor1d([0]), tf.scalar(Math.log(nu))))[0]!);
    const loss = Math.exp(-v(davidsonLoss(tf.tensor1d([-d]), tf.tensor1d([0]), tf.scalar(Math.log(nu))))[0]!);
    const tie = Math.exp(-v(davidsonLoss(tf.tensor1d([d]), tf.tensor1d([1]), tf.scalar(Math.log(nu))))[0]!);
    expect(win + loss + tie).toBeCloseTo(1, 5);
    // closed form: π_i / (π_i + π_j + ν√(π_i π_j))
    expect(win).toBeCloseTo(Math.exp(d) / (Math.exp(d) + 1 + nu * Math.exp(d / 2)), 5);
    const tieAt = (x: number) => Math.exp(-v(davidsonLoss(tf.tensor1d([x]), tf.tensor1d([1]), tf.scalar(Math.log(nu))))[0]!);
    expect(tieAt(0)).toBeGreaterThan(tieAt(0.5));
    expect(Math.exp(-v(davidsonLoss(tf.tensor1d([d]), tf.tensor1d([0]), tf.scalar(-30)))[0]!)).toBeCloseTo(sig(d), 5);
    expect(davidsonOutcomes(sig(d), nu).win).toBeCloseTo(win, 5);
  });

  it('GPM: skew-symmetric, zero on itself, the k = 1 formula, and Bradley–Terry as v = (r, 1)', () => {
    const a = tf.tensor2d([[0.3, -1.2, 2, 0.5]]);
    const b = tf.tensor2d([[1.1, 0.4, -0.7, 0.9]]);
    const split = (t: tf.Tensor2D) => [tf.slice(t, [0, 0], [-1, 2]), tf.slice(t, [0, 2], [-1, 2])] as [tf.Tensor2D, tf.Tensor2D];
    const [ae, ao] = split(a);
    const [be, bo] = split(b);
    const sab = v(gpmScore(ae, ao, be, bo, null))[0]!;
    expect(v(gpmScore(be, bo, ae, ao, null))[0]).toBeCloseTo(-sab, 6);
    expect(v(gpmScore(ae, ao, ae, ao, null))[0]).toBeCloseTo(0, 6);
    // Block l pairs (x_l, y_l) = (v[l], v[k + l]): s = Σ_l x_a,l·y_b,l − y_a,l·x_b,l.
    expect(sab).toBeCloseTo(0.3 * -0.7 - 2 * 1.1 + (-1.2 * 0.9 - 0.5 * 0.4), 5);
    // k = 1, v = (r, 1): s = r_i − r_j.
    const one = (r: number) => [tf.tensor2d([[r]]), tf.tensor2d([[1]])] as [tf.Tensor2D, tf.Tensor2D];
    expect(v(gpmScore(...one(2.5), ...one(0.75), null))[0]).toBeCloseTo(1.75, 6);
    // Prompt scales multiply each block.
    expect(v(gpmScore(ae, ao, be, bo, tf.tensor2d([[2, 0]])))[0]).toBeCloseTo(2 * (0.3 * -0.7 - 2 * 1.1), 5);
  });

  it('Plackett–Luce: K = 2 is Bradley–Terry; a golden value for K = 3; padding is ignored', () => {
    expect(v(plackettLuceLoss(tf.tensor2d([[1.2, 0.2]]), [2]))[0]).toBeCloseTo(-Math.log(sig(1)), 5);
    const r = [2, 1, 0.5];
    const golden = -(r[0]! - Math.log(Math.exp(2) + Math.exp(1) + Math.exp(0.5)) + (r[1]! - Math.log(Math.exp(1) + Math.exp(0.5))));
    expect(v(plackettLuceLoss(tf.tensor2d([r, [1.2, 0.2, -1e9]]), [3, 2]))).toEqual([expect.closeTo(golden, 5), expect.closeTo(-Math.log(sig(1)), 5)]);
  });
});

describe('evaluation', () => {
  it('accuracy, log-loss and ECE from predictions; tags; ties excluded from accuracy', () => {
    const e = evaluatePairs([
      { p: 0.9, tie: false, tags: ['math'] },
      { p: 0.8, tie: false, tags: ['math'] },
      { p: 0.3, tie: false, tags: ['chat'] },
      { p: 0.6, tie: true, tags: ['chat'] },
    ]);
    expect(e).toMatchObject({ pairs: 4, decisive: 3, ties: 1, accuracy: 2 / 3 });
    expect(e.logLoss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.3)) / 3, 6);
    // Confidences 0.9, 0.8, 0.7 in three bins with accuracies 1, 1, 0.
    expect(e.ece).toBeCloseTo((0.1 + 0.2 + 0.7) / 3, 6);
    expect(e.byTag).toEqual([
      { tag: 'math', pairs: 2, accuracy: 1 },
      { tag: 'chat', pairs: 1, accuracy: 0 },
    ]);
  });

  it('recovers the Davidson tie parameter from simulated outcomes', () => {
    const rng = createRng(4);
    const nu = 0.6;
    const pairs = Array.from({ length: 4000 }, () => {
      const p = sig(rng.normal());
      const o = davidsonOutcomes(p, nu);
      const u = rng.next();
      // Orient so that a is the winner unless tie (a loss flips the pair and its probability).
      return u < o.tie ? { p, tie: true } : u < o.tie + o.win ? { p, tie: false } : { p: 1 - p, tie: false };
    });
    expect(fitTieParameter(pairs)).toBeCloseTo(nu, 1);
  });

  it('builds best-of-4 sets from a response that beat three others and lost to none', () => {
    const sets = bestOf4Sets([
      { prompt: 1, winner: 10, loser: 11, tie: false },
      { prompt: 1, winner: 10, loser: 12, tie: false },
      { prompt: 1, winner: 10, loser: 13, tie: false },
      { prompt: 2, winner: 20, loser: 21, tie: false },
      { prompt: 2, winner: 20, loser: 22, tie: false },
      { prompt: 2, winner: 23, loser: 20, tie: false },
      { prompt: 2, winner: 20, loser: 24, tie: false },
    ]);
    expect(sets).toEqual([[10, 11, 12, 13]]);
  });
});
