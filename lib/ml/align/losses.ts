/**
 * The DPO-family loss catalogue (docs/algorithms.md#dpo-family-losses): one pure function with one
 * switch over `loss_type`, element-wise on per-sequence log-prob sums, returning the per-example loss.
 * Names follow TRL's `loss_type`. Several losses combine with weights (alignmentLossMix), as TRL's list
 * of loss types does. log σ is −softplus(−x) (tfjs 4.22's logSigmoid gradient is broken).
 *
 * Notation: a = ℓθ(y_w) − ℓref(y_w), b = ℓθ(y_l) − ℓref(y_l), h = a − b; ā = a/|y_w|, b̄ = b/|y_l|,
 * h̄ = ā − b̄. f-DPO replaces a and b by f′-scores of the ratio u = e^a before h is formed.
 */
import { logSigmoid, tf } from '../backend';
import type { Divergence, LossType } from '../kinds';

export { DIVERGENCES, LOSS_TYPES, REFERENCE_FREE, UNPAIRED, type Divergence, type LossType } from '../kinds';

export type LossParams = {
  /** β (IPO's τ, ORPO's λ, KTO's and NPO's β). TRL default 0.1. */
  beta: number;
  /** ε: cDPO label smoothing, rDPO's assumed flip rate, EXO's ε. */
  labelSmoothing: number;
  /** IPO on per-token averaged log-ratios h̄ (TRL HEAD) rather than sums (TRL ≤ 0.19). */
  ipoNormalize: boolean;
  /** f-DPO divergence and its α (alpha-divergence). */
  divergence: Divergence;
  alpha: number;
  /** DiscoPOP temperature τ. */
  discopopTau: number;
  /** SimPO target margin γ (the loss uses β(ℓ̄w − ℓ̄l) − γ). */
  simpoGamma: number;
  /** RPO: weight η of the NLL of the chosen response (per token). */
  rpoAlpha: number;
  /** CPL: conservative bias λ ∈ (0, 1] on the rejected segment. */
  cplLambda: number;
  /** BCO's δ (running mean reward; 0 as in TRL HEAD). */
  bcoDelta: number;
  /** KTO: λ_D and λ_U. */
  desirableWeight: number;
  undesirableWeight: number;
};

export const DEFAULT_LOSS_PARAMS: LossParams = {
  beta: 0.1,
  labelSmoothing: 0,
  ipoNormalize: true,
  divergence: 'reverse_kl',
  alpha: 0.5,
  discopopTau: 0.05,
  simpoGamma: 0.5,
  rpoAlpha: 1,
  cplLambda: 0.5,
  bcoDelta: 0,
  desirableWeight: 1,
  undesirableWeight: 1,
};

/** Defaults a user gets for each type where they differ from DEFAULT_LOSS_PARAMS (papers' settings, TRL's paper index). */
export const LOSS_PRESETS: Partial<Record<LossType, Partial<LossParams>>> = {
  robust: { labelSmoothing: 0.1 },
  cdpo: { labelSmoothing: 0.1 },
  exo_pair: { labelSmoothing: 1e-3 },
  simpo: { beta: 2.5, simpoGamma: 1.375 },
  sppo: { beta: 1e-3 },
};

/**
 * Inputs, each [N]. Paired losses read w/l (policy log-prob sums), refW/refL (reference sums; absent
 * for reference-free losses) and lenW/lenL (completion tokens). Soft SPPO reads pW/pL, the estimated
 * win rates. Unpaired losses read one sample per row in w/refW/lenW: KTO with `desirable` (1/0) and
 * the reference point z0 (detached KL estimate), NPO on a forget set.
 */
export type LossInputs = {
  w: tf.Tensor1D;
  l?: tf.Tensor1D;
  refW?: tf.Tensor1D;
  refL?: tf.Tensor1D;
  lenW: tf.Tensor1D;
  lenL?: tf.Tensor1D;
  pW?: tf.Tensor1D;
  pL?: tf.Tensor1D;
  desirable?: tf.Tensor1D;
  z0?: number;
};

const need = <T>(v: T | undefined, what: string, type: LossType): T => {
  if (v === undefined) throw new Error(`loss ${type} needs ${what}`);
  return v;
};

/** f′-score of the log-ratio a (f-DPO, Wang et al., arXiv 2309.16240; docs/algorithms.md#f-dpo): reverse KL a; forward KL −e^{−a}; JS log σ(a); α (1 − e^{−αa})/α. */
export function divergenceScore(a: tf.Tensor, divergence: Divergence, alpha: number): tf.Tensor {
  switch (divergence) {
    case 'reverse_kl':
      return a;
    case 'forward_kl':
      return tf.neg(tf.exp(tf.neg(a)));
    case 'js':
      return logSigmoid(a);
    case 'alpha':
      return tf.div(tf.sub(1, tf.exp(tf.mul(a, -alpha))), alpha);
  }
}

/** log(1 − e^x) for x < 0 as log(−expm1 x): exact near 0; for very negative x the absolute error stays ~1e-7. */
function log1mexp(x: tf.Tensor): tf.Tensor {
  return tf.log(tf.neg(tf.expm1(x)));
}

/** The per-example loss of one type. */
export function alignmentLoss(type: LossType, x: LossInputs, p: LossParams): tf.Tensor1D {
  const { beta: B, labelSmoothing: eps } = p;
  const ls = logSigmoid;
  const pairedScores = () => {
    const l = need(x.l, 'rejected log-probs', type);
    const a = divergenceScore(tf.sub(x.w, need(x.refW, 'reference log-probs', type)), p.divergence, p.alpha);
    const b = divergenceScore(tf.sub(l, need(x.refL, 'reference log-probs', type)), p.divergence, p.alpha);
    return { a, b, h: tf.sub(a, b) };
  };
  const normalised = () => {
    const { a, b } = pairedScores();
    return tf.sub(tf.div(a, x.lenW), tf.div(b, need(x.lenL, 'rejected lengths', type)));
  };
  let out: tf.Tensor;
  switch (type) {
    // DPO, Rafailov et al. 2023 (arXiv 2305.18290): −log σ(βh).
    case 'sigmoid':
      out = tf.neg(ls(tf.mul(pairedScores().h, B)));
      break;
    // Conservative DPO, Mitchell 2023 (cDPO note): −(1−ε) log σ(βh) − ε log σ(−βh).
    case 'cdpo': {
      const z = tf.mul(pairedScores().h, B);
      out = tf.neg(tf.add(tf.mul(ls(z), 1 - eps), tf.mul(ls(tf.neg(z)), eps)));
      break;
    }
    // Provably robust DPO, Chowdhury et al. 2024 (arXiv 2403.00409): [(1−ε)ℓ(βh) − εℓ(−βh)]/(1−2ε), ℓ = −log σ.
    case 'robust': {
      if (eps >= 0.5) throw new Error('robust (rDPO) needs label smoothing ε < 0.5');
      const z = tf.mul(pairedScores().h, B);
      out = tf.div(tf.add(tf.mul(ls(z), -(1 - eps)), tf.mul(ls(tf.neg(z)), eps)), 1 - 2 * eps);
      break;
    }
    // IPO, Azar et al. 2023 (arXiv 2310.12036): (h − 1/(2τ))², h per-token averaged as in TRL unless ipoNormalize is off.
    case 'ipo':
      out = tf.square(tf.sub(p.ipoNormalize ? normalised() : pairedScores().h, 1 / (2 * B)));
      break;
    // SLiC-HF / RSO hinge-norm, Zhao et al. 2023 (arXiv 2305.10425), Liu et al. 2023 (arXiv 2309.06657): max(0, 1 − βh).
    case 'hinge':
      out = tf.relu(tf.sub(1, tf.mul(pairedScores().h, B)));
      break;
    // Length-normalised DPO (SimPO App. I; Tülu 3 §4.3): −log σ(βh̄).
    case 'sigmoid_norm':
      out = tf.neg(ls(tf.mul(normalised(), B)));
      break;
    // EXO, Ji et al. 2024 (arXiv 2402.00856): σ(βh)[log σ(βh) − log(1−ε)] + σ(−βh)[log σ(−βh) − log ε].
    case 'exo_pair': {
      const e = eps > 0 ? eps : 1e-3;
      const z = tf.mul(pairedScores().h, B);
      out = tf.add(tf.mul(tf.sigmoid(z), tf.sub(ls(z), Math.log1p(-e))), tf.mul(tf.sigmoid(tf.neg(z)), tf.sub(ls(tf.neg(z)), Math.log(e))));
      break;
    }
    // NCA, Chen et al. 2024 (arXiv 2402.05369): −log σ(βa) − ½ log σ(−βa) − ½ log σ(−βb).
    case 'nca_pair': {
      const { a, b } = pairedScores();
      out = tf.neg(tf.add(ls(tf.mul(a, B)), tf.mul(tf.add(ls(tf.mul(a, -B)), ls(tf.mul(b, -B))), 0.5)));
      break;
    }
    // BCO, Jung et al. 2024 (arXiv 2404.04656): −log σ(βa − δ) − log σ(−(βb − δ)).
    case 'bco_pair': {
      const { a, b } = pairedScores();
      out = tf.neg(tf.add(ls(tf.sub(tf.mul(a, B), p.bcoDelta)), ls(tf.neg(tf.sub(tf.mul(b, B), p.bcoDelta)))));
      break;
    }
    // SPPO with hard labels, Wu et al. 2024 (arXiv 2405.00675; TRL sppo_hard): (a − 1/(2β))² + (b + 1/(2β))².
    case 'sppo_hard': {
      const { a, b } = pairedScores();
      out = tf.add(tf.square(tf.sub(a, 1 / (2 * B))), tf.square(tf.add(b, 1 / (2 * B))));
      break;
    }
    // Soft SPPO (uclaml/SPPO trainer.py): ½[(a − (P̂w − ½)/β)² + (b − (P̂l − ½)/β)²], reference = previous iterate.
    case 'sppo': {
      const { a, b } = pairedScores();
      const pw = need(x.pW, 'win rates (pW)', type);
      const pl = need(x.pL, 'win rates (pL)', type);
      out = tf.mul(tf.add(tf.square(tf.sub(a, tf.div(tf.sub(pw, 0.5), B))), tf.square(tf.sub(b, tf.div(tf.sub(pl, 0.5), B)))), 0.5);
      break;
    }
    // APO-zero, D'Oosterlinck et al. 2024 (arXiv 2408.06266): 1 − σ(βa) + σ(βb).
    case 'apo_zero': {
      const { a, b } = pairedScores();
      out = tf.add(tf.sub(1, tf.sigmoid(tf.mul(a, B))), tf.sigmoid(tf.mul(b, B)));
      break;
    }
    // APO-down (same paper): σ(βa) + 1 − σ(βh).
    case 'apo_down': {
      const { a, h } = pairedScores();
      out = tf.add(tf.sigmoid(tf.mul(a, B)), tf.sub(1, tf.sigmoid(tf.mul(h, B))));
      break;
    }
    // DiscoPOP, Chan Lu et al. 2024 (arXiv 2406.08414): (1−m)(−log σ(βh)) + m·e^{−βh}, m = σ(βh/τ).
    case 'discopop': {
      const z = tf.mul(pairedScores().h, B);
      const m = tf.sigmoid(tf.div(z, p.discopopTau));
      out = tf.add(tf.mul(tf.sub(1, m), tf.neg(ls(z))), tf.mul(m, tf.exp(tf.neg(z))));
      break;
    }
    // SimPO, Meng et al. 2024 (arXiv 2405.14734): −log σ(β(ℓ̄w − ℓ̄l) − γ); reference-free.
    case 'simpo': {
      const l = need(x.l, 'rejected log-probs', type);
      const diff = tf.sub(tf.div(x.w, x.lenW), tf.div(l, need(x.lenL, 'rejected lengths', type)));
      out = tf.neg(ls(tf.sub(tf.mul(diff, B), p.simpoGamma)));
      break;
    }
    // ORPO, Hong et al. 2024 (arXiv 2403.07691): −ℓ̄w − λ log σ((ℓ̄w − ℓ̄l) − (log(1−e^{ℓ̄w}) − log(1−e^{ℓ̄l}))); reference-free.
    case 'orpo': {
      const l = need(x.l, 'rejected log-probs', type);
      const mw = tf.div(x.w, x.lenW);
      const ml = tf.div(l, need(x.lenL, 'rejected lengths', type));
      const logOdds = tf.sub(tf.sub(mw, ml), tf.sub(log1mexp(mw), log1mexp(ml)));
      out = tf.sub(tf.neg(mw), tf.mul(ls(logOdds), B));
      break;
    }
    // KTO, Ethayarajh et al. 2024 (arXiv 2402.01306): λ_D(1 − σ(β(r − z0))) for desirable, λ_U(1 − σ(β(z0 − r))) for undesirable.
    case 'kto': {
      const r = tf.sub(x.w, need(x.refW, 'reference log-probs', type));
      const d = need(x.desirable, 'desirable flags', type);
      const z0 = x.z0 ?? 0;
      const good = tf.mul(tf.sub(1, tf.sigmoid(tf.mul(tf.sub(r, z0), B))), p.desirableWeight);
      const bad = tf.mul(tf.sub(1, tf.sigmoid(tf.mul(tf.sub(z0, r), B))), p.undesirableWeight);
      out = tf.add(tf.mul(d, good), tf.mul(tf.sub(1, d), bad));
      break;
    }
    // RPO, Liu et al. 2024 (arXiv 2405.16436; TRL ["sigmoid","sft"]): DPO + η·(−ℓ̄w).
    case 'rpo':
      out = tf.add(tf.neg(ls(tf.mul(pairedScores().h, B))), tf.mul(tf.neg(tf.div(x.w, x.lenW)), p.rpoAlpha));
      break;
    // NPO, Zhang et al. 2024 (arXiv 2404.05868): −(2/β) log σ(−β a) on the forget set (a = ℓθ − ℓref per sample).
    case 'npo': {
      const a = tf.sub(x.w, need(x.refW, 'reference log-probs', type));
      out = tf.mul(ls(tf.mul(a, -B)), -2 / B);
      break;
    }
    // CPL, Hejna et al. 2023 (arXiv 2310.13639; jhejna/cpl): −log σ(β ℓw − λ β ℓl); reference-free.
    case 'cpl': {
      const l = need(x.l, 'rejected log-probs', type);
      out = tf.neg(ls(tf.sub(tf.mul(x.w, B), tf.mul(l, B * p.cplLambda))));
      break;
    }
    // Supervised fine-tuning on the chosen response: −ℓ̄w (TRL's "sft" entry in a loss list).
    case 'sft':
      out = tf.neg(tf.div(x.w, x.lenW));
      break;
  }
  return out as tf.Tensor1D;
}

/** A weighted sum of losses (TRL: loss_type as a list with loss_weights), per example. */
export function alignmentLossMix(types: readonly LossType[], weights: readonly number[] | null, x: LossInputs, p: LossParams): tf.Tensor1D {
  if (types.length === 0) throw new Error('no loss type given');
  if (weights && weights.length !== types.length) throw new Error(`${types.length} loss types but ${weights.length} weights`);
  return types.map((t, i) => tf.mul(alignmentLoss(t, x, p), weights?.[i] ?? 1) as tf.Tensor1D).reduce((s, v) => tf.add(s, v) as tf.Tensor1D);
}

/** TRL's logged quantities for a paired batch (means over the batch). */
export function preferenceMetrics(w: Float32Array, l: Float32Array, refW: Float32Array | null, refL: Float32Array | null, beta: number): Record<string, number> {
  const n = w.length;
  const mean = (f: (i: number) => number) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += f(i);
    return n ? s / n : 0;
  };
  const rw = (i: number) => beta * (w[i]! - (refW?.[i] ?? 0));
  const rl = (i: number) => beta * (l[i]! - (refL?.[i] ?? 0));
  return {
    'rewards/chosen': mean(rw),
    'rewards/rejected': mean(rl),
    'rewards/margins': mean((i) => rw(i) - rl(i)),
    'rewards/accuracies': mean((i) => (rw(i) > rl(i) ? 1 : 0)),
    'logps/chosen': mean((i) => w[i]!),
    'logps/rejected': mean((i) => l[i]!),
  };
}
