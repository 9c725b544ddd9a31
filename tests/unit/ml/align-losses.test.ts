/** The DPO-family loss catalogue against values computed here, in plain float64, from the formulas in docs/algorithms.md#dpo-family-losses. */
import { beforeAll, describe, expect, it } from 'vitest';
import { alignmentLoss, alignmentLossMix, DEFAULT_LOSS_PARAMS, LOSS_TYPES, preferenceMetrics, type LossInputs, type LossParams, type LossType } from '@/lib/ml/align/losses';
import { initBackend, tf } from '@/lib/ml/backend';

beforeAll(async () => {
  await initBackend({ preference: 'wasm', appRoot: process.cwd() });
});

// Four pairs: policy and reference log-prob sums, lengths, win rates, KTO flags.
const rows = {
  w: [-12.5, -30.2, -8.1, -45],
  l: [-14, -28.9, -9.6, -40.3],
  refW: [-13.1, -29.4, -8.8, -44.2],
  refL: [-13.2, -29.9, -9.1, -41.5],
  lenW: [10, 25, 6, 40],
  lenL: [12, 22, 7, 33],
  pW: [0.8, 0.55, 0.9, 0.6],
  pL: [0.2, 0.45, 0.3, 0.1],
  desirable: [1, 0, 1, 0],
};
const n = rows.w.length;
const inputs = (): LossInputs => ({
  w: tf.tensor1d(rows.w),
  l: tf.tensor1d(rows.l),
  refW: tf.tensor1d(rows.refW),
  refL: tf.tensor1d(rows.refL),
  lenW: tf.tensor1d(rows.lenW),
  lenL: tf.tensor1d(rows.lenL),
  pW: tf.tensor1d(rows.pW),
  pL: tf.tensor1d(rows.pL),
  desirable: tf.tensor1d(rows.desirable),
  z0: 0.3,
});
const params = (over: Partial<LossParams> = {}): LossParams => ({ ...DEFAULT_LOSS_PARAMS, ...over });
const run = (type: LossType, p = params(), x = inputs()) => Array.from(tf.tidy(() => alignmentLoss(type, x, p).dataSync()));

const sig = (z: number) => 1 / (1 + Math.exp(-z));
const lsig = (z: number) => -Math.log1p(Math.exp(-z));
const relu = (z: number) => Math.max(0, z);

/** Each loss from its formula, row by row (a, b, h, h̄ as in docs/algorithms.md#notation). */
function expected(type: LossType, p: LossParams, i: number): number {
  const B = p.beta;
  const e = p.labelSmoothing;
  const a = rows.w[i]! - rows.refW[i]!;
  const b = rows.l[i]! - rows.refL[i]!;
  const h = a - b;
  const hbar = a / rows.lenW[i]! - b / rows.lenL[i]!;
  const mw = rows.w[i]! / rows.lenW[i]!;
  const ml = rows.l[i]! / rows.lenL[i]!;
  switch (type) {
    case 'sigmoid':
      return -lsig(B * h);
    case 'cdpo':
      return -(1 - e) * lsig(B * h) - e * lsig(-B * h);
    case 'robust':
      return ((1 - e) * -lsig(B * h) - e * -lsig(-B * h)) / (1 - 2 * e);
    case 'ipo':
      return (hbar - 1 / (2 * B)) ** 2;
    case 'hinge':
      return relu(1 - B * h);
    case 'sigmoid_norm':
      return -lsig(B * hbar);
    case 'exo_pair':
      return sig(B * h) * (lsig(B * h) - Math.log(1 - e)) + sig(-B * h) * (lsig(-B * h) - Math.log(e));
    case 'nca_pair':
      return -lsig(B * a) - 0.5 * lsig(-B * a) - 0.5 * lsig(-B * b);
    case 'bco_pair':
      return -lsig(B * a) - lsig(-B * b);
    case 'sppo_hard':
      return (a - 1 / (2 * B)) ** 2 + (b + 1 / (2 * B)) ** 2;
    case 'sppo':
      return 0.5 * ((a - (rows.pW[i]! - 0.5) / B) ** 2 + (b - (rows.pL[i]! - 0.5) / B) ** 2);
    case 'apo_zero':
      return 1 - sig(B * a) + sig(B * b);
    case 'apo_down':
      return sig(B * a) + 1 - sig(B * h);
    case 'discopop': {
      const m = sig((B * h) / p.discopopTau);
      return (1 - m) * -lsig(B * h) + m * Math.exp(-B * h);
    }
    case 'simpo':
      return -lsig(B * (mw - ml) - p.simpoGamma);
    case 'orpo':
      return -mw - B * lsig(mw - ml - (Math.log(1 - Math.exp(mw)) - Math.log(1 - Math.exp(ml))));
    case 'kto': {
      const z0 = 0.3;
      return rows.desirable[i] ? p.desirableWeight * (1 - sig(B * (a - z0))) : p.undesirableWeight * (1 - sig(B * (z0 - a)));
    }
    case 'rpo':
      return -lsig(B * h) + p.rpoAlpha * -mw;
    case 'npo':
      return (-2 / B) * lsig(-B * a);
    case 'cpl':
      return -lsig(B * rows.w[i]! - p.cplLambda * B * rows.l[i]!);
    case 'sft':
      return -mw;
  }
}

describe('DPO-family losses', () => {
  it.each(LOSS_TYPES.map((t) => [t]))('%s matches its formula', (type) => {
    const p = params({ labelSmoothing: ['cdpo', 'robust'].includes(type) ? 0.1 : type === 'exo_pair' ? 1e-3 : 0, ...(type === 'simpo' ? { beta: 2.5, simpoGamma: 1.375 } : {}), ...(type === 'sppo' ? { beta: 0.01 } : {}) });
    const got = run(type, p);
    for (let i = 0; i < n; i++) {
      const want = expected(type, p, i);
      expect(Math.abs(got[i]! - want), `${type} row ${i}: ${got[i]} vs ${want}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
    }
  });

  it('golden values: equal log-ratios give ln 2; rDPO with ε = 0 is DPO; soft SPPO with win rates 1/0 is ½·sppo_hard', () => {
    const same: LossInputs = { w: tf.tensor1d([-5, -7]), l: tf.tensor1d([-9, -3]), refW: tf.tensor1d([-6, -8]), refL: tf.tensor1d([-10, -4]), lenW: tf.tensor1d([3, 4]), lenL: tf.tensor1d([5, 2]) };
    for (const v of run('sigmoid', params(), same)) expect(v).toBeCloseTo(Math.LN2, 6);
    const dpo = run('sigmoid');
    run('robust', params({ labelSmoothing: 0 })).forEach((v, i) => expect(v).toBeCloseTo(dpo[i]!, 6));
    run('cdpo', params({ labelSmoothing: 0 })).forEach((v, i) => expect(v).toBeCloseTo(dpo[i]!, 6));
    const hard = run('sppo_hard', params({ beta: 0.1 }));
    const x = { ...inputs(), pW: tf.tensor1d([1, 1, 1, 1]), pL: tf.tensor1d([0, 0, 0, 0]) };
    run('sppo', params({ beta: 0.1 }), x).forEach((v, i) => expect(v).toBeCloseTo(hard[i]! / 2, 4));
  });

  it('f-DPO: reverse KL is DPO; forward KL, Jensen–Shannon and α use their f′-scores; α → 0 tends to reverse KL', () => {
    const dpo = run('sigmoid');
    run('sigmoid', params({ divergence: 'reverse_kl' })).forEach((v, i) => expect(v).toBeCloseTo(dpo[i]!, 6));
    const score = { forward_kl: (a: number) => -Math.exp(-a), js: (a: number) => lsig(a), alpha: (a: number) => (1 - Math.exp(-0.5 * a)) / 0.5 } as const;
    for (const d of ['forward_kl', 'js', 'alpha'] as const) {
      const got = run('sigmoid', params({ divergence: d, alpha: 0.5 }));
      for (let i = 0; i < n; i++) {
        const h = score[d](rows.w[i]! - rows.refW[i]!) - score[d](rows.l[i]! - rows.refL[i]!);
        expect(got[i]).toBeCloseTo(-lsig(0.1 * h), 5);
      }
    }
    run('sigmoid', params({ divergence: 'alpha', alpha: 1e-4 })).forEach((v, i) => expect(v).toBeCloseTo(dpo[i]!, 3));
  });

  it('combines several losses with weights (RPO = sigmoid + η·sft), and says what an input-less loss lacks', () => {
    const mix = tf.tidy(() => Array.from(alignmentLossMix(['sigmoid', 'sft'], [1, 0.005], inputs(), params()).dataSync()));
    const rpo = run('rpo', params({ rpoAlpha: 0.005 }));
    mix.forEach((v, i) => expect(v).toBeCloseTo(rpo[i]!, 5));
    expect(() => alignmentLossMix(['sigmoid', 'ipo'], [1], inputs(), params())).toThrow(/2 loss types but 1 weights/);
    expect(() => alignmentLoss('sigmoid', { w: tf.tensor1d([1]), lenW: tf.tensor1d([1]) }, params())).toThrow(/sigmoid needs rejected log-probs/);
    expect(() => alignmentLoss('sppo', { ...inputs(), pW: undefined }, params())).toThrow(/sppo needs win rates/);
    expect(() => alignmentLoss('robust', inputs(), params({ labelSmoothing: 0.5 }))).toThrow(/ε < 0.5/);
  });

  it('every loss has a finite gradient that matches a finite difference (w.r.t. the chosen log-probs)', () => {
    for (const type of LOSS_TYPES) {
      const p = params({ labelSmoothing: type === 'exo_pair' ? 1e-3 : 0.1, beta: type === 'sppo' ? 0.01 : 0.1 });
      const x = inputs();
      const f = (w: tf.Tensor) => tf.sum(alignmentLoss(type, { ...x, w: w as tf.Tensor1D }, p)) as tf.Scalar;
      const g = tf.tidy(() => Array.from(tf.grad(f)(x.w).dataSync()));
      for (let i = 0; i < n; i++) {
        expect(Number.isFinite(g[i]!), `${type} gradient ${i}`).toBe(true);
        const step = 1e-2;
        const bump = (d: number) => tf.tidy(() => f(tf.tensor1d(rows.w.map((v, k) => (k === i ? v + d : v)))).dataSync()[0]!);
        const numeric = (bump(step) - bump(-step)) / (2 * step);
        expect(Math.abs(g[i]! - numeric), `${type} gradient ${i}: ${g[i]} vs ${numeric}`).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)));
      }
    }
  });

  it("logs TRL's metrics: implicit rewards β(ℓθ − ℓref), their margin and accuracy, and the log-probs", () => {
    const m = preferenceMetrics(Float32Array.from(rows.w), Float32Array.from(rows.l), Float32Array.from(rows.refW), Float32Array.from(rows.refL), 0.1);
    const rw = rows.w.map((v, i) => 0.1 * (v - rows.refW[i]!));
    const rl = rows.l.map((v, i) => 0.1 * (v - rows.refL[i]!));
    expect(m['rewards/chosen']).toBeCloseTo(rw.reduce((s, v) => s + v, 0) / n, 5);
    expect(m['rewards/margins']).toBeCloseTo((rw.reduce((s, v) => s + v, 0) - rl.reduce((s, v) => s + v, 0)) / n, 5);
    expect(m['rewards/accuracies']).toBe(rw.filter((v, i) => v > rl[i]!).length / n);
    expect(m['logps/rejected']).toBeCloseTo(rows.l.reduce((s, v) => s + v, 0) / n, 4);
  });
});
