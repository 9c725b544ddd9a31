/**
 * Bradley–Terry maximum likelihood exactly as Chatbot Arena computes it (Chiang et al. 2024, arXiv
 * 2403.04132; `compute_bt` in lm-sys/FastChat fastchat/serve/monitor/rating_systems.py; formulas and
 * golden values in docs/algorithms.md#bradley-terry-arena): P(i beats j) = 1 / (1 + 10^−(θi − θj)), a
 * tie is half a win and half a loss, θ starts at 0 and keeps Σθ = 0, ratings are 400·θ + 1000 with an
 * optional anchor.
 * Arena minimises with L-BFGS; we take Newton steps on the same objective (the Hessian is m × m,
 * a few hundred systems at most), which converges to machine precision in a handful of iterations.
 * An optional L2 prior λ/2·‖θ‖² makes the estimate finite on any comparison graph.
 */
import { pairStats, type Cells, type PairStats } from './battles';
import { checkConnectivity, type ConnectivityReport, type ScoredPairs } from './connectivity';
import { choleskyInPlace, choleskySolve } from './linear-algebra';

export const LN10 = Math.LN10;

export type BtFitOptions = {
  /** Precision λ of a Gaussian prior on θ (base-10 logit units); 0 = plain MLE (Arena). */
  l2?: number;
  maxIterations?: number;
  /** Converged when every |gradient_i| / Hessian_ii (the size of the remaining step) is below this, in θ units. */
  tolerance?: number;
  /** Starting point (e.g. the full-data estimate for a bootstrap round); default θ = 0. */
  start?: Float64Array;
  /** Skip the connectivity check (the caller handles non-convergence). */
  skipCheck?: boolean;
  /** A fixed Hessian factor (see `hessianFactor`): chord steps instead of refactoring every iteration. */
  factor?: Float64Array;
};

export type BtFit = { theta: Float64Array; iterations: number; converged: boolean };

export class DisconnectedComparisonsError extends Error {
  constructor(readonly report: ConnectivityReport) {
    super(report.message ?? 'no finite Bradley–Terry estimate');
  }
}

export function scoredPairs(stats: PairStats): ScoredPairs {
  const n = new Float64Array(stats.i.length);
  const s = new Float64Array(stats.i.length);
  for (let k = 0; k < n.length; k++) {
    n[k] = stats.wins[k]! + stats.ties[k]! + stats.losses[k]!;
    s[k] = stats.wins[k]! + 0.5 * stats.ties[k]!;
  }
  return { i: stats.i, j: stats.j, n, s };
}

/** Gradient and Hessian of the negative log-likelihood (+ prior); objective only when asked. */
function evaluate(m: number, pairs: ScoredPairs, theta: Float64Array, l2: number, grad: Float64Array, hess: Float64Array | null, withObjective: boolean): number {
  grad.fill(0);
  hess?.fill(0);
  let objective = 0;
  const { i: pi, j: pj, n, s } = pairs;
  for (let k = 0; k < pi.length; k++) {
    const i = pi[k]!;
    const j = pj[k]!;
    const z = LN10 * (theta[i]! - theta[j]!);
    const e = Math.exp(-Math.abs(z));
    const p = z >= 0 ? 1 / (1 + e) : e / (1 + e);
    const nk = n[k]!;
    const g = LN10 * (nk * p - s[k]!);
    grad[i]! += g;
    grad[j]! -= g;
    if (hess) {
      const h = LN10 * LN10 * nk * p * (1 - p);
      hess[i * m + i]! += h;
      hess[j * m + j]! += h;
      hess[i * m + j]! -= h;
      hess[j * m + i]! -= h;
    }
    if (withObjective) {
      // −[s log p + (n − s) log(1 − p)] with log p = −softplus(−z), log(1 − p) = −softplus(z).
      const softplusNeg = Math.max(-z, 0) + Math.log1p(e);
      objective += s[k]! * softplusNeg + (nk - s[k]!) * (softplusNeg + z);
    }
  }
  if (l2 > 0) {
    for (let i = 0; i < m; i++) {
      grad[i]! += l2 * theta[i]!;
      if (hess) hess[i * m + i]! += l2;
      if (withObjective) objective += 0.5 * l2 * theta[i]! * theta[i]!;
    }
  }
  return objective;
}

/**
 * The gradient alone, with one exp per system instead of one per pair: p = wᵢ / (wᵢ + wⱼ) with
 * wᵢ = 10^(θᵢ − max θ). Used by the chord iterations (the bootstrap's inner loop), where it is 3–4×
 * cheaper than `evaluate`. Returns false (and the caller uses `evaluate`) if a strength underflows.
 */
function gradientFast(m: number, pairs: ScoredPairs, theta: Float64Array, l2: number, grad: Float64Array, w: Float64Array): boolean {
  let top = -Infinity;
  for (let i = 0; i < m; i++) top = Math.max(top, theta[i]!);
  for (let i = 0; i < m; i++) {
    const wi = Math.exp(LN10 * (theta[i]! - top));
    if (!(wi > 1e-290)) return false;
    w[i] = wi;
  }
  grad.fill(0);
  const { i: pi, j: pj, n, s } = pairs;
  for (let k = 0; k < pi.length; k++) {
    const i = pi[k]!;
    const j = pj[k]!;
    const wi = w[i]!;
    const g = LN10 * ((n[k]! * wi) / (wi + w[j]!) - s[k]!);
    grad[i]! += g;
    grad[j]! -= g;
  }
  if (l2 > 0) for (let i = 0; i < m; i++) grad[i]! += l2 * theta[i]!;
  return true;
}

/**
 * The Cholesky factor of the (gauge-fixed) Hessian at θ: bootstrap rounds reuse the full-data factor
 * for chord-Newton steps, since their data differ from the full data only by resampling noise.
 */
export function hessianFactor(m: number, pairs: ScoredPairs, theta: Float64Array, l2 = 0): Float64Array | null {
  const hess = new Float64Array(m * m);
  evaluate(m, pairs, theta, l2, new Float64Array(m), hess, false);
  if (l2 === 0) for (let k = 0; k < m * m; k++) hess[k]! += 1;
  return choleskyInPlace(m, hess) ? hess : null;
}

/** Newton's method on the Arena objective. Without a prior the comparison graph must be strongly connected. */
export function fitBradleyTerryPairs(systems: string[], pairs: ScoredPairs, options: BtFitOptions = {}): BtFit {
  const m = systems.length;
  const l2 = options.l2 ?? 0;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-12;
  if (l2 === 0 && !options.skipCheck) {
    const report = checkConnectivity(systems, pairs);
    if (!report.ok) throw new DisconnectedComparisonsError(report);
  }
  const theta = options.start ? Float64Array.from(options.start) : new Float64Array(m);
  const grad = new Float64Array(m);
  const hess = new Float64Array(m * m);
  const step = new Float64Array(m);
  const trial = new Float64Array(m);
  const scratch = new Float64Array(m);
  if (options.factor) {
    // Chord iterations: one gradient and two triangular solves each, converging linearly.
    for (let iteration = 0; iteration < maxIterations; iteration++) {
      if (!gradientFast(m, pairs, theta, l2, grad, scratch)) evaluate(m, pairs, theta, l2, grad, null, false);
      step.set(grad);
      choleskySolve(m, options.factor, step);
      let largest = 0;
      for (let i = 0; i < m; i++) {
        theta[i]! -= step[i]!;
        largest = Math.max(largest, Math.abs(step[i]!));
      }
      if (!Number.isFinite(largest)) break;
      if (largest < tolerance) return { theta, iterations: iteration + 1, converged: true };
    }
    return { theta, iterations: maxIterations, converged: false };
  }
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    evaluate(m, pairs, theta, l2, grad, hess, false);
    let remaining = 0;
    for (let i = 0; i < m; i++) remaining = Math.max(remaining, Math.abs(grad[i]!) / (hess[i * m + i]! || 1));
    if (remaining < tolerance) return { theta, iterations: iteration, converged: true };
    // Without a prior the Hessian is singular along 1 (translation); H + 11ᵀ is definite and, since
    // Σ grad = 0, its solution keeps Σθ = 0 — the same gauge Arena's L-BFGS keeps from θ = 0.
    if (l2 === 0) for (let k = 0; k < m * m; k++) hess[k]! += 1;
    step.set(grad);
    if (!choleskyInPlace(m, hess)) return { theta, iterations: iteration, converged: false };
    choleskySolve(m, hess, step);
    let largest = 0;
    for (let i = 0; i < m; i++) largest = Math.max(largest, Math.abs(step[i]!));
    let t = 1;
    if (largest > 0.1) {
      // Far from the optimum: backtrack on the objective (near it, full Newton steps are safe and cheaper).
      const current = evaluate(m, pairs, theta, l2, scratch, null, true);
      for (;;) {
        for (let i = 0; i < m; i++) trial[i] = theta[i]! - t * step[i]!;
        if (evaluate(m, pairs, trial, l2, scratch, null, true) <= current || t < 1e-8) break;
        t /= 2;
      }
    }
    for (let i = 0; i < m; i++) theta[i]! -= t * step[i]!;
  }
  return { theta, iterations: maxIterations, converged: false };
}

export function fitBradleyTerry(cells: Cells, options: BtFitOptions = {}): BtFit {
  return fitBradleyTerryPairs(cells.systems, scoredPairs(pairStats(cells)), options);
}

export type RatingScale = { scale: number; base: number; anchor?: { system: string; rating: number } };
export const ARENA_SCALE: RatingScale = { scale: 400, base: 1000 };

/** Elo-like ratings R = scale·θ + base, shifted so the anchor system (if given and present) has its rating. */
export function toRatings(systems: string[], theta: Float64Array, scale: RatingScale = ARENA_SCALE): Float64Array {
  const ratings = theta.map((t) => scale.scale * t + scale.base);
  if (scale.anchor) {
    const k = systems.indexOf(scale.anchor.system);
    if (k < 0) throw new Error(`anchor system '${scale.anchor.system}' is not among the rated systems`);
    const shift = scale.anchor.rating - ratings[k]!;
    for (let i = 0; i < ratings.length; i++) ratings[i]! += shift;
  }
  return ratings;
}

/** Strengths π ∝ 10^θ normalised to sum to 1 (the normalisation of evalica / choix). */
export function toStrengths(theta: Float64Array): Float64Array {
  let max = -Infinity;
  for (const t of theta) max = Math.max(max, t);
  const pi = theta.map((t) => 10 ** (t - max));
  const total = pi.reduce((a, b) => a + b, 0);
  return pi.map((p) => p / total);
}
