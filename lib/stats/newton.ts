/**
 * Damped Newton minimisation for small smooth problems (a few hundred parameters): analytic gradient,
 * Hessian by central differences of that gradient, a gauge term for parameters that are only defined
 * up to a common shift, and backtracking on the objective. Used by the tie models.
 */
import { solveSpd } from './linear-algebra';

export type Objective = {
  /** Value and gradient at x (gradient written into `grad`). */
  evaluate(x: Float64Array, grad: Float64Array): number;
  /** The first `gauge` parameters are identified only up to a shift: Σ x[0..gauge) is held at 0. */
  gauge: number;
};

export type NewtonResult = { x: Float64Array; value: number; iterations: number; converged: boolean };

export function minimizeNewton(objective: Objective, start: Float64Array, options: { maxIterations?: number; tolerance?: number } = {}): NewtonResult {
  const n = start.length;
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.tolerance ?? 1e-11;
  const x = Float64Array.from(start);
  const grad = new Float64Array(n);
  const gPlus = new Float64Array(n);
  const gMinus = new Float64Array(n);
  const probe = new Float64Array(n);
  const hess = new Float64Array(n * n);
  let value = objective.evaluate(x, grad);
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    for (let k = 0; k < n; k++) {
      const h = 1e-5 * Math.max(1, Math.abs(x[k]!));
      probe.set(x);
      probe[k] = x[k]! + h;
      objective.evaluate(probe, gPlus);
      probe[k] = x[k]! - h;
      objective.evaluate(probe, gMinus);
      for (let i = 0; i < n; i++) hess[i * n + k] = (gPlus[i]! - gMinus[i]!) / (2 * h);
    }
    for (let i = 0; i < n; i++) {
      for (let k = i + 1; k < n; k++) hess[i * n + k] = hess[k * n + i] = (hess[i * n + k]! + hess[k * n + i]!) / 2;
    }
    for (let i = 0; i < objective.gauge; i++) for (let k = 0; k < objective.gauge; k++) hess[i * n + k]! += 1;
    let step = solveSpd(n, hess, grad);
    for (let damping = 1e-6; !step && damping < 1e6; damping *= 10) {
      const damped = Float64Array.from(hess);
      for (let i = 0; i < n; i++) damped[i * n + i]! += damping * Math.max(1, Math.abs(hess[i * n + i]!));
      step = solveSpd(n, damped, grad);
    }
    if (!step) return { x, value, iterations: iteration, converged: false };
    let t = 1;
    const next = new Float64Array(n);
    const nextGrad = new Float64Array(n);
    let nextValue = Number.POSITIVE_INFINITY;
    while (t > 1e-10) {
      for (let i = 0; i < n; i++) next[i] = x[i]! - t * step[i]!;
      nextValue = objective.evaluate(next, nextGrad);
      if (Number.isFinite(nextValue) && nextValue <= value + 1e-12 * Math.abs(value)) break;
      t /= 2;
    }
    let largest = 0;
    for (let i = 0; i < n; i++) largest = Math.max(largest, Math.abs(next[i]! - x[i]!));
    x.set(next);
    grad.set(nextGrad);
    value = nextValue;
    if (largest < tolerance) return { x, value, iterations: iteration, converged: true };
  }
  return { x, value, iterations: maxIterations, converged: false };
}
