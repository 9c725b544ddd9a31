/**
 * Plackett–Luce for rankings (docs/algorithms.md#plackett-luce), fitted by Hunter's MM algorithm
 * (Ann. Stat. 2004): P(ranking) = Πk γ(chosen at stage k) / Σ γ(remaining at stage k). A ranking is a list of tie groups,
 * best first; members of a tie group are each "chosen" against the same remaining set (Breslow's
 * approximation — the exact Davidson–Luce tie model is not built). With two items per ranking this is
 * Bradley–Terry on the natural-log scale.
 */
export type PlFit = { r: Float64Array; iterations: number; converged: boolean };

/** `rankings`: item indices in tie groups, best group first, e.g. [[2], [0, 3], [1]]. */
export function fitPlackettLuce(m: number, rankings: readonly (readonly (readonly number[])[])[], options: { maxIterations?: number; tolerance?: number } = {}): PlFit {
  const maxIterations = options.maxIterations ?? 10_000;
  const tolerance = options.tolerance ?? 1e-12;
  const wins = new Float64Array(m);
  // Stages as (remaining items, number chosen) pairs, flattened once.
  const stages: { remaining: number[]; chosen: number }[] = [];
  for (const ranking of rankings) {
    const seen = new Set<number>();
    for (const group of ranking) {
      for (const i of group) {
        if (!Number.isInteger(i) || i < 0 || i >= m) throw new Error(`ranking mentions item ${i}, outside 0..${m - 1}`);
        if (seen.has(i)) throw new Error(`item ${i} appears twice in one ranking`);
        seen.add(i);
      }
    }
    for (let g = 0; g < ranking.length; g++) {
      const group = ranking[g]!;
      const remaining = ranking.slice(g).flat();
      if (remaining.length < 2) continue; // choosing the last item from itself carries no information
      for (const i of group) wins[i]! += 1;
      stages.push({ remaining, chosen: group.length });
    }
  }
  for (let i = 0; i < m; i++) if (wins[i] === 0) throw new Error(`item ${i} is never ranked above another: no finite Plackett–Luce estimate`);
  let gamma = new Float64Array(m).fill(1);
  const denominators = new Float64Array(m);
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    denominators.fill(0);
    for (const stage of stages) {
      let total = 0;
      for (const i of stage.remaining) total += gamma[i]!;
      const share = stage.chosen / total;
      for (const i of stage.remaining) denominators[i]! += share;
    }
    const next = new Float64Array(m);
    let logMean = 0;
    for (let i = 0; i < m; i++) {
      next[i] = wins[i]! / denominators[i]!;
      logMean += Math.log(next[i]!);
    }
    const scale = Math.exp(-logMean / m); // fix the gauge: Σ log γ = 0
    let change = 0;
    for (let i = 0; i < m; i++) {
      next[i]! *= scale;
      change = Math.max(change, Math.abs(Math.log(next[i]! / gamma[i]!)));
    }
    gamma = next;
    if (change < tolerance) return { r: gamma.map(Math.log), iterations: iteration, converged: true };
  }
  return { r: gamma.map(Math.log), iterations: maxIterations, converged: false };
}
