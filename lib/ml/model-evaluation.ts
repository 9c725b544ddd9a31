/**
 * A fitted model against its held-out pairs: the evaluation of lib/ml/evaluate.ts, the longer-wins
 * baseline on the same pairs, and — from the members' disagreement on the training pairs — the pairs
 * likely mislabelled (negative mean preference strength) or ambiguous (near zero), Secrets of RLHF II Eq. 4.
 */
import { bestOf4Sets, evaluatePairs, fitTieParameter, type Evaluation } from './evaluate';
import type { EnsembleAggregation, RewardModelKind } from './kinds';

/**
 * What evaluation and scoring need from a model, over its own kind of input rows (sparse features for
 * the hashed-n-gram models, token ids for the transformer encoder). RewardModel is one.
 */
export type PreferenceScorer<R> = {
  config: { kind: RewardModelKind; tau: number };
  preferences(a: readonly R[], b: readonly R[]): Float32Array;
  rewards(rows: readonly R[], aggregation?: EnsembleAggregation): Float32Array;
  memberDeltas(a: readonly R[], b: readonly R[]): Float32Array[];
  gpmScores(a: readonly R[], b: readonly R[]): Float32Array;
  bags: Uint16Array[] | null;
};

type Pair = { comparisonId: number; promptId: number; a: number; b: number; tie: boolean; tags: string[] };
type Data<R> = { features: R[]; lengths: number[] };

export type Flag = { comparisonId: number; promptId: number; mean: number; std: number; kind: 'mislabelled' | 'ambiguous' };

export type ModelEvaluation = {
  evaluation: Evaluation;
  baseline: { name: 'longer-wins'; accuracy: number | null };
  flags: { mislabelled: number; ambiguous: number; threshold: number; pairs: Flag[] };
};

/** |mean strength| below this (in member-normalised reward units) is ambiguous. */
export const AMBIGUOUS_BELOW = 0.25;
const MAX_FLAGS = 5000;

/**
 * `fittedPairs` are aligned with the pairs the model was fitted on: with bootstrap members, a pair's
 * strength is averaged over the members that did not draw it (out of bag), so a memorised wrong label
 * does not hide itself.
 */
export function evaluateModel<R>(model: PreferenceScorer<R>, data: Data<R>, trainPairs: readonly Pair[], testPairs: readonly Pair[], fittedPairs: readonly Pair[] = trainPairs): ModelEvaluation {
  const rows = (ps: readonly Pair[], side: 'a' | 'b') => ps.map((p) => data.features[p[side]]!);
  const p = testPairs.length ? model.preferences(rows(testPairs, 'a'), rows(testPairs, 'b')) : new Float32Array(0);
  const sample = trainPairs.length > 20_000 ? trainPairs.filter((_, i) => i % Math.ceil(trainPairs.length / 20_000) === 0) : trainPairs;
  const trainP = sample.length ? model.preferences(rows(sample, 'a'), rows(sample, 'b')) : new Float32Array(0);
  const tieNu = fitTieParameter(sample.map((x, i) => ({ p: trainP[i]!, tie: x.tie })));

  // Best-of-4 where a held-out prompt has a response that beat three others.
  const sets = bestOf4Sets(testPairs.map((x) => ({ prompt: x.promptId, winner: x.a, loser: x.b, tie: x.tie })));
  let correct = 0;
  for (const set of sets) {
    const feats = set.map((r) => data.features[r]!);
    let scores: number[];
    if (model.config.kind === 'gpm') {
      const a: R[] = [];
      const b: R[] = [];
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++) {
          if (i === j) continue;
          a.push(feats[i]!);
          b.push(feats[j]!);
        }
      const s = model.gpmScores(a, b);
      scores = [0, 1, 2, 3].map((i) => s.slice(i * 3, i * 3 + 3).reduce((x, y) => x + y, 0));
    } else scores = Array.from(model.rewards(feats));
    if (scores[0]! > Math.max(scores[1]!, scores[2]!, scores[3]!)) correct++;
  }
  const evaluation = evaluatePairs(
    testPairs.map((x, i) => ({ p: p[i]!, tie: x.tie, tags: x.tags })),
    { tieNu, bestOf4: { prompts: sets.length, correct } },
  );
  const decisive = testPairs.filter((x) => !x.tie && data.lengths[x.a] !== data.lengths[x.b]);
  const baseline = { name: 'longer-wins' as const, accuracy: decisive.length ? decisive.filter((x) => data.lengths[x.a]! > data.lengths[x.b]!).length / decisive.length : null };

  // Flags on the fitted pairs from the members' preference strengths.
  const fittedIndex = fittedPairs.map((x, i) => ({ x, i })).filter(({ x }) => !x.tie);
  const decisiveTrain = fittedIndex.map(({ x }) => x);
  let strengths: { mean: number; std: number }[];
  if (model.config.kind === 'gpm') {
    const s = decisiveTrain.length ? model.gpmScores(rows(decisiveTrain, 'a'), rows(decisiveTrain, 'b')) : new Float32Array(0);
    strengths = Array.from(s, (v) => ({ mean: v / model.config.tau, std: 0 }));
  } else {
    const deltas = decisiveTrain.length ? model.memberDeltas(rows(decisiveTrain, 'a'), rows(decisiveTrain, 'b')) : [];
    const bags = model.bags;
    strengths = decisiveTrain.map((_, i) => {
      const all = deltas.map((m) => m[i]!);
      const outOfBag = bags ? all.filter((_, m) => bags[m]![fittedIndex[i]!.i] === 0) : [];
      const d = outOfBag.length ? outOfBag : all;
      const mu = d.reduce((x, y) => x + y, 0) / d.length;
      return { mean: mu, std: Math.sqrt(d.reduce((x, y) => x + (y - mu) ** 2, 0) / d.length) };
    });
  }
  const flagged: Flag[] = [];
  let mislabelled = 0;
  let ambiguous = 0;
  decisiveTrain.forEach((x, i) => {
    const s = strengths[i]!;
    const kind = s.mean < 0 ? 'mislabelled' : s.mean < AMBIGUOUS_BELOW ? 'ambiguous' : null;
    if (!kind) return;
    if (kind === 'mislabelled') mislabelled++;
    else ambiguous++;
    flagged.push({ comparisonId: x.comparisonId, promptId: x.promptId, mean: +s.mean.toFixed(4), std: +s.std.toFixed(4), kind });
  });
  flagged.sort((x, y) => x.mean - y.mean);
  return { evaluation, baseline, flags: { mislabelled, ambiguous, threshold: AMBIGUOUS_BELOW, pairs: flagged.slice(0, MAX_FLAGS) } };
}
