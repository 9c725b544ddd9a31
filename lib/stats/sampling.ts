/**
 * Exact binomial and multinomial draws from a seeded Rng, for the Arena bootstrap (which resamples
 * cell counts with `rng.multinomial(n, w / Σw)`). Binomial: inversion when n·p is small, else Hörmann's
 * BTRS transformed rejection (1993), the method numpy-style samplers use for large n·p.
 */
import type { Rng } from '@/lib/random';

/** ln k! for k < table length; grown on demand up to 2^21 (16 MiB) — the bootstrap calls it millions of times. */
let logFactorialTable = buildTable(256);
const TABLE_LIMIT = 1 << 21;

function buildTable(size: number): Float64Array {
  const table = new Float64Array(size);
  for (let k = 1; k < size; k++) table[k] = table[k - 1]! + Math.log(k);
  return table;
}

/** Makes ln k! a table lookup for every k ≤ n (when n is within the limit). */
export function prepareLogFactorials(n: number): void {
  if (n < logFactorialTable.length || n >= TABLE_LIMIT) return;
  let size = logFactorialTable.length;
  while (size <= n) size *= 2;
  logFactorialTable = buildTable(Math.min(size, TABLE_LIMIT));
}

/** ln k! — from the table, else Stirling's series (error < 1e-13 for k ≥ 256). */
export function logFactorial(k: number): number {
  if (k < logFactorialTable.length) return logFactorialTable[k]!;
  const inv = 1 / k;
  const inv2 = inv * inv;
  return k * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI * k) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260));
}

function binomialInversion(rng: Rng, n: number, p: number): number {
  const q = 1 - p;
  const s = p / q;
  const a = (n + 1) * s;
  const r0 = Math.exp(n * Math.log1p(-p));
  for (;;) {
    let r = r0;
    let u = rng.next();
    let x = 0;
    while (u > r) {
      u -= r;
      x++;
      if (x > n) break;
      r *= a / x - s;
    }
    if (x <= n) return x;
  }
}

function binomialBtrs(rng: Rng, n: number, p: number): number {
  const q = 1 - p;
  const spq = Math.sqrt(n * p * q);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const alpha = (2.83 + 5.1 / b) * spq;
  const lpq = Math.log(p / q);
  const m = Math.floor((n + 1) * p);
  const table = logFactorialTable;
  const inTable = n < table.length;
  const h = inTable ? table[m]! + table[n - m]! : logFactorial(m) + logFactorial(n - m);
  for (;;) {
    const u = rng.next() - 0.5;
    let v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return k;
    v = Math.log((v * alpha) / (a / (us * us) + b));
    const lk = inTable ? table[k]! + table[n - k]! : logFactorial(k) + logFactorial(n - k);
    if (v <= h - lk + (k - m) * lpq) return k;
  }
}

/** One Binomial(n, p) draw; n a non-negative integer, 0 ≤ p ≤ 1. */
export function binomial(rng: Rng, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(rng, n, 1 - p);
  return n * p < 10 ? binomialInversion(rng, n, p) : binomialBtrs(rng, n, p);
}

/** Multinomial(n, weights / Σweights) by conditional binomials, into `out` (length = weights). */
export function multinomial(rng: Rng, n: number, weights: Float64Array, out: Float64Array = new Float64Array(weights.length)): Float64Array {
  let remainingMass = 0;
  for (const w of weights) remainingMass += w;
  let remaining = n;
  for (let k = 0; k < weights.length; k++) {
    if (remaining === 0 || remainingMass <= 0) {
      out[k] = 0;
      continue;
    }
    const p = Math.min(1, weights[k]! / remainingMass);
    const x = k === weights.length - 1 ? remaining : binomial(rng, remaining, p);
    out[k] = x;
    remaining -= x;
    remainingMass -= weights[k]!;
  }
  return out;
}

/**
 * A multinomial drawn many times with the same weights (the bootstrap): the conditional probability
 * of each cell and its binomial constants do not depend on the draw, so they are computed once.
 */
export type PreparedMultinomial = { p: Float64Array; pq: Float64Array; lpq: Float64Array; flipped: Uint8Array; last: number };

export function prepareMultinomial(weights: Float64Array): PreparedMultinomial {
  const k = weights.length;
  const prepared: PreparedMultinomial = { p: new Float64Array(k), pq: new Float64Array(k), lpq: new Float64Array(k), flipped: new Uint8Array(k), last: -1 };
  let remainingMass = 0;
  for (const w of weights) remainingMass += w;
  for (let c = 0; c < k; c++) {
    if (weights[c]! > 0) prepared.last = c;
    let p = remainingMass > 0 ? Math.min(1, weights[c]! / remainingMass) : 0;
    remainingMass -= weights[c]!;
    if (p > 0.5) {
      prepared.flipped[c] = 1;
      p = 1 - p;
    }
    prepared.p[c] = p;
    prepared.pq[c] = p * (1 - p);
    prepared.lpq[c] = p > 0 ? Math.log(p / (1 - p)) : 0;
  }
  return prepared;
}

/** Multinomial(n, weights) with prepared constants: the same law as `multinomial`, about a third faster. */
export function drawPreparedMultinomial(rng: Rng, n: number, prep: PreparedMultinomial, out: Float64Array): Float64Array {
  out.fill(0);
  let remaining = n;
  const table = logFactorialTable;
  for (let c = 0; c <= prep.last && remaining > 0; c++) {
    if (c === prep.last) {
      out[c] = remaining;
      break;
    }
    const p = prep.p[c]!;
    let x: number;
    if (p <= 0) x = 0; // (a conditional probability of 1 was flipped to 0 and becomes `remaining` below)
    else if (remaining * p < 10) x = binomialInversion(rng, remaining, p);
    else {
      // BTRS as in binomialBtrs, with p(1 − p) and log(p / q) taken from the table of constants.
      const spq = Math.sqrt(remaining * prep.pq[c]!);
      const b = 1.15 + 2.53 * spq;
      const a = -0.0873 + 0.0248 * b + 0.01 * p;
      const cc = remaining * p + 0.5;
      const vr = 0.92 - 4.2 / b;
      const alpha = (2.83 + 5.1 / b) * spq;
      const lpq = prep.lpq[c]!;
      const m = Math.floor((remaining + 1) * p);
      const inTable = remaining < table.length;
      const h = inTable ? table[m]! + table[remaining - m]! : logFactorial(m) + logFactorial(remaining - m);
      for (;;) {
        const u = rng.next() - 0.5;
        let v = rng.next();
        const us = 0.5 - Math.abs(u);
        const k = Math.floor(((2 * a) / us + b) * u + cc);
        if (k < 0 || k > remaining) continue;
        if (us >= 0.07 && v <= vr) {
          x = k;
          break;
        }
        v = Math.log((v * alpha) / (a / (us * us) + b));
        const lk = inTable ? table[k]! + table[remaining - k]! : logFactorial(k) + logFactorial(remaining - k);
        if (v <= h - lk + (k - m) * lpq) {
          x = k;
          break;
        }
      }
    }
    if (prep.flipped[c]) x = remaining - x;
    out[c] = x;
    remaining -= x;
  }
  return out;
}
