/**
 * Synthetic preference data: prompts with 2–4 candidate responses from named systems, and simulated
 * annotators who judge pairs from a hidden quality score plus noise. Pure and seeded: the demo project,
 * tests and benchmarks all call it, and the hidden qualities are returned so estimates can be checked.
 */
import { createRng, type Rng } from '@/lib/random';
import type { Winner } from '@/lib/annotation/kinds';
import * as bank from './text-bank';

export type GeneratorConfig = {
  seed: number;
  prompts: number;
  /** Named systems with their hidden quality (logit scale). */
  systems: { name: string; quality: number }[];
  responsesPerPrompt: [min: number, max: number];
  annotators: number;
  /** Judgments per pair (capped by the annotator count). */
  overlap: number;
  /** Share of pairs left unjudged, so there is work to annotate. */
  unjudgedShare: number;
  /** Std of each annotator's perception noise. */
  annotatorNoise: number;
  /** |perceived difference| under which the annotator calls it a tie (both good or both bad). */
  tieMargin: number;
  /** Perceived utility under which a tie is "both bad". */
  badThreshold: number;
};

export const DEFAULT_GENERATOR_CONFIG: GeneratorConfig = {
  seed: 7,
  prompts: 40,
  systems: [
    { name: 'atlas-70b', quality: 1.2 },
    { name: 'borealis-13b', quality: 0.6 },
    { name: 'cirrus-8x7b', quality: 0.3 },
    { name: 'dune-7b', quality: -0.4 },
    { name: 'ember-3b', quality: -1.0 },
  ],
  responsesPerPrompt: [2, 4],
  annotators: 4,
  overlap: 2,
  unjudgedShare: 0.3,
  annotatorNoise: 0.6,
  tieMargin: 0.25,
  badThreshold: -0.8,
};

export type GeneratedResponse = { system: string; content: string; utility: number };
export type GeneratedPrompt = { messages: { role: 'system' | 'user'; content: string }[]; tags: string[]; responses: GeneratedResponse[] };
/** A pair of responses of one prompt; `a`/`b` index into the prompt's responses. */
export type GeneratedPair = { prompt: number; a: number; b: number };
export type GeneratedJudgment = {
  pair: number;
  annotator: number;
  winner: Winner;
  /** −3..+3 towards the winner's side (0 for ties). */
  strength: number;
  /** True when B was shown on the left. */
  flipped: boolean;
  timeSpentMs: number;
};
export type GeneratedAnnotator = { name: string; noise: number };
export type GeneratedDataset = {
  config: GeneratorConfig;
  prompts: GeneratedPrompt[];
  pairs: GeneratedPair[];
  annotators: GeneratedAnnotator[];
  judgments: GeneratedJudgment[];
};

function fill(template: string, topic: string): string {
  return template.replaceAll('{topic}', topic);
}

function writeResponse(rng: Rng, topic: string, utility: number, withCode: boolean): string {
  const good = utility > 0;
  const parts = [fill(rng.pick(good ? bank.OPENERS_GOOD : bank.OPENERS_WEAK), topic)];
  const sentences = Math.max(1, Math.round(2 + utility * 1.5 + rng.next() * 2));
  for (let i = 0; i < sentences; i++) parts.push(rng.pick(utility + rng.normal() * 0.5 > 0 ? bank.BODY_GOOD : bank.BODY_WEAK));
  if (good && rng.next() < 0.5) parts.push(bank.LIST_GOOD.slice(0, rng.int(2, 4)).map((s, i) => `${i + 1}. ${s}`).join('\n'));
  if (withCode && rng.next() < 0.6) parts.push(bank.CODE_SNIPPET);
  return parts.join('\n\n');
}

function generatePrompts(rng: Rng, config: GeneratorConfig): GeneratedPrompt[] {
  const out: GeneratedPrompt[] = [];
  for (let p = 0; p < config.prompts; p++) {
    const topic = bank.TOPICS[p % bank.TOPICS.length]!;
    const round = Math.floor(p / bank.TOPICS.length);
    const ask = fill(bank.ASKS[(p + round) % bank.ASKS.length]!, topic) + (round > 0 ? ` (variant ${round + 1})` : '');
    const withCode = /search|recursion|hash|test/.test(topic);
    const k = rng.int(config.responsesPerPrompt[0], Math.min(config.responsesPerPrompt[1], config.systems.length));
    const systems = rng.shuffle([...config.systems]).slice(0, k);
    const responses = systems.map((s) => {
      const utility = s.quality + rng.normal() * 0.5;
      return { system: s.name, utility, content: writeResponse(rng, topic, utility, withCode) };
    });
    const messages: GeneratedPrompt['messages'] = [];
    if (rng.next() < 0.3) messages.push({ role: 'system', content: rng.pick(bank.SYSTEM_PROMPTS) });
    messages.push({ role: 'user', content: ask });
    out.push({ messages, tags: [withCode ? 'code' : 'explain'], responses });
  }
  return out;
}

function judge(rng: Rng, ua: number, ub: number, noise: number, config: GeneratorConfig): { winner: Winner; strength: number } {
  const pa = ua + rng.normal() * noise;
  const pb = ub + rng.normal() * noise;
  const diff = pa - pb;
  if (Math.abs(diff) < config.tieMargin) return { winner: Math.max(pa, pb) < config.badThreshold ? 'both_bad' : 'tie', strength: 0 };
  const strength = Math.min(3, 1 + Math.floor(Math.abs(diff) / 0.7));
  return { winner: diff > 0 ? 'a' : 'b', strength };
}

export function generatePreferences(overrides: Partial<GeneratorConfig> = {}): GeneratedDataset {
  const config = { ...DEFAULT_GENERATOR_CONFIG, ...overrides };
  if (config.systems.length < 2) throw new Error('the generator needs at least two systems');
  if (config.responsesPerPrompt[0] < 2) throw new Error('each prompt needs at least two responses');
  const rng = createRng(config.seed);
  const prompts = generatePrompts(rng, config);
  const annotators = Array.from({ length: config.annotators }, (_, i) => ({
    name: `${bank.ANNOTATOR_NAMES[i % bank.ANNOTATOR_NAMES.length]!}${i >= bank.ANNOTATOR_NAMES.length ? ` ${Math.floor(i / bank.ANNOTATOR_NAMES.length) + 1}` : ''}`,
    noise: config.annotatorNoise * (0.6 + rng.next() * 0.8),
  }));
  const pairs: GeneratedPair[] = [];
  const judgments: GeneratedJudgment[] = [];
  prompts.forEach((prompt, p) => {
    for (let a = 0; a < prompt.responses.length; a++) {
      for (let b = a + 1; b < prompt.responses.length; b++) {
        const pair = pairs.push({ prompt: p, a, b }) - 1;
        if (rng.next() < config.unjudgedShare || annotators.length === 0) continue;
        const overlap = Math.min(config.overlap, annotators.length);
        const who = rng.shuffle(annotators.map((_, i) => i)).slice(0, rng.int(1, overlap));
        for (const annotator of who) {
          const verdict = judge(rng, prompt.responses[a]!.utility, prompt.responses[b]!.utility, annotators[annotator]!.noise, config);
          judgments.push({ pair, annotator, ...verdict, flipped: rng.next() < 0.5, timeSpentMs: Math.round(8000 + rng.next() * 40000) });
        }
      }
    }
  });
  return { config, prompts, pairs, annotators, judgments };
}
