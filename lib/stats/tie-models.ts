/**
 * Leaderboards that model ties instead of counting them as half a win, with strengths π = e^r and a
 * tie parameter fitted jointly by maximum likelihood (sources and golden values in
 * docs/algorithms.md#tie-models):
 *   Davidson (1970):   P(i≻j) = πi / (πi + πj + ν√(πiπj)),  P(tie) = ν√(πiπj) / (same)
 *   Rao–Kupper (1967): P(i≻j) = σ(ri − rj − η),  P(tie) = 1 − σ(ri − rj − η) − σ(rj − ri − η)
 * Ratings use the BT scale: R = 400·r / ln 10 + 1000 (Σr = 0), so they read like Elo points.
 */
import type { PairStats } from './battles';
import { minimizeNewton } from './newton';

export type TieModel = 'davidson' | 'rao-kupper';
export type TieModelFit = {
  model: TieModel;
  /** Natural-log strengths, Σr = 0. */
  r: Float64Array;
  /** Davidson ν > 0, or Rao–Kupper η > 0. */
  tieParameter: number;
  logLikelihood: number;
  converged: boolean;
};

const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** −log-likelihood and its gradient; x = [r_1 … r_m, φ] with ν = e^φ (Davidson) or η = e^φ (Rao–Kupper). */
function negLogLikelihood(model: TieModel, stats: PairStats, m: number, x: Float64Array, grad: Float64Array): number {
  grad.fill(0);
  const phi = x[m]!;
  const tieParam = Math.exp(phi);
  let nll = 0;
  for (let k = 0; k < stats.i.length; k++) {
    const i = stats.i[k]!;
    const j = stats.j[k]!;
    const w = stats.wins[k]!;
    const l = stats.losses[k]!;
    const t = stats.ties[k]!;
    const n = w + l + t;
    const d = x[i]! - x[j]!;
    if (model === 'davidson') {
      // Scaled by e^−(ri+rj)/2: D' = e^{d/2} + e^{−d/2} + ν; log D = (ri+rj)/2 + log D'.
      const a = Math.exp(d / 2);
      const b = 1 / a;
      const dPrime = a + b + tieParam;
      const logD = Math.log(dPrime);
      nll -= w * (d / 2 - logD) + l * (-d / 2 - logD) + t * (phi - logD);
      const gi = w + t / 2 - (n * (a + tieParam / 2)) / dPrime;
      grad[i]! -= gi;
      grad[j]! += gi; // ∂/∂rj = l + t/2 − n(b + ν/2)/D' = −gi, since w + l + t = n
      grad[m]! -= t - (n * tieParam) / dPrime;
    } else {
      const eta = tieParam;
      const logWin = -softplus(-(d - eta));
      const logLoss = -softplus(d + eta);
      const pWin = sigmoid(d - eta);
      const pLoss = sigmoid(-d - eta);
      const pTie = Math.max(1e-300, 1 - pWin - pLoss);
      nll -= w * logWin + l * logLoss + (t > 0 ? t * Math.log(pTie) : 0);
      const dWin = pWin * (1 - pWin); // σ'(d − η)
      const dLoss = pLoss * (1 - pLoss); // σ'(−d − η)
      const gd = w * (1 - pWin) - l * (1 - pLoss) + (t > 0 ? (t * (-dWin + dLoss)) / pTie : 0);
      const gEta = -w * (1 - pWin) - l * (1 - pLoss) + (t > 0 ? (t * (dWin + dLoss)) / pTie : 0);
      grad[i]! -= gd;
      grad[j]! += gd;
      grad[m]! -= gEta * eta;
    }
  }
  return nll;
}

export function fitTieModel(model: TieModel, m: number, stats: PairStats, from?: TieModelFit): TieModelFit {
  let ties = 0;
  for (const t of stats.ties) ties += t;
  if (ties === 0) throw new Error(`the ${model} model needs at least one tie; with none, use Bradley–Terry`);
  const start = new Float64Array(m + 1);
  if (from) start.set(from.r);
  start[m] = Math.log(from?.tieParameter ?? (model === 'davidson' ? 0.5 : 0.3));
  const result = minimizeNewton({ gauge: m, evaluate: (x, g) => negLogLikelihood(model, stats, m, x, g) }, start);
  return { model, r: result.x.slice(0, m), tieParameter: Math.exp(result.x[m]!), logLikelihood: -result.value, converged: result.converged };
}

export function tieModelRatings(fit: TieModelFit): Float64Array {
  return fit.r.map((r) => (400 * r) / Math.LN10 + 1000);
}
