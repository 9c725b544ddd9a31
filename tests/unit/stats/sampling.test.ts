import { describe, expect, it } from 'vitest';
import { createRng } from '@/lib/random';
import { binomial, drawPreparedMultinomial, logFactorial, multinomial, prepareMultinomial } from '@/lib/stats/sampling';

describe('logFactorial', () => {
  it('is exact on the table and continuous into Stirling’s series', () => {
    expect(logFactorial(0)).toBe(0);
    expect(logFactorial(10)).toBeCloseTo(Math.log(3628800), 12);
    let direct = 0;
    for (let k = 1; k <= 300; k++) direct += Math.log(k);
    expect(logFactorial(300)).toBeCloseTo(direct, 9);
  });
});

describe('binomial', () => {
  it.each([
    [5, 0.3],
    [40, 0.1],
    [1000, 0.5],
    [100_000, 0.02],
    [1_000_000, 0.97],
  ])('Binomial(%i, %f) has the right mean and variance', (n, p) => {
    const rng = createRng(n);
    const draws = 20_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < draws; i++) {
      const x = binomial(rng, n, p);
      expect(Number.isInteger(x) && x >= 0 && x <= n).toBe(true);
      sum += x;
      sq += x * x;
    }
    const mean = sum / draws;
    const variance = sq / draws - mean * mean;
    const sd = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(mean - n * p)).toBeLessThan((5 * sd) / Math.sqrt(draws) + 1e-9);
    expect(variance / (n * p * (1 - p))).toBeGreaterThan(0.93);
    expect(variance / (n * p * (1 - p))).toBeLessThan(1.07);
  });

  it('handles the edges', () => {
    const rng = createRng(1);
    expect(binomial(rng, 0, 0.5)).toBe(0);
    expect(binomial(rng, 10, 0)).toBe(0);
    expect(binomial(rng, 10, 1)).toBe(10);
  });

  it('puts the right probability on each value (small n, chi-square)', () => {
    const rng = createRng(9);
    const n = 6;
    const p = 0.35;
    const draws = 60_000;
    const counts = new Array<number>(n + 1).fill(0);
    for (let i = 0; i < draws; i++) counts[binomial(rng, n, p)]!++;
    let chi = 0;
    for (let k = 0; k <= n; k++) {
      const expected = draws * Math.exp(logFactorial(n) - logFactorial(k) - logFactorial(n - k)) * p ** k * (1 - p) ** (n - k);
      chi += (counts[k]! - expected) ** 2 / expected;
    }
    expect(chi).toBeLessThan(22.5); // 6 degrees of freedom, p < 0.001
  });
});

describe('multinomial', () => {
  it('always sums to n and matches the expected shares', () => {
    const rng = createRng(2);
    const weights = Float64Array.from([5, 0, 1, 3, 1]);
    const totals = new Float64Array(5);
    for (let r = 0; r < 2000; r++) {
      const x = multinomial(rng, 1000, weights);
      expect(x.reduce((a, b) => a + b, 0)).toBe(1000);
      expect(x[1]).toBe(0);
      for (let k = 0; k < 5; k++) totals[k]! += x[k]!;
    }
    const shares = [...totals].map((t) => t / (2000 * 1000));
    [0.5, 0, 0.1, 0.3, 0.1].forEach((s, k) => expect(shares[k]).toBeCloseTo(s, 2));
  });
});

describe('prepared multinomial (the bootstrap path)', () => {
  it('always sums to n, never fills a zero-weight cell, and matches the expected shares and variances', () => {
    const rng = createRng(4);
    const weights = Float64Array.from([50, 0, 10, 30, 10, 0, 900, 0]);
    const prepared = prepareMultinomial(weights);
    const n = 5000;
    const rounds = 3000;
    const sum = new Float64Array(weights.length);
    const sq = new Float64Array(weights.length);
    const out = new Float64Array(weights.length);
    for (let r = 0; r < rounds; r++) {
      drawPreparedMultinomial(rng, n, prepared, out);
      expect(out.reduce((a, b) => a + b, 0)).toBe(n);
      for (let k = 0; k < weights.length; k++) {
        sum[k]! += out[k]!;
        sq[k]! += out[k]! ** 2;
      }
    }
    const total = 1000;
    for (let k = 0; k < weights.length; k++) {
      const p = weights[k]! / total;
      const mean = sum[k]! / rounds;
      if (p === 0) {
        expect(sum[k]).toBe(0);
        continue;
      }
      const variance = sq[k]! / rounds - mean * mean;
      expect(Math.abs(mean - n * p)).toBeLessThan(5 * Math.sqrt((n * p * (1 - p)) / rounds));
      expect(variance / (n * p * (1 - p))).toBeGreaterThan(0.9);
      expect(variance / (n * p * (1 - p))).toBeLessThan(1.1);
    }
  });
});
