/**
 * Style control, as Chatbot Arena does it: a contextual Bradley–Terry model in which each battle also
 * carries style covariates, so the ratings answer "which system wins at equal length and formatting".
 *
 *   P(w beats l) = σ( ln10·(θ_w − θ_l) + Σ_f β_f · x_f ),   x_f = (f_w − f_l) / (f_w + f_l)
 *
 * Features per response: length in words, markdown headers, list items, bold spans (Arena uses tokens
 * for length; words need no tokenizer). Each normalised difference is divided by its root mean square
 * over the battles (Arena standardises; we do not subtract the mean, because battles are stored winner
 * first and centring would break the model's symmetry under swapping sides). A tie scores ½.
 * Fitted by Newton's method; θ's gauge is Σθ = 0 (as in our BT); ratings 400·θ + 1000.
 * Intervals: battles resampled with replacement, seeded.
 */
import { createRng } from '@/lib/random';
import { quantileSorted, summariseLeaderboard, type LeaderboardRow } from './bt-leaderboard';
import { solveSpd } from './linear-algebra';

export const STYLE_FEATURES = ['length', 'headers', 'lists', 'bold'] as const;
export type StyleFeature = (typeof STYLE_FEATURES)[number];
export type StyleVector = [number, number, number, number];

/** Style features of one response (markdown source). */
export function styleFeatures(text: string): StyleVector {
  const words = text.split(/\s+/).filter(Boolean).length;
  const lines = text.split('\n');
  const headers = lines.filter((l) => /^\s{0,3}#{1,6}\s+\S/.test(l)).length;
  const lists = lines.filter((l) => /^\s*([-*+]|\d+[.)])\s+\S/.test(l)).length;
  const bold = (text.match(/(\*\*|__)(?=\S)[\s\S]*?\S\1/g) ?? []).length;
  return [words, headers, lists, bold];
}

/** One battle: systems (indices), outcome for `a` (1 win, ½ tie), and both responses' style vectors. */
export type StyledBattles = { systems: string[]; a: Uint32Array; b: Uint32Array; y: Float64Array; styleA: Float64Array; styleB: Float64Array };

export type StyleCoefficient = { feature: StyleFeature; coefficient: number; lower: number; upper: number };
export type StyleLeaderboard = {
  method: 'style';
  rows: LeaderboardRow[];
  style: StyleCoefficient[];
  config: { rounds: number; seed: number; features: readonly StyleFeature[] };
  degenerateRounds: number;
};

const F = STYLE_FEATURES.length;

/** Normalised, scaled differences (rows × F) for the given battle indices. */
function designStyle(data: StyledBattles): Float64Array {
  const N = data.a.length;
  const x = new Float64Array(N * F);
  const rms = new Float64Array(F);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const fa = data.styleA[n * F + f]!;
      const fb = data.styleB[n * F + f]!;
      const v = fa + fb > 0 ? (fa - fb) / (fa + fb) : 0;
      x[n * F + f] = v;
      rms[f]! += v * v;
    }
  }
  for (let f = 0; f < F; f++) rms[f] = Math.sqrt(rms[f]! / Math.max(1, N)) || 1;
  for (let n = 0; n < N; n++) for (let f = 0; f < F; f++) x[n * F + f]! /= rms[f]!;
  return x;
}

/** Newton's method on the (weighted) contextual BT likelihood; weights let the bootstrap reuse rows. */
function fitContextual(m: number, data: StyledBattles, x: Float64Array, weights: Float64Array | null, maxIterations = 100): { theta: Float64Array; beta: Float64Array; converged: boolean } {
  const P = m + F;
  const params = new Float64Array(P);
  const grad = new Float64Array(P);
  const hess = new Float64Array(P * P);
  const idx = new Int32Array(2 + F);
  const val = new Float64Array(2 + F);
  for (let f = 0; f < F; f++) idx[2 + f] = m + f;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    grad.fill(0);
    hess.fill(0);
    for (let n = 0; n < data.a.length; n++) {
      const w = weights ? weights[n]! : 1;
      if (w === 0) continue;
      const i = data.a[n]!;
      const j = data.b[n]!;
      idx[0] = i;
      idx[1] = j;
      val[0] = Math.LN10;
      val[1] = -Math.LN10;
      let z = Math.LN10 * (params[i]! - params[j]!);
      for (let f = 0; f < F; f++) {
        val[2 + f] = x[n * F + f]!;
        z += params[m + f]! * val[2 + f]!;
      }
      const p = 1 / (1 + Math.exp(-z));
      const g = w * (p - data.y[n]!);
      const h = w * p * (1 - p);
      for (let r = 0; r < 2 + F; r++) {
        grad[idx[r]!]! += g * val[r]!;
        for (let c = 0; c < 2 + F; c++) hess[idx[r]! * P + idx[c]!]! += h * val[r]! * val[c]!;
      }
    }
    // Gauge: the likelihood is flat along θ + c·1; adding 1·1ᵀ on the θ block keeps Σθ = 0.
    for (let r = 0; r < m; r++) for (let c = 0; c < m; c++) hess[r * P + c]! += 1;
    for (let r = 0; r < P; r++) hess[r * P + r]! += 1e-9;
    const step = solveSpd(P, hess, grad);
    if (!step) return { theta: params.slice(0, m), beta: params.slice(m), converged: false };
    let largest = 0;
    for (let r = 0; r < P; r++) largest = Math.max(largest, Math.abs(step[r]!));
    const t = largest > 2 ? 2 / largest : 1; // damp wild first steps
    for (let r = 0; r < P; r++) params[r]! -= t * step[r]!;
    if (!Number.isFinite(largest)) break;
    if (largest < 1e-10) return { theta: params.slice(0, m), beta: params.slice(m), converged: true };
  }
  return { theta: params.slice(0, m), beta: params.slice(m), converged: false };
}

const toRatings = (theta: Float64Array) => theta.map((t) => 400 * t + 1000);

export function styleControlLeaderboard(data: StyledBattles, options: { rounds?: number; seed?: number } = {}): StyleLeaderboard {
  const config = { rounds: options.rounds ?? 100, seed: options.seed ?? 0, features: STYLE_FEATURES };
  const m = data.systems.length;
  const N = data.a.length;
  const x = designStyle(data);
  const point = fitContextual(m, data, x, null);
  if (!point.converged) throw new Error('the style-controlled fit did not converge (is every system connected to the others, and does each both win and lose?)');
  const battles = new Float64Array(m);
  for (let n = 0; n < N; n++) {
    battles[data.a[n]!]! += 1;
    battles[data.b[n]!]! += 1;
  }
  const rng = createRng(config.seed);
  const weights = new Float64Array(N);
  const samples: Float64Array[] = [];
  const betas: Float64Array[] = [];
  let degenerateRounds = 0;
  for (let r = 0; r < config.rounds; r++) {
    weights.fill(0);
    for (let n = 0; n < N; n++) weights[rng.int(0, N - 1)]! += 1;
    const fit = fitContextual(m, data, x, weights, 50);
    if (fit.converged) {
      samples.push(toRatings(fit.theta));
      betas.push(fit.beta);
    } else degenerateRounds++;
  }
  const style = STYLE_FEATURES.map((feature, f) => {
    const column = Float64Array.from(betas.map((b) => b[f]!)).sort();
    return { feature, coefficient: point.beta[f]!, lower: quantileSorted(column, 0.025), upper: quantileSorted(column, 0.975) };
  });
  return { method: 'style', rows: summariseLeaderboard(data.systems, toRatings(point.theta), samples, battles), style, config, degenerateRounds };
}
