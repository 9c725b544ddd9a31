/**
 * Synthetic preference data with a known answer, for the quality bars of reward models:
 * - linear: responses are bags of words from a vocabulary whose words carry hidden weights; the
 *   preferred response has the higher total (a hidden linear reward), optionally with label noise;
 * - cyclic: three groups of responses (rock, paper, scissors) marked by their words, where each group
 *   beats the next one round a cycle — no scalar reward can order them.
 */
import { createRng } from '@/lib/random';
import { hashedNgramFeaturizer, type Featurizer } from './features/featurizer';
import { DEFAULT_HASHED_NGRAMS } from './features/hashed-ngrams';
import type { PreferenceData } from './reward-model';

export type SyntheticPair = { prompt: string; chosen: string; rejected: string; group?: string };

const VOCAB = Array.from({ length: 240 }, (_, k) => `w${k.toString(36)}${'aeiou'[k % 5]}${'nrst'[k % 4]}`);

export function linearPreferences(n: number, seed = 1, options: { wordsPerResponse?: number; flip?: number } = {}): { pairs: SyntheticPair[]; weights: Map<string, number> } {
  const rng = createRng(seed);
  const weights = new Map(VOCAB.map((w) => [w, rng.normal()]));
  const words = options.wordsPerResponse ?? 12;
  const response = () => Array.from({ length: words }, () => rng.pick(VOCAB)).join(' ');
  const reward = (text: string) => text.split(' ').reduce((s, w) => s + (weights.get(w) ?? 0), 0);
  const pairs: SyntheticPair[] = [];
  for (let k = 0; k < n; k++) {
    const prompt = `Prompt ${k % Math.max(1, Math.floor(n / 4))}: say something.`;
    let a = response();
    let b = response();
    while (Math.abs(reward(a) - reward(b)) < 1e-9) b = response();
    if (reward(a) < reward(b)) [a, b] = [b, a];
    if (options.flip && rng.next() < options.flip) [a, b] = [b, a];
    pairs.push({ prompt, chosen: a, rejected: b });
  }
  return { pairs, weights };
}

/** Rankings of k responses each, by the same kind of hidden linear reward (best first, no ties); with the held-out pairs to test on. */
export function linearRankings(n: number, k: number, seed = 1): { rankings: { prompt: string; responses: string[] }[]; weights: Map<string, number> } {
  const { weights } = linearPreferences(1, seed);
  const rng = createRng(seed + 1);
  const reward = (text: string) => text.split(' ').reduce((s, w) => s + (weights.get(w) ?? 0), 0);
  const rankings = Array.from({ length: n }, (_, i) => ({
    prompt: `Prompt ${i}: say something.`,
    responses: Array.from({ length: k }, () => Array.from({ length: 12 }, () => rng.pick(VOCAB)).join(' ')).sort((a, b) => reward(b) - reward(a)),
  }));
  return { rankings, weights };
}

export function cyclicPreferences(n: number, seed = 1): SyntheticPair[] {
  const rng = createRng(seed);
  const groups = ['rock', 'paper', 'scissors'] as const;
  const markers = { rock: ['granite', 'boulder', 'pebble'], paper: ['sheet', 'parchment', 'page'], scissors: ['blade', 'shears', 'snip'] };
  const filler = VOCAB.slice(0, 60);
  const response = (g: (typeof groups)[number]) => [...Array.from({ length: 2 }, () => rng.pick(markers[g])), ...Array.from({ length: 6 }, () => rng.pick(filler))].join(' ');
  const pairs: SyntheticPair[] = [];
  for (let k = 0; k < n; k++) {
    const i = k % 3;
    // paper beats rock, scissors beat paper, rock beats scissors
    const winner = groups[(i + 1) % 3]!;
    const loser = groups[i]!;
    pairs.push({ prompt: `Round ${k % 50}: play.`, chosen: response(winner), rejected: response(loser), group: `${winner}>${loser}` });
  }
  return rng.shuffle(pairs);
}

/** Synthetic pairs as training data, by default with hashed n-grams (row 2k = chosen, 2k + 1 = rejected). */
export function syntheticData(pairs: readonly SyntheticPair[], featurizer: Featurizer = hashedNgramFeaturizer(DEFAULT_HASHED_NGRAMS)): PreferenceData {
  return {
    features: featurizer.featurize(pairs.flatMap((p) => [{ prompt: p.prompt, response: p.chosen }, { prompt: p.prompt, response: p.rejected }])),
    dims: featurizer.dims,
    promptBlock: featurizer.promptBlock,
    pairs: pairs.map((_, k) => ({ a: 2 * k, b: 2 * k + 1, tie: false, margin: 0 })),
    rankings: [],
    ratings: [],
  };
}
