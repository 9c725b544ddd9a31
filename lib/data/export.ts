/**
 * Trainer-ready exports (docs/datasets.md#what-is-exported): votes from judgments and imported comparisons
 * are aggregated per response pair, ties handled by policy, split by prompt with a seed, and written as
 * the canonical conversational JSONL (TRL DPO / reward trainers and OpenRLHF read it unchanged) plus
 * sibling formats. Pure: the caller loads the votes and writes the files.
 */
import { createRng } from '@/lib/random';
import { fitBradleyTerryPairs } from '@/lib/stats/bradley-terry';
import type { ScoredPairs } from '@/lib/stats/connectivity';

export type Message = { role: 'system' | 'user' | 'assistant'; content: string };

/** One annotator's verdict on one pair of responses to one prompt (canonical: `a` is the winner unless tie). */
export type Vote = {
  promptId: number;
  a: number;
  b: number;
  /** 'a' = response a preferred. */
  outcome: 'a' | 'tie' | 'both_bad';
  strength: number | null;
  annotator: string;
  /** Set for pairs expanded from one k-wise ranking. */
  groupId: string | null;
  /** Pairs made from attribute ratings carry their margin: rating difference / 4. */
  margin?: number;
};

export type ExportContext = {
  prompts: Map<number, Message[]>;
  responses: Map<number, { content: string; system: string }>;
  /** Stable prompt keys (content hashes): `prompt_id` is the same for the same prompt in any project. Defaults to the row id. */
  promptKeys?: Map<number, string>;
};

export const AGGREGATIONS = ['majority', 'strength-weighted', 'dawid-skene', 'bt-consensus'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];
export const TIE_POLICIES = ['drop', 'both-orderings'] as const;
export type TiePolicy = (typeof TIE_POLICIES)[number];
export const MARGINS = ['off', 'abs', 'llama2'] as const;
export type MarginMapping = (typeof MARGINS)[number];
export const RANKING_PAIRS = ['best-vs-each-adjacent', 'all'] as const;
export type RankingPairs = (typeof RANKING_PAIRS)[number];

export type ExportOptions = {
  aggregation: Aggregation;
  ties: TiePolicy;
  margin: MarginMapping;
  rankingPairs: RankingPairs;
  /** Share of prompts in the test split (0 = no test split). */
  testShare: number;
  seed: number;
  /** Drop aggregated pairs whose agreement is below this (0 keeps all). */
  minAgreement: number;
  /** Dawid–Skene vote weights by annotator (aggregation 'dawid-skene'). */
  weights?: Map<string, number>;
};

export const DEFAULT_EXPORT_OPTIONS: ExportOptions = { aggregation: 'majority', ties: 'drop', margin: 'off', rankingPairs: 'best-vs-each-adjacent', testShare: 0, seed: 0, minAgreement: 0 };

/** One aggregated decision about a pair: chosen/rejected (or a tie), with its support. */
export type AggregatedPair = {
  promptId: number;
  chosen: number;
  rejected: number;
  tie: 'both_good' | 'both_bad' | null;
  /** Mean strength of the votes that agree with the decision (null when none carried one). */
  strength: number | null;
  /** Weighted share of votes that agree with the decision. */
  agreement: number;
  annotators: string[];
  source: 'pairwise' | 'ranking' | 'ratings';
  groupId: string | null;
  /** Mean rating-difference margin of the agreeing votes, for pairs made from ratings. */
  ratingMargin?: number;
};

/**
 * Keeps the pairs of a ranking the policy asks for. A ranking arrives as all its implied pairs
 * (winner first); 'best-vs-each-adjacent' keeps the top response against each other one plus each
 * adjacent pair of the order (2K − 3 pairs), 'all' keeps K(K−1)/2.
 */
export function selectRankingPairs(votes: readonly Vote[], policy: RankingPairs): Vote[] {
  if (policy === 'all') return [...votes];
  const groups = new Map<string, Vote[]>();
  const out: Vote[] = [];
  for (const v of votes) {
    if (v.groupId === null) out.push(v);
    else groups.set(v.groupId, [...(groups.get(v.groupId) ?? []), v]);
  }
  for (const list of groups.values()) {
    const wins = new Map<number, number>();
    for (const v of list) {
      wins.set(v.a, (wins.get(v.a) ?? 0) + (v.outcome === 'a' ? 1 : 0.5));
      wins.set(v.b, (wins.get(v.b) ?? 0) + (v.outcome === 'a' ? 0 : 0.5));
    }
    const order = [...wins.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0]).map(([id]) => id);
    const rank = new Map(order.map((id, k) => [id, k]));
    const best = order[0];
    for (const v of list) {
      const ra = rank.get(v.a)!;
      const rb = rank.get(v.b)!;
      if (v.a === best || v.b === best || Math.abs(ra - rb) === 1) out.push(v);
    }
  }
  return out;
}

const pairKey = (v: { promptId: number; a: number; b: number }) => `${v.promptId}:${Math.min(v.a, v.b)}:${Math.max(v.a, v.b)}`;

/**
 * BT consensus: per prompt, a Bradley–Terry fit over every vote among its responses (ties ½, a weak
 * L2 prior keeps it finite), so a pair is also decided by how each response fared against the others.
 */
export function promptStrengths(votes: readonly Vote[]): Map<number, number> {
  const byPrompt = new Map<number, Vote[]>();
  for (const v of votes) byPrompt.set(v.promptId, [...(byPrompt.get(v.promptId) ?? []), v]);
  const theta = new Map<number, number>();
  for (const list of byPrompt.values()) {
    const ids = [...new Set(list.flatMap((v) => [v.a, v.b]))];
    const index = new Map(ids.map((id, k) => [id, k]));
    const pairs: ScoredPairs = { i: new Uint32Array(list.length), j: new Uint32Array(list.length), n: new Float64Array(list.length).fill(1), s: new Float64Array(list.length) };
    list.forEach((v, k) => {
      pairs.i[k] = index.get(v.a)!;
      pairs.j[k] = index.get(v.b)!;
      pairs.s[k] = v.outcome === 'a' ? 1 : 0.5;
    });
    const fit = fitBradleyTerryPairs(ids.map(String), pairs, { l2: 0.1, skipCheck: true });
    ids.forEach((id, k) => theta.set(id, fit.theta[k]!));
  }
  return theta;
}

/** Votes on the same pair → one decision (majority, strength-weighted, Dawid–Skene-weighted, or BT consensus). */
export function aggregateVotes(votes: readonly Vote[], options: Pick<ExportOptions, 'aggregation' | 'weights'>): AggregatedPair[] {
  const consensus = options.aggregation === 'bt-consensus' ? promptStrengths(votes) : null;
  const groups = new Map<string, Vote[]>();
  for (const v of votes) groups.set(pairKey(v), [...(groups.get(pairKey(v)) ?? []), v]);
  const out: AggregatedPair[] = [];
  for (const list of groups.values()) {
    const lo = Math.min(list[0]!.a, list[0]!.b);
    const hi = Math.max(list[0]!.a, list[0]!.b);
    const weightOf = (v: Vote) =>
      options.aggregation === 'strength-weighted' ? (v.outcome === 'a' ? Math.max(1, v.strength ?? 1) : 1) : options.aggregation === 'dawid-skene' ? Math.max(0, options.weights?.get(v.annotator) ?? 1) : 1;
    const score = { lo: 0, hi: 0, both_good: 0, both_bad: 0 };
    for (const v of list) {
      const w = weightOf(v);
      if (v.outcome === 'tie') score.both_good += w;
      else if (v.outcome === 'both_bad') score.both_bad += w;
      else if (v.a === lo) score.lo += w;
      else score.hi += w;
    }
    const total = score.lo + score.hi + score.both_good + score.both_bad;
    const tieScore = score.both_good + score.both_bad;
    let decision: 'lo' | 'hi' | 'both_good' | 'both_bad';
    const gap = consensus ? consensus.get(lo)! - consensus.get(hi)! : 0;
    if (consensus && tieScore < score.lo + score.hi && Math.abs(gap) > 1e-9) decision = gap > 0 ? 'lo' : 'hi';
    else if (score.lo > score.hi && score.lo > tieScore) decision = 'lo';
    else if (score.hi > score.lo && score.hi > tieScore) decision = 'hi';
    else decision = score.both_bad > score.both_good ? 'both_bad' : 'both_good';
    const agreeing = list.filter((v) =>
      decision === 'lo' ? v.outcome === 'a' && v.a === lo : decision === 'hi' ? v.outcome === 'a' && v.a === hi : decision === 'both_bad' ? v.outcome === 'both_bad' : v.outcome === 'tie',
    );
    const strengths = agreeing.map((v) => v.strength).filter((s): s is number => s !== null && s > 0);
    const support = decision === 'lo' || decision === 'hi' ? score[decision] : decision === 'both_bad' ? score.both_bad : score.both_good;
    out.push({
      promptId: list[0]!.promptId,
      chosen: decision === 'hi' ? hi : lo,
      rejected: decision === 'hi' ? lo : hi,
      tie: decision === 'both_good' || decision === 'both_bad' ? decision : null,
      strength: strengths.length ? strengths.reduce((s, x) => s + x, 0) / strengths.length : null,
      agreement: total > 0 ? support / total : 0,
      annotators: [...new Set(list.map((v) => v.annotator))].sort(),
      source: list.some((v) => v.groupId !== null) ? 'ranking' : list.every((v) => v.margin !== undefined) ? 'ratings' : 'pairwise',
      groupId: list.find((v) => v.groupId !== null)?.groupId ?? null,
      ...(agreeing.some((v) => v.margin !== undefined) ? { ratingMargin: mean(agreeing.flatMap((v) => (v.margin === undefined ? [] : [v.margin]))) } : {}),
    });
  }
  return out.sort((x, y) => x.promptId - y.promptId || x.chosen - y.chosen || x.rejected - y.rejected);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/**
 * Pairs from per-response attribute ratings (the export's ratings attribute and threshold;
 * docs/datasets.md#import): within one rated item, every two responses whose ratings on `attribute`
 * differ by at least `threshold` become a vote for the higher-rated one, with margin = difference / 4
 * (the 0–4 scale).
 */
export function votesFromRatings(
  rated: readonly { promptId: number; annotator: string; ratings: Record<string, Record<string, number>> }[],
  attribute: string,
  threshold: number,
): Vote[] {
  const votes: Vote[] = [];
  for (const r of rated) {
    const entries = Object.entries(r.ratings).flatMap(([id, values]) => (values[attribute] === undefined ? [] : [[Number(id), values[attribute]] as const]));
    for (let x = 0; x < entries.length; x++) {
      for (let y = x + 1; y < entries.length; y++) {
        const [idA, ra] = entries[x]!;
        const [idB, rb] = entries[y]!;
        const diff = Math.abs(ra - rb);
        if (diff < threshold || diff === 0) continue;
        votes.push({ promptId: r.promptId, a: ra > rb ? idA : idB, b: ra > rb ? idB : idA, outcome: 'a', strength: null, annotator: r.annotator, groupId: null, margin: diff / 4 });
      }
    }
  }
  return votes;
}

export function marginOf(strength: number | null, mapping: MarginMapping): number | undefined {
  if (mapping === 'off' || strength === null || !(strength > 0)) return undefined;
  if (mapping === 'abs') return strength;
  return ({ 1: 0.33, 2: 0.67, 3: 1.0 } as Record<number, number>)[Math.round(strength)] ?? 1.0;
}

/** Prompts to train / test, grouped by prompt (a prompt's pairs never straddle the split), seeded. */
export function splitPrompts(promptIds: readonly number[], testShare: number, seed: number): Map<number, 'train' | 'test'> {
  const ids = [...new Set(promptIds)].sort((a, b) => a - b);
  const shuffled = createRng(seed).shuffle([...ids]);
  const testCount = Math.round(ids.length * testShare);
  const test = new Set(shuffled.slice(0, testCount));
  return new Map(ids.map((id) => [id, test.has(id) ? 'test' : 'train']));
}

const assistant = (content: string): Message[] => [{ role: 'assistant', content }];

/** Renders messages as plain text for base models (the `standard` sibling). */
export function renderPlain(messages: readonly Message[]): string {
  return messages.map((m) => `${m.role === 'user' ? 'User' : m.role === 'system' ? 'System' : 'Assistant'}: ${m.content}`).join('\n\n') + '\n\nAssistant:';
}

export type Part = 'train' | 'test';
export type RowKind = 'canonical' | 'implicit' | 'standard' | 'unpaired';
export type ExportCounts = {
  pairs: number;
  ties: number;
  tiesDropped: number;
  lowAgreementDropped: number;
  sameTextDropped: number;
  train: number;
  test: number;
  desirable: number;
  undesirable: number;
  /** Rows whose pair was made from attribute ratings. */
  fromRatings: number;
  /** Pairs left out because their responses have no text (text-less battles and rankings: leaderboards only). */
  textless: number;
};

/** Where built rows go: arrays (buildRows) or files, streamed (db/queries/export). */
export type RowSink = {
  /** Formats not wanted are never built (the canonical row is always built: validation reads it). */
  wants(kind: Exclude<RowKind, 'canonical'> | 'llamafactory'): boolean;
  row(kind: RowKind, part: Part, row: Record<string, unknown>): void;
  llamafactory(row: Record<string, unknown>): void;
};

export const emptyCounts = (): ExportCounts => ({ pairs: 0, ties: 0, tiesDropped: 0, lowAgreementDropped: 0, sameTextDropped: 0, train: 0, test: 0, desirable: 0, undesirable: 0, fromRatings: 0, textless: 0 });

/**
 * Turns aggregated pairs into the rows of every file, chunk after chunk (pairs of one prompt must arrive
 * in one chunk, prompts in ascending order): ids number the pairs across chunks, the split comes from
 * the caller (computed over every prompt first), and only the formats the sink wants are built.
 */
export function createRowBuilder(options: ExportOptions, split: ReadonlyMap<number, Part>, sink: RowSink) {
  const counts = emptyCounts();
  let index = 0;
  const want = { implicit: sink.wants('implicit'), standard: sink.wants('standard'), unpaired: sink.wants('unpaired'), llamafactory: sink.wants('llamafactory') };
  return {
    counts,
    add(pairs: readonly AggregatedPair[], ctx: ExportContext) {
      // A response belongs to one prompt and a prompt to one split: the KTO dedup is local to the chunk.
      const unpairedSeen = new Set<string>();
      // Within a prompt, rows follow their texts (not database ids), so an export re-imported elsewhere exports identically.
      const text = (id: number) => ctx.responses.get(id)!;
      const byText = (a: number, b: number) => cmp(text(a).content, text(b).content) || cmp(text(a).system, text(b).system);
      // A tie has no chosen side: its two responses go in text order.
      const ordered = pairs.map((p) => (p.tie && byText(p.chosen, p.rejected) > 0 ? { ...p, chosen: p.rejected, rejected: p.chosen } : p));
      const byContent = (x: AggregatedPair, y: AggregatedPair) => x.promptId - y.promptId || byText(x.chosen, y.chosen) || byText(x.rejected, y.rejected);
      for (const p of ordered.sort(byContent)) {
        const at = index++;
        const promptId = `p_${ctx.promptKeys?.get(p.promptId) ?? p.promptId}`;
        const part = split.get(p.promptId) ?? 'train';
        const prompt = ctx.prompts.get(p.promptId)!;
        const chosen = ctx.responses.get(p.chosen)!.content;
        const rejected = ctx.responses.get(p.rejected)!.content;
        if (chosen === '' || rejected === '') {
          counts.textless++;
          continue;
        }
        // KTO: desirable / undesirable completions (both-good ties are desirable, both-bad undesirable).
        const unpaired = (response: number, label: boolean) => {
          const key = `${response}:${label}`;
          if (unpairedSeen.has(key)) return;
          unpairedSeen.add(key);
          if (want.unpaired) sink.row('unpaired', part, { prompt, completion: assistant(ctx.responses.get(response)!.content), label, prompt_id: promptId });
          if (label) counts.desirable++;
          else counts.undesirable++;
        };
        if (p.tie) {
          counts.ties++;
          unpaired(p.chosen, p.tie === 'both_good');
          unpaired(p.rejected, p.tie === 'both_good');
        } else {
          unpaired(p.chosen, true);
          unpaired(p.rejected, false);
        }
        if (p.agreement < options.minAgreement) {
          counts.lowAgreementDropped++;
          continue;
        }
        if (chosen.trim() === rejected.trim()) {
          counts.sameTextDropped++;
          continue;
        }
        const orderings: [number, number][] = p.tie ? (options.ties === 'both-orderings' && p.tie === 'both_good' ? [[p.chosen, p.rejected], [p.rejected, p.chosen]] : []) : [[p.chosen, p.rejected]];
        if (p.tie && orderings.length === 0) counts.tiesDropped++;
        for (const [n, [c, r]] of orderings.entries()) {
          const margin = p.tie ? 0 : (p.ratingMargin ?? marginOf(p.strength, options.margin));
          const extra = {
            id: `pair_${String(at).padStart(6, '0')}${orderings.length > 1 ? `_${n + 1}` : ''}`,
            prompt_id: promptId,
            annotator_ids: p.annotators,
            ...(p.strength !== null && !p.tie ? { strength: p.strength } : {}),
            agreement: Number(p.agreement.toFixed(4)),
            source: p.source,
            ...(p.groupId ? { group_id: p.groupId } : {}),
            ...(p.tie ? { tie: true } : {}),
          };
          const withMargin = margin === undefined ? {} : { margin };
          const cText = ctx.responses.get(c)!.content;
          const rText = ctx.responses.get(r)!.content;
          sink.row('canonical', part, { prompt, chosen: assistant(cText), rejected: assistant(rText), ...withMargin, ...extra });
          if (want.implicit) sink.row('implicit', part, { chosen: [...prompt, ...assistant(cText)], rejected: [...prompt, ...assistant(rText)], ...withMargin });
          if (want.standard) sink.row('standard', part, { prompt: renderPlain(prompt), chosen: ` ${cText}`, rejected: ` ${rText}`, ...withMargin });
          if (want.llamafactory && part === 'train') {
            sink.llamafactory({
              conversations: prompt.filter((m) => m.role !== 'system').map((m) => ({ from: m.role === 'user' ? 'human' : 'gpt', value: m.content })),
              ...(prompt[0]?.role === 'system' ? { system: prompt[0].content } : {}),
              chosen: { from: 'gpt', value: cText },
              rejected: { from: 'gpt', value: rText },
            });
          }
          if (p.source === 'ratings') counts.fromRatings++;
          counts.pairs++;
          counts[part]++;
        }
      }
    },
  };
}

export type ExportRows = {
  canonical: Record<Part, Record<string, unknown>[]>;
  implicit: Record<Part, Record<string, unknown>[]>;
  standard: Record<Part, Record<string, unknown>[]>;
  unpaired: Record<Part, Record<string, unknown>[]>;
  llamafactory: Record<string, unknown>[];
  counts: ExportCounts;
};

/** Every file's rows from aggregated pairs, in memory (small exports, tests). */
export function buildRows(pairs: readonly AggregatedPair[], ctx: ExportContext, options: ExportOptions): ExportRows {
  const split = splitPrompts(
    pairs.map((p) => p.promptId),
    options.testShare,
    options.seed,
  );
  const rows: Omit<ExportRows, 'counts'> = { canonical: { train: [], test: [] }, implicit: { train: [], test: [] }, standard: { train: [], test: [] }, unpaired: { train: [], test: [] }, llamafactory: [] };
  const builder = createRowBuilder(options, split, { wants: () => true, row: (kind, part, row) => rows[kind][part].push(row), llamafactory: (row) => rows.llamafactory.push(row) });
  builder.add(pairs, ctx);
  return { ...rows, counts: builder.counts };
}

export const LLAMAFACTORY_DATASET_INFO = (name: string) => ({
  [name]: {
    file_name: 'data.json',
    formatting: 'sharegpt',
    ranking: true,
    columns: { messages: 'conversations', chosen: 'chosen', rejected: 'rejected', system: 'system' },
  },
});
