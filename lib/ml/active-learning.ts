/**
 * Active learning: how uncertain a model is about each open item, so the assignment engine (which
 * serves by priority, highest first) asks annotators about those first. Ensemble disagreement is the
 * std of the members' member-normalised preference strengths (Secrets of RLHF II Eq. 4's σ̂); GPM
 * uncertainty is 1 − |2p − 1| (1 at p = ½). A ranking item takes the mean over its pairs.
 */
import type { SparseVector } from './features/hashed-ngrams';
import type { RewardModel } from './reward-model';

export type Uncertainty = 'ensemble-disagreement' | 'gpm-uncertainty';

export function itemUncertainty(model: RewardModel, rule: Uncertainty, items: readonly { id: number; rows: SparseVector[] }[]): { id: number; priority: number }[] {
  const a: SparseVector[] = [];
  const b: SparseVector[] = [];
  const owner: number[] = [];
  items.forEach((item, k) => {
    for (let i = 0; i < item.rows.length; i++)
      for (let j = i + 1; j < item.rows.length; j++) {
        a.push(item.rows[i]!);
        b.push(item.rows[j]!);
        owner.push(k);
      }
  });
  if (!a.length) return [];
  let perPair: number[];
  if (rule === 'gpm-uncertainty') perPair = Array.from(model.preferences(a, b), (p) => 1 - Math.abs(2 * p - 1));
  else {
    if (model.members < 2) throw new Error('ensemble disagreement needs an ensemble of at least two members');
    const deltas = model.memberDeltas(a, b);
    perPair = a.map((_, i) => {
      const d = deltas.map((m) => m[i]!);
      const mu = d.reduce((s, x) => s + x, 0) / d.length;
      return Math.sqrt(d.reduce((s, x) => s + (x - mu) ** 2, 0) / d.length);
    });
  }
  const sums = new Map<number, { s: number; n: number }>();
  perPair.forEach((u, i) => {
    const e = sums.get(owner[i]!) ?? { s: 0, n: 0 };
    e.s += u;
    e.n++;
    sums.set(owner[i]!, e);
  });
  return [...sums].map(([k, e]) => ({ id: items[k]!.id, priority: +(e.s / e.n).toFixed(6) }));
}
