/**
 * Held-out evaluation of a preference model from its predictions (pure): accuracy with ties excluded,
 * tie-aware accuracy (three outcomes through a Davidson tie parameter fitted on the training pairs),
 * log-loss, expected calibration error with a reliability diagram, accuracy by tag, and
 * RewardBench-style best-of-4 where a prompt has a response that beat three others.
 */

export type EvalPair = {
  /** P(a ≻ b) predicted; a is the annotated winner unless tie. */
  p: number;
  tie: boolean;
  tags: string[];
};

export type ReliabilityBin = { lo: number; hi: number; count: number; confidence: number; accuracy: number };

export type Evaluation = {
  pairs: number;
  decisive: number;
  ties: number;
  accuracy: number | null;
  tieAwareAccuracy: number | null;
  tieNu: number;
  logLoss: number | null;
  ece: number | null;
  reliability: ReliabilityBin[];
  byTag: { tag: string; pairs: number; accuracy: number }[];
  bestOf4: { prompts: number; accuracy: number } | null;
};

const clamp = (p: number) => Math.min(1 - 1e-7, Math.max(1e-7, p));
const logit = (p: number) => Math.log(clamp(p) / (1 - clamp(p)));

/** Davidson probabilities from a BT-style P(a≻b) (Δ = logit p) and tie parameter ν. */
export function davidsonOutcomes(p: number, nu: number): { win: number; loss: number; tie: number } {
  const d = logit(p);
  const ea = Math.exp(d / 2);
  const eb = Math.exp(-d / 2);
  const z = ea + eb + nu;
  return { win: ea / z, loss: eb / z, tie: nu / z };
}

/** The ν that maximises the Davidson likelihood of these pairs (golden-section search on log ν). */
export function fitTieParameter(pairs: readonly Pick<EvalPair, 'p' | 'tie'>[]): number {
  if (!pairs.some((x) => x.tie)) return 0;
  const ll = (logNu: number) => {
    const nu = Math.exp(logNu);
    let s = 0;
    for (const x of pairs) {
      const o = davidsonOutcomes(x.p, nu);
      s += Math.log(x.tie ? o.tie : o.win);
    }
    return s;
  };
  let lo = -8;
  let hi = 4;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let k = 0; k < 80; k++) {
    const a = hi - g * (hi - lo);
    const b = lo + g * (hi - lo);
    if (ll(a) < ll(b)) lo = a;
    else hi = b;
  }
  return Math.exp((lo + hi) / 2);
}

export function evaluatePairs(test: readonly EvalPair[], options: { tieNu?: number; bins?: number; bestOf4?: { prompts: number; correct: number } | null } = {}): Evaluation {
  const decisive = test.filter((x) => !x.tie);
  const ties = test.length - decisive.length;
  const nu = options.tieNu ?? 0;
  const bins = options.bins ?? 10;
  const accuracy = decisive.length ? decisive.filter((x) => x.p > 0.5).length / decisive.length : null;
  const tieAware = test.length
    ? test.filter((x) => {
        const o = davidsonOutcomes(x.p, nu);
        const predicted = o.tie >= o.win && o.tie >= o.loss ? 'tie' : o.win >= o.loss ? 'a' : 'b';
        return x.tie ? predicted === 'tie' : predicted === 'a';
      }).length / test.length
    : null;
  const logLoss = decisive.length ? -decisive.reduce((s, x) => s + Math.log(clamp(x.p)), 0) / decisive.length : null;
  // Reliability: confidence = probability given to the predicted side.
  const table: ReliabilityBin[] = Array.from({ length: bins }, (_, k) => ({ lo: 0.5 + (0.5 * k) / bins, hi: 0.5 + (0.5 * (k + 1)) / bins, count: 0, confidence: 0, accuracy: 0 }));
  for (const x of decisive) {
    const conf = Math.max(x.p, 1 - x.p);
    const bin = table[Math.min(bins - 1, Math.floor(((conf - 0.5) / 0.5) * bins))]!;
    bin.count++;
    bin.confidence += conf;
    bin.accuracy += x.p > 0.5 ? 1 : x.p === 0.5 ? 0.5 : 0;
  }
  let ece = 0;
  for (const b of table) {
    if (!b.count) continue;
    b.confidence /= b.count;
    b.accuracy /= b.count;
    ece += (b.count / Math.max(1, decisive.length)) * Math.abs(b.accuracy - b.confidence);
  }
  const tags = new Map<string, { n: number; ok: number }>();
  for (const x of decisive)
    for (const t of x.tags) {
      const e = tags.get(t) ?? { n: 0, ok: 0 };
      e.n++;
      if (x.p > 0.5) e.ok++;
      tags.set(t, e);
    }
  return {
    pairs: test.length,
    decisive: decisive.length,
    ties,
    accuracy,
    tieAwareAccuracy: tieAware,
    tieNu: nu,
    logLoss,
    ece: decisive.length ? ece : null,
    reliability: table,
    byTag: [...tags].map(([tag, e]) => ({ tag, pairs: e.n, accuracy: e.ok / e.n })).sort((a, b) => b.pairs - a.pairs || a.tag.localeCompare(b.tag)),
    bestOf4: options.bestOf4 && options.bestOf4.prompts ? { prompts: options.bestOf4.prompts, accuracy: options.bestOf4.correct / options.bestOf4.prompts } : null,
  };
}

/**
 * RewardBench-style best-of-4 sets: per prompt, a response that decisively beat at least three others
 * (and lost to none) with three of those it beat. Returns [best, three others] as response ids.
 */
export function bestOf4Sets(pairs: readonly { prompt: number; winner: number; loser: number; tie: boolean }[]): [number, number, number, number][] {
  const byPrompt = new Map<number, { beats: Map<number, Set<number>>; lost: Set<number> }>();
  for (const p of pairs) {
    if (p.tie) continue;
    const e = byPrompt.get(p.prompt) ?? { beats: new Map(), lost: new Set() };
    const set = e.beats.get(p.winner) ?? new Set();
    set.add(p.loser);
    e.beats.set(p.winner, set);
    e.lost.add(p.loser);
    byPrompt.set(p.prompt, e);
  }
  const out: [number, number, number, number][] = [];
  for (const e of byPrompt.values()) {
    for (const [w, beaten] of e.beats) {
      if (e.lost.has(w) || beaten.size < 3) continue;
      const others = [...beaten].sort((a, b) => a - b).slice(0, 3);
      out.push([w, others[0]!, others[1]!, others[2]!]);
      break;
    }
  }
  return out;
}
