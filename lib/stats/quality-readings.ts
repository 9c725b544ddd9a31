/**
 * One-line readings of the Quality page's numbers, with a warning where a number crosses the threshold its
 * literature uses: Krippendorff's α (Krippendorff 2004, "Content Analysis", §12.2: α ≥ 0.800 reliable,
 * 0.667 the lowest for tentative conclusions), Fleiss' and Cohen's κ on Landis & Koch's (1977) scale, and a
 * two-sided binomial test at 5% for position and length bias with Wilson's 95% interval.
 */
import type { BiasReport } from './bias';
import { wilsonInterval } from './win-rates';

export type Reading = { text: string; warning: boolean };

const pct = (x: number) => `${Math.round(x * 100)}%`;

export function readAlpha(alpha: number | null): Reading {
  if (alpha === null || Number.isNaN(alpha)) return { text: 'not enough overlapping judgments to measure agreement (set an overlap of 2 or more)', warning: false };
  if (alpha >= 0.8) return { text: 'reliable: annotators agree well beyond chance', warning: false };
  if (alpha >= 0.667) return { text: 'tentative: enough for cautious conclusions, not for a benchmark', warning: false };
  return { text: 'low: annotators often disagree; sharpen the guidelines or check the items', warning: true };
}

/** Landis & Koch's bands for κ. */
export function readKappa(kappa: number | null): Reading {
  if (kappa === null || Number.isNaN(kappa)) return { text: 'needs items with equal overlap', warning: false };
  const band = kappa < 0 ? 'poor (below chance)' : kappa <= 0.2 ? 'slight' : kappa <= 0.4 ? 'fair' : kappa <= 0.6 ? 'moderate' : kappa <= 0.8 ? 'substantial' : 'almost perfect';
  return { text: `${band} agreement`, warning: kappa <= 0.2 };
}

/** A bias share with its interval: whether the favoured side wins more often than chance. */
export function readBias(b: BiasReport, side: { favoured: string; other: string; who: string }): Reading & { interval: [number, number] | null } {
  if (b.decisive === 0) return { text: 'no decisive judgments yet', warning: false, interval: null };
  const interval = wilsonInterval(b.favoured, b.decisive);
  const range = `95% CI ${pct(interval[0])}–${pct(interval[1])}`;
  if (b.pValue >= 0.05) return { text: `${range}: no evidence that ${side.who} prefer the ${side.favoured} one`, warning: false, interval };
  const strength = Math.abs(b.share - 0.5) >= 0.2 ? 'much more often' : 'more often';
  return b.share > 0.5
    ? { text: `${range}: ${side.who} prefer the ${side.favoured} answer ${strength} than chance`, warning: true, interval }
    : { text: `${range}: ${side.who} prefer the ${side.other} answer ${strength} than chance`, warning: true, interval };
}

export function readCycles(cyclic: number, triads: number): Reading {
  if (triads === 0) return { text: 'no fully judged triads yet', warning: false };
  const rate = cyclic / triads;
  return rate > 0.05 ? { text: `${pct(rate)} of triads are cyclic (A > B > C > A by majority): preferences here are not a ranking`, warning: true } : { text: `${pct(rate)} of triads cyclic: majority preferences are close to a ranking`, warning: false };
}

export function readSelfConsistency(rate: number, repeats: number): Reading {
  if (repeats === 0) return { text: 'no repeated pairs yet (set a repeat rate in Settings)', warning: false };
  return rate < 0.8 ? { text: `annotators give the same answer to the same pair only ${pct(rate)} of the time`, warning: true } : { text: 'annotators answer the same pair the same way', warning: false };
}
