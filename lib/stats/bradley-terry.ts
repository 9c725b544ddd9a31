/**
 * Bradley–Terry maximum likelihood exactly as Chatbot Arena computes it (PRODUCT.md, "Chatbot Arena
 * Bradley-Terry computation"): P(i beats j) = 1 / (1 + 10^−(θi − θj)), a tie is half a win and half a
 * loss, θ starts at 0 and keeps Σθ = 0, ratings are 400·θ + 1000 with an optional anchor.
 * Arena minimises with L-BFGS; we take Newton steps on the same objective (the Hessian is m × m,
 * a few hundred systems at most), which converges to machine precision in a handful of iterations.
 * An optional L2 prior λ/2·‖θ‖² makes the estimate finite on any comparison graph.
 */
import { checkConnectivity, type ConnectivityReport } from './connectivity';
import type { Cells } from './battles';
import { pairTotals } from './battles';

export const LN10 = Math.LN10;

export type BtFitOptions = {
  /** Precision λ of a Gaussian prior on θ (base-10 logit units); 0 = plain MLE (Arena). */
  l2?: number;
  maxIterations?: number;
  /** Stop when the largest Newton step is below this (θ units). */
  tolerance?: number;
};

export type BtFit = { theta: Float64Array; iterations: number; converged: boolean; logLikelihood: number };

export class DisconnectedComparisonsError extends Error {
  constructor(readonly report: ConnectivityReport) {
    super(report.message ?? 'no finite Bradley–Terry estimate');
  }
}

/** Negative log-likelihood (+ prior), gradient of the objective and the Hessian, from pair totals. */
function evaluate(m: number, n: Float64Array, s: Float64Array, theta: Float64Array, l2: number, withHessian: boolean) {
  let objective = 0;
  const grad = new Float64Array(m);
  const hess = withHessian ? new Float64Array(m * m) : undefined;
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      const nij = n[i * m + j]!;
      if (nij === 0) continue;
      const sij = s[i * m + j]!;
      const z = LN10 * (theta[i]! - theta[j]!);
      // log p = −softplus(−z), log(1 − p) = −softplus(z), computed stably.
      const logP = -(z < 0 ? -z + Math.log1p(Math.exp(z)) : Math.log1p(Math.exp(-z)));
      const log1mP = -(z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));
      objective -= sij * logP + (nij - sij) * log1mP;
      const p = Math.exp(logP);
      const g = LN10 * (nij * p - sij); // ∂objective/∂θi
      grad[i]! += g;
      grad[j]! -= g;
      if (hess) {
        const h = LN10 * LN10 * nij * p * (1 - p);
        hess[i * m + i]! += h;
        hess[j * m + j]! += h;
        hess[i * m + j]! -= h;
        hess[j * m + i]! -= h;
      }
    }
  }
  if (l2 > 0) {
    for (let i = 0; i < m; i++) {
      objective += 0.5 * l2 * theta[i]! * theta[i]!;
      grad[i]! += l2 * theta[i]!;
      if (hess) hess[i * m + i]! += l2;
    }
  }
  return { objective, grad, hess };
}

/** Solves A x = b for symmetric positive-definite A (Cholesky, in place on a copy). */
function solveSpd(m: number, a: Float64Array, b: Float64Array): Float64Array {
  const l = Float64Array.from(a);
  for (let j = 0; j < m; j++) {
    let d = l[j * m + j]!;
    for (let k = 0; k < j; k++) d -= l[j * m + k]! * l[j * m + k]!;
    if (!(d > 0)) throw new Error('Bradley–Terry Hessian is not positive definite');
    const root = Math.sqrt(d);
    l[j * m + j] = root;
    for (let i = j + 1; i < m; i++) {
      let v = l[i * m + j]!;
      for (let k = 0; k < j; k++) v -= l[i * m + k]! * l[j * m + k]!;
      l[i * m + j] = v / root;
    }
  }
  const x = Float64Array.from(b);
  for (let i = 0; i < m; i++) {
    let v = x[i]!;
    for (let k = 0; k < i; k++) v -= l[i * m + k]! * x[k]!;
    x[i] = v / l[i * m + i]!;
  }
  for (let i = m - 1; i >= 0; i--) {
    let v = x[i]!;
    for (let k = i + 1; k < m; k++) v -= l[k * m + i]! * x[k]!;
    x[i] = v / l[i * m + i]!;
  }
  return x;
}

/** Fits θ from pair totals (see `pairTotals`). Without a prior the comparison graph must be strongly connected. */
export function fitBradleyTerryTotals(systems: string[], n: Float64Array, s: Float64Array, options: BtFitOptions = {}): BtFit {
  const m = systems.length;
  const l2 = options.l2 ?? 0;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-13;
  if (l2 === 0) {
    const report = checkConnectivity(systems, n, s);
    if (!report.ok) throw new DisconnectedComparisonsError(report);
  }
  const theta = new Float64Array(m);
  let current = evaluate(m, n, s, theta, l2, true);
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const h = current.hess!;
    // Without a prior the Hessian is singular along 1 (translation); H + 11ᵀ is definite and, since
    // Σ grad = 0, its solution keeps Σθ = 0 — the same gauge Arena's L-BFGS keeps from θ = 0.
    if (l2 === 0) for (let k = 0; k < m * m; k++) h[k]! += 1;
    const step = solveSpd(m, h, current.grad);
    let t = 1;
    let next = theta.map((v, i) => v - step[i]!);
    let trial = evaluate(m, n, s, next, l2, false);
    while (trial.objective > current.objective + 1e-12 * Math.abs(current.objective) && t > 1e-6) {
      t /= 2;
      next = theta.map((v, i) => v - t * step[i]!);
      trial = evaluate(m, n, s, next, l2, false);
    }
    let largest = 0;
    for (let i = 0; i < m; i++) largest = Math.max(largest, Math.abs(next[i]! - theta[i]!));
    theta.set(next);
    current = evaluate(m, n, s, theta, l2, true);
    if (largest < tolerance) return { theta, iterations: iteration, converged: true, logLikelihood: -current.objective };
  }
  return { theta, iterations: maxIterations, converged: false, logLikelihood: -current.objective };
}

export function fitBradleyTerry(cells: Cells, options: BtFitOptions = {}): BtFit {
  const { n, s } = pairTotals(cells);
  return fitBradleyTerryTotals(cells.systems, n, s, options);
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
