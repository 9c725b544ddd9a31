/**
 * The quality report of a project's pairwise judgments: agreement (Krippendorff's α on the choice and
 * on signed strength, Fleiss' κ, Cohen's κ per annotator pair), position and length bias, and
 * intransitivity per annotator and across annotators. Pure: the caller loads the judgments.
 */
import type { Winner } from '@/lib/annotation/kinds';
import { cohenKappa, fleissKappa, krippendorffAlpha } from './agreement';
import { lengthBias, positionBias, type BiasReport } from './bias';
import { dawidSkene } from './dawid-skene';
import { triadCycles, type TriadReport } from './intransitivity';

export type PairwiseJudgment = {
  itemId: number;
  annotator: string;
  winner: Winner;
  /** Strength toward the winner (0 for ties), or null when the project does not collect it. */
  strength: number | null;
  /** Canonical [a, b] response ids, and the order they were shown in. */
  responseIds: [number, number];
  shownOrder: number[] | null;
  lengths: [number, number];
};

export type QualityReport = {
  judgments: number;
  annotators: number;
  agreement: { alphaChoice: number; alphaStrength: number | null; fleissKappa: number | null; fleissItems: number; cohen: { a: string; b: string; items: number; kappa: number }[] };
  positionBias: BiasReport;
  lengthBias: BiasReport;
  perAnnotator: { annotator: string; judgments: number; leftShare: number; cycles: TriadReport }[];
  majorityCycles: TriadReport;
  /** Dawid–Skene over the four choices (a / b / tie / both bad): estimated accuracy and vote weight per annotator. */
  reliability: { annotators: { annotator: string; labels: number; accuracy: number; weight: number }[]; iterations: number; converged: boolean } | null;
};

const CHOICES: Winner[] = ['a', 'b', 'tie', 'both_bad'];

function winnerResponse(j: PairwiseJudgment): number | null {
  return j.winner === 'a' ? j.responseIds[0] : j.winner === 'b' ? j.responseIds[1] : null;
}

export function qualityReport(judgments: readonly PairwiseJudgment[], options: { minSharedItems?: number } = {}): QualityReport {
  const annotators = [...new Set(judgments.map((j) => j.annotator))].sort();
  const items = [...new Set(judgments.map((j) => j.itemId))].sort((x, y) => x - y);
  const byAnnotator = new Map(annotators.map((a) => [a, new Map<number, PairwiseJudgment>()]));
  for (const j of judgments) byAnnotator.get(j.annotator)!.set(j.itemId, j);

  const matrix = (value: (j: PairwiseJudgment) => number | null) =>
    annotators.map((a) => items.map((id) => {
      const j = byAnnotator.get(a)!.get(id);
      return j ? value(j) : null;
    }));
  const alphaChoice = krippendorffAlpha(matrix((j) => CHOICES.indexOf(j.winner)), 'nominal');
  const hasStrength = judgments.some((j) => j.strength !== null && j.strength !== 0);
  const alphaStrength = hasStrength ? krippendorffAlpha(matrix((j) => (j.strength === null ? null : j.winner === 'a' ? Math.abs(j.strength) : j.winner === 'b' ? -Math.abs(j.strength) : 0)), 'ordinal') : null;

  // Fleiss' κ needs the same number of ratings per item: use the items with the most common count (≥ 2).
  const perItem = new Map<number, number[]>();
  for (const j of judgments) {
    const row = perItem.get(j.itemId) ?? [0, 0, 0, 0];
    row[CHOICES.indexOf(j.winner)]!++;
    perItem.set(j.itemId, row);
  }
  const sizes = new Map<number, number>();
  for (const row of perItem.values()) {
    const n = row.reduce((s, x) => s + x, 0);
    if (n >= 2) sizes.set(n, (sizes.get(n) ?? 0) + 1);
  }
  const modal = [...sizes.entries()].sort((x, y) => y[1] - x[1] || y[0] - x[0])[0]?.[0];
  const fleissRows = modal ? [...perItem.values()].filter((row) => row.reduce((s, x) => s + x, 0) === modal) : [];
  const fleiss = fleissRows.length >= 2 ? fleissKappa(fleissRows) : null;

  const cohen: QualityReport['agreement']['cohen'] = [];
  for (let x = 0; x < annotators.length; x++) {
    for (let y = x + 1; y < annotators.length; y++) {
      const mine = byAnnotator.get(annotators[x]!)!;
      const theirs = byAnnotator.get(annotators[y]!)!;
      const shared = [...mine.keys()].filter((id) => theirs.has(id));
      if (shared.length < (options.minSharedItems ?? 5)) continue;
      cohen.push({ a: annotators[x]!, b: annotators[y]!, items: shared.length, kappa: cohenKappa(shared.map((id) => mine.get(id)!.winner), shared.map((id) => theirs.get(id)!.winner)) });
    }
  }

  const decisive = judgments.filter((j) => (j.winner === 'a' || j.winner === 'b') && j.shownOrder && j.shownOrder.length === 2);
  const leftWon = (j: PairwiseJudgment) => j.shownOrder![0] === winnerResponse(j);
  const edges = (list: readonly PairwiseJudgment[]) =>
    list.filter((j) => j.winner === 'a' || j.winner === 'b').map((j) => {
      const w = winnerResponse(j)!;
      return { winner: w, loser: w === j.responseIds[0] ? j.responseIds[1] : j.responseIds[0] };
    });
  return {
    judgments: judgments.length,
    annotators: annotators.length,
    agreement: { alphaChoice, alphaStrength, fleissKappa: fleiss, fleissItems: fleissRows.length, cohen },
    positionBias: positionBias(decisive.map(leftWon)),
    lengthBias: lengthBias(
      judgments.filter((j) => j.winner === 'a' || j.winner === 'b').map((j) => (j.winner === 'a' ? { winnerLength: j.lengths[0], loserLength: j.lengths[1] } : { winnerLength: j.lengths[1], loserLength: j.lengths[0] })),
    ),
    perAnnotator: annotators.map((a) => {
      const mine = [...byAnnotator.get(a)!.values()];
      const mineDecisive = decisive.filter((j) => j.annotator === a);
      return { annotator: a, judgments: mine.length, leftShare: mineDecisive.length ? mineDecisive.filter(leftWon).length / mineDecisive.length : Number.NaN, cycles: triadCycles(edges(mine)) };
    }),
    majorityCycles: triadCycles(edges(judgments)),
    reliability: reliabilityOf(judgments, annotators.length),
  };
}

function reliabilityOf(judgments: readonly PairwiseJudgment[], annotators: number): QualityReport['reliability'] {
  if (annotators < 2 || judgments.length === 0) return null;
  const ds = dawidSkene(
    judgments.map((j) => ({ item: j.itemId, annotator: j.annotator, label: CHOICES.indexOf(j.winner) })),
    CHOICES.length,
  );
  return { annotators: ds.annotators.map(({ annotator, labels, accuracy, weight }) => ({ annotator, labels, accuracy, weight })), iterations: ds.iterations, converged: ds.converged };
}
