/**
 * Chance-corrected agreement between annotators: Cohen's κ (two annotators), Fleiss' κ (a fixed
 * number of ratings per item), Krippendorff's α (any number of annotators, missing values, and the
 * nominal / ordinal / interval / ratio metrics — nominal for the A/B/tie choice, ordinal for
 * strength and ratings). Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011).
 */

/** Cohen's κ for two annotators' labels of the same items (equal-length arrays). */
export function cohenKappa<T>(a: readonly T[], b: readonly T[]): number {
  if (a.length !== b.length) throw new Error('Cohen’s kappa needs the two annotators’ labels for the same items');
  if (a.length === 0) return Number.NaN;
  const n = a.length;
  let agree = 0;
  const countA = new Map<T, number>();
  const countB = new Map<T, number>();
  for (let k = 0; k < n; k++) {
    if (a[k] === b[k]) agree++;
    countA.set(a[k]!, (countA.get(a[k]!) ?? 0) + 1);
    countB.set(b[k]!, (countB.get(b[k]!) ?? 0) + 1);
  }
  let expected = 0;
  for (const [label, ca] of countA) expected += (ca / n) * ((countB.get(label) ?? 0) / n);
  const observed = agree / n;
  return expected === 1 ? (observed === 1 ? 1 : Number.NaN) : (observed - expected) / (1 - expected);
}

/** Fleiss' κ from per-item category counts (each row: how many raters chose each category; equal row sums). */
export function fleissKappa(counts: readonly (readonly number[])[]): number {
  if (counts.length === 0) return Number.NaN;
  const raters = counts[0]!.reduce((s, x) => s + x, 0);
  if (raters < 2) throw new Error('Fleiss’ kappa needs at least two ratings per item');
  const categories = counts[0]!.length;
  const totals = new Array<number>(categories).fill(0);
  let pBar = 0;
  for (const row of counts) {
    if (row.length !== categories || row.reduce((s, x) => s + x, 0) !== raters) throw new Error('Fleiss’ kappa needs the same number of ratings for every item');
    let sq = 0;
    row.forEach((x, j) => {
      sq += x * x;
      totals[j]! += x;
    });
    pBar += (sq - raters) / (raters * (raters - 1));
  }
  pBar /= counts.length;
  const pe = totals.reduce((s, t) => s + (t / (counts.length * raters)) ** 2, 0);
  return (pBar - pe) / (1 - pe);
}

export type AlphaLevel = 'nominal' | 'ordinal' | 'interval' | 'ratio';

/**
 * Krippendorff's α. `data[coder][unit]` is a numeric value or null (missing); units with fewer than
 * two values are not pairable and drop out.
 */
export function krippendorffAlpha(data: readonly (readonly (number | null)[])[], level: AlphaLevel): number {
  const units = Math.max(0, ...data.map((row) => row.length));
  const values = [...new Set(data.flat().filter((v): v is number => v !== null))].sort((x, y) => x - y);
  const index = new Map(values.map((v, i) => [v, i]));
  const V = values.length;
  const o = new Float64Array(V * V); // coincidence matrix
  for (let u = 0; u < units; u++) {
    const present = data.map((row) => row[u]).filter((v): v is number => v !== null && v !== undefined);
    const m = present.length;
    if (m < 2) continue;
    for (let x = 0; x < m; x++) {
      for (let y = 0; y < m; y++) {
        if (x !== y) o[index.get(present[x]!)! * V + index.get(present[y]!)!]! += 1 / (m - 1);
      }
    }
  }
  const nc = new Float64Array(V);
  for (let c = 0; c < V; c++) for (let k = 0; k < V; k++) nc[c]! += o[c * V + k]!;
  const n = nc.reduce((s, x) => s + x, 0);
  if (n === 0) return Number.NaN;
  const delta2 = (c: number, k: number): number => {
    if (c === k) return 0;
    switch (level) {
      case 'nominal':
        return 1;
      case 'interval':
        return (values[c]! - values[k]!) ** 2;
      case 'ratio': {
        const sum = values[c]! + values[k]!;
        return sum === 0 ? 0 : ((values[c]! - values[k]!) / sum) ** 2;
      }
      case 'ordinal': {
        const [lo, hi] = c < k ? [c, k] : [k, c];
        let between = 0;
        for (let g = lo; g <= hi; g++) between += nc[g]!;
        return (between - (nc[lo]! + nc[hi]!) / 2) ** 2;
      }
      default: {
        const unreachable: never = level;
        throw new Error(`unknown level ${String(unreachable)}`);
      }
    }
  };
  let observed = 0;
  let expected = 0;
  for (let c = 0; c < V; c++) {
    for (let k = 0; k < V; k++) {
      const d = delta2(c, k);
      observed += o[c * V + k]! * d;
      expected += nc[c]! * nc[k]! * d;
    }
  }
  return expected === 0 ? Number.NaN : 1 - ((n - 1) * observed) / expected;
}
