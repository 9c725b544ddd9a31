/**
 * Dawid–Skene (1979): each annotator has a confusion matrix π[true class][given label]; the true
 * class of each item is latent. EM from majority-vote posteriors: the M-step re-estimates class
 * priors and confusion matrices (add-α smoothing), the E-step the posterior of every item's class.
 *
 * Output per annotator: the estimated accuracy Σₖ pₖ πₖₖ and a log-odds weight
 * log(acc·(K−1)/(1−acc)) — the optimal vote weight under a symmetric error model — which exports can
 * use to aggregate several annotators; per item: the most probable class and its posterior.
 */

export type DsLabel = { item: number; annotator: string; label: number };

export type DsAnnotator = { annotator: string; labels: number; accuracy: number; weight: number; confusion: number[][] };
export type DawidSkene = {
  classes: number;
  priors: number[];
  annotators: DsAnnotator[];
  items: { item: number; label: number; posterior: number }[];
  iterations: number;
  converged: boolean;
};

export function dawidSkene(labels: readonly DsLabel[], classes: number, options: { maxIterations?: number; tolerance?: number; smoothing?: number } = {}): DawidSkene {
  const K = classes;
  // EM is slow near the optimum (hundreds of iterations on the demo data); each costs O(labels × K).
  const maxIterations = options.maxIterations ?? 2000;
  const tolerance = options.tolerance ?? 1e-6;
  const alpha = options.smoothing ?? 0.01;
  const itemIds = [...new Set(labels.map((l) => l.item))];
  const annotatorIds = [...new Set(labels.map((l) => l.annotator))].sort();
  const itemIndex = new Map(itemIds.map((id, k) => [id, k]));
  const annotatorIndex = new Map(annotatorIds.map((id, k) => [id, k]));
  const I = itemIds.length;
  const U = annotatorIds.length;
  for (const l of labels) if (!Number.isInteger(l.label) || l.label < 0 || l.label >= K) throw new Error(`label ${l.label} outside 0..${K - 1}`);
  const rows = labels.map((l) => ({ i: itemIndex.get(l.item)!, u: annotatorIndex.get(l.annotator)!, l: l.label }));

  // Start from (soft) majority vote.
  let T = new Float64Array(I * K);
  for (const r of rows) T[r.i * K + r.l]! += 1;
  for (let i = 0; i < I; i++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += T[i * K + k]!;
    for (let k = 0; k < K; k++) T[i * K + k]! /= s;
  }
  const priors = new Float64Array(K);
  const confusion = new Float64Array(U * K * K);
  let iterations = 0;
  let converged = false;
  for (; iterations < maxIterations; iterations++) {
    // M-step.
    priors.fill(0);
    for (let i = 0; i < I; i++) for (let k = 0; k < K; k++) priors[k]! += T[i * K + k]!;
    for (let k = 0; k < K; k++) priors[k] = (priors[k]! + alpha) / (I + K * alpha);
    confusion.fill(alpha);
    for (const r of rows) for (let k = 0; k < K; k++) confusion[(r.u * K + k) * K + r.l]! += T[r.i * K + k]!;
    for (let u = 0; u < U; u++) {
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let l = 0; l < K; l++) s += confusion[(u * K + k) * K + l]!;
        for (let l = 0; l < K; l++) confusion[(u * K + k) * K + l]! /= s;
      }
    }
    // E-step (in logs).
    const next = new Float64Array(I * K);
    for (let i = 0; i < I; i++) for (let k = 0; k < K; k++) next[i * K + k] = Math.log(priors[k]!);
    for (const r of rows) for (let k = 0; k < K; k++) next[r.i * K + k]! += Math.log(confusion[(r.u * K + k) * K + r.l]!);
    let change = 0;
    for (let i = 0; i < I; i++) {
      let top = -Infinity;
      for (let k = 0; k < K; k++) top = Math.max(top, next[i * K + k]!);
      let s = 0;
      for (let k = 0; k < K; k++) s += next[i * K + k] = Math.exp(next[i * K + k]! - top);
      for (let k = 0; k < K; k++) {
        next[i * K + k]! /= s;
        change = Math.max(change, Math.abs(next[i * K + k]! - T[i * K + k]!));
      }
    }
    T = next;
    if (change < tolerance) {
      converged = true;
      iterations++;
      break;
    }
  }

  const counts = new Array<number>(U).fill(0);
  for (const r of rows) counts[r.u]!++;
  const annotators = annotatorIds.map((annotator, u) => {
    const matrix = Array.from({ length: K }, (_, k) => Array.from({ length: K }, (_, l) => confusion[(u * K + k) * K + l]!));
    let accuracy = 0;
    for (let k = 0; k < K; k++) accuracy += priors[k]! * matrix[k]![k]!;
    const clipped = Math.min(1 - 1e-6, Math.max(1e-6, accuracy));
    return { annotator, labels: counts[u]!, accuracy, weight: Math.log((clipped * (K - 1)) / (1 - clipped)), confusion: matrix };
  });
  const items = itemIds.map((item, i) => {
    let best = 0;
    for (let k = 1; k < K; k++) if (T[i * K + k]! > T[i * K + best]!) best = k;
    return { item, label: best, posterior: T[i * K + best]! };
  });
  return { classes: K, priors: [...priors], annotators, items, iterations, converged };
}
