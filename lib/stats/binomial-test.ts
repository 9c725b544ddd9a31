/**
 * Exact two-sided binomial test (as scipy.stats.binomtest): the probability, under Binomial(n, p), of
 * an outcome no more likely than the one observed. Used for position and length bias.
 */
import { logFactorial } from './sampling';

function logPmf(k: number, n: number, p: number): number {
  if (p === 0) return k === 0 ? 0 : -Infinity;
  if (p === 1) return k === n ? 0 : -Infinity;
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k) + k * Math.log(p) + (n - k) * Math.log1p(-p);
}

export function binomialTestTwoSided(successes: number, n: number, p = 0.5): number {
  if (!Number.isInteger(successes) || !Number.isInteger(n) || successes < 0 || successes > n) throw new Error('binomial test needs 0 ≤ successes ≤ n, integers');
  if (n === 0) return 1;
  const observed = logPmf(successes, n, p);
  // Sum the pmf over outcomes at most as likely (with scipy's relative tolerance 1e-7).
  let total = 0;
  for (let k = 0; k <= n; k++) {
    const lp = logPmf(k, n, p);
    if (lp <= observed + 1e-7 * Math.abs(observed) + 1e-12) total += Math.exp(lp);
  }
  return Math.min(1, total);
}
