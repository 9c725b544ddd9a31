/**
 * What reward-model training reads: the project's comparisons (text-less ones left out) as pairs,
 * ranking groups rebuilt from comparisons that share a group, attribute ratings, and the features of
 * every response involved — computed once per featurizer and cached in `response_features`.
 */
import { and, asc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import { splitPrompts } from '@/lib/data/export';
import type { Featurizer, TextRow } from '@/lib/ml/features/featurizer';
import { packSparse, unpackSparse, type SparseVector } from '@/lib/ml/features/hashed-ngrams';
import type { PreferenceData } from '@/lib/ml/reward-model';
import { db, withWriteTransaction } from '../client';
import { comparisons, items, judgments, prompts, responseFeatures, responses } from '../schema';
import { bytewise } from '../sql-dialect';
import { loserResponse, usablePairFilter, winnerResponse } from './reward-models';

export type LabelledPair = {
  comparisonId: number;
  promptId: number;
  judgmentId: string | null;
  /** Rows into `features`; a is preferred unless tie. */
  a: number;
  b: number;
  tie: boolean;
  margin: number;
  tags: string[];
  groupId: string | null;
};

export type ProjectTrainingData = {
  featurizerKey: string;
  responseIds: number[];
  /** Characters of each response (the longer-wins baseline). */
  lengths: number[];
  features: SparseVector[];
  dims: number;
  promptBlock: [number, number];
  pairs: LabelledPair[];
  ratings: { row: number; promptId: number; values: Record<string, number> }[];
  attributes: string[];
  featuresComputed: number;
  featuresCached: number;
};

/** Llama 2's "small" margins for annotated strength 1–3 (slightly / clearly / much better). */
const MARGIN_OF_STRENGTH: Record<number, number> = { 1: 1 / 3, 2: 2 / 3, 3: 1 };

export const promptText = (messages: { role: string; content: string }[]) => messages.map((m) => `${m.role}: ${m.content}`).join('\n');

/** Ids per IN list: far under SQLite's 32,766 bound parameters. */
const IDS_PER_QUERY = 5000;
/** Responses computed, then cached in one write transaction, at a time. */
const COMPUTE_CHUNK = 2000;

/** (prompt, response) text of these responses, keyed by response id (at most IDS_PER_QUERY of them). */
async function textRows(ids: readonly number[]): Promise<Map<number, TextRow>> {
  const rows = await db()
    .select({ id: responses.id, content: responses.content, messages: prompts.messages })
    .from(responses)
    .innerJoin(prompts, eq(prompts.id, responses.promptId))
    .where(inArray(responses.id, [...ids]));
  return new Map(
    rows.map((r) => {
      const messages = r.messages as { role: string; content: string }[];
      return [r.id, { prompt: promptText(messages), response: r.content, messages }];
    }),
  );
}

/**
 * One value per response (in order) from the `response_features` cache under `key`: cached ones read, the
 * rest computed from (prompt, response) text and cached in one write transaction each 2,000.
 */
export async function loadCachedPerResponse<T>(
  responseIds: readonly number[],
  key: string,
  codec: { compute(rows: readonly TextRow[]): T[]; pack(v: T): Buffer; unpack(bytes: Uint8Array): T },
): Promise<{ values: T[]; computed: number }> {
  const rowOf = new Map(responseIds.map((id, i) => [id, i]));
  const values: (T | undefined)[] = new Array(responseIds.length);
  for (let k = 0; k < responseIds.length; k += IDS_PER_QUERY) {
    const cached = await db()
      .select({ responseId: responseFeatures.responseId, data: responseFeatures.data })
      .from(responseFeatures)
      .where(and(eq(responseFeatures.featurizer, key), inArray(responseFeatures.responseId, responseIds.slice(k, k + IDS_PER_QUERY))));
    for (const c of cached) values[rowOf.get(c.responseId)!] = codec.unpack(c.data);
  }
  const missing = responseIds.filter((_, i) => values[i] === undefined);
  for (let k = 0; k < missing.length; k += COMPUTE_CHUNK) {
    const texts = await textRows(missing.slice(k, k + COMPUTE_CHUNK));
    const ids = [...texts.keys()];
    const computed = codec.compute(ids.map((id) => texts.get(id)!));
    const rows = ids.map((id, i) => {
      values[rowOf.get(id)!] = computed[i]!;
      return { responseId: id, featurizer: key, data: codec.pack(computed[i]!) };
    });
    if (rows.length === 0) continue;
    await withWriteTransaction(async (tx) => {
      // 3 parameters a row: one statement for the whole chunk.
      await tx
        .insert(responseFeatures)
        .values(rows)
        .onConflictDoUpdate({ target: [responseFeatures.responseId, responseFeatures.featurizer], set: { data: sql`excluded.data` } });
    });
  }
  return { values: values as T[], computed: missing.length };
}

/** Features of these responses (in order), through the per-response cache. */
export async function loadFeatures(responseIds: readonly number[], featurizer: Featurizer): Promise<{ features: SparseVector[]; computed: number }> {
  const { values, computed } = await loadCachedPerResponse(responseIds, featurizer.key, { compute: (rows) => featurizer.featurize(rows), pack: packSparse, unpack: unpackSparse });
  return { features: values, computed };
}

export async function loadTrainingData(projectId: number, featurizer: Featurizer): Promise<ProjectTrainingData> {
  const labelled = await db()
    .select({
      id: comparisons.id,
      promptId: comparisons.promptId,
      judgmentId: comparisons.judgmentId,
      w: comparisons.winnerResponseId,
      l: comparisons.loserResponseId,
      isTie: comparisons.isTie,
      strength: comparisons.strength,
      groupId: comparisons.groupId,
      labelSource: comparisons.labelSource,
      tags: prompts.tags,
    })
    .from(comparisons)
    .innerJoin(prompts, eq(prompts.id, comparisons.promptId))
    .innerJoin(winnerResponse, eq(winnerResponse.id, comparisons.winnerResponseId))
    .innerJoin(loserResponse, eq(loserResponse.id, comparisons.loserResponseId))
    .where(usablePairFilter(projectId))
    .orderBy(asc(comparisons.id));
  const rated = await db()
    .select({ promptId: items.promptId, ratings: judgments.ratings })
    .from(judgments)
    .innerJoin(items, eq(items.id, judgments.itemId))
    .where(and(eq(judgments.projectId, projectId), isNotNull(judgments.ratings)))
    // Judgment ids are text: ordered byte by byte on both dialects, so training sees one order of ratings.
    .orderBy(asc(bytewise(judgments.id)));

  const rowOf = new Map<number, number>();
  const responseIds: number[] = [];
  const row = (id: number) => {
    let r = rowOf.get(id);
    if (r === undefined) {
      r = responseIds.length;
      rowOf.set(id, r);
      responseIds.push(id);
    }
    return r;
  };
  const pairs: LabelledPair[] = labelled.map((c) => ({
    comparisonId: c.id,
    promptId: c.promptId,
    judgmentId: c.judgmentId,
    a: row(c.w),
    b: row(c.l),
    tie: c.isTie,
    margin: c.isTie ? 0 : (MARGIN_OF_STRENGTH[Math.round(c.strength ?? 0)] ?? 0),
    tags: [...(c.tags as string[]), `source:${c.labelSource}`],
    groupId: c.groupId,
  }));
  const attributes = new Set<string>();
  const ratings: ProjectTrainingData['ratings'] = [];
  for (const r of rated) {
    for (const [responseId, values] of Object.entries(r.ratings ?? {})) {
      Object.keys(values).forEach((a) => attributes.add(a));
      ratings.push({ row: row(Number(responseId)), promptId: r.promptId, values });
    }
  }

  const { features, computed } = await loadFeatures(responseIds, featurizer);
  const lengths = new Array<number>(responseIds.length).fill(0);
  for (let k = 0; k < responseIds.length; k += IDS_PER_QUERY) {
    const rows = await db()
      .select({ id: responses.id, n: sql<number>`length(${responses.content})` })
      .from(responses)
      .where(inArray(responses.id, responseIds.slice(k, k + IDS_PER_QUERY)));
    for (const r of rows) lengths[rowOf.get(r.id)!] = r.n;
  }
  return {
    featurizerKey: featurizer.key,
    responseIds,
    lengths,
    features: features as SparseVector[],
    dims: featurizer.dims,
    promptBlock: featurizer.promptBlock,
    pairs,
    ratings,
    attributes: [...attributes].sort(),
    featuresComputed: computed,
    featuresCached: responseIds.length - computed,
  };
}

/** Ranking groups → tie groups of rows, best first (equal win counts inside a group are a tie). */
export function rankingsOf(pairs: readonly LabelledPair[]): { groups: number[][][]; groupedPairs: Set<number> } {
  const byGroup = new Map<string, LabelledPair[]>();
  for (const p of pairs) if (p.groupId) byGroup.set(p.groupId, [...(byGroup.get(p.groupId) ?? []), p]);
  const groups: number[][][] = [];
  const groupedPairs = new Set<number>();
  for (const list of byGroup.values()) {
    const wins = new Map<number, number>();
    for (const p of list) {
      wins.set(p.a, (wins.get(p.a) ?? 0) + (p.tie ? 0.5 : 1));
      wins.set(p.b, (wins.get(p.b) ?? 0) + (p.tie ? 0.5 : 0));
      groupedPairs.add(p.comparisonId);
    }
    const levels = [...new Set(wins.values())].sort((x, y) => y - x);
    groups.push(levels.map((w) => [...wins].filter(([, v]) => v === w).map(([r]) => r)));
  }
  return { groups, groupedPairs };
}

/** Train / test by prompt (seeded): the PreferenceData to fit, and the held-out pairs. */
export function splitTrainingData(
  d: ProjectTrainingData,
  options: { testShare: number; seed: number; rankings: 'plackett-luce' | 'pairs' },
): { train: PreferenceData; trainPairs: LabelledPair[]; testPairs: LabelledPair[]; fittedPairs: LabelledPair[] } {
  const split = splitPrompts([...d.pairs.map((p) => p.promptId), ...d.ratings.map((r) => r.promptId)], options.testShare, options.seed);
  const trainPairs = d.pairs.filter((p) => split.get(p.promptId) !== 'test');
  const testPairs = d.pairs.filter((p) => split.get(p.promptId) === 'test');
  const { groups, groupedPairs } = options.rankings === 'plackett-luce' ? rankingsOf(trainPairs) : { groups: [], groupedPairs: new Set<number>() };
  const fittedPairs = trainPairs.filter((p) => !groupedPairs.has(p.comparisonId));
  return {
    train: {
      features: d.features,
      dims: d.dims,
      promptBlock: d.promptBlock,
      pairs: fittedPairs.map((p) => ({ a: p.a, b: p.b, tie: p.tie, margin: p.margin })),
      rankings: groups,
      ratings: d.ratings.filter((r) => split.get(r.promptId) !== 'test').map((r) => ({ row: r.row, values: r.values })),
    },
    trainPairs,
    testPairs,
    /** The training pairs fitted as pairs (not as rankings), aligned with train.pairs. */
    fittedPairs,
  };
}

/** Open, non-gold items of the project with their response ids (what active learning ranks). */
export async function openItemsForScoring(projectId: number): Promise<{ id: number; responseIds: number[] }[]> {
  return db()
    .select({ id: items.id, responseIds: items.responseIds })
    .from(items)
    .where(and(eq(items.projectId, projectId), eq(items.status, 'open'), eq(items.isGold, false), isNull(items.repeatOfItemId), inArray(items.kind, ['pair', 'ranking'])));
}

/** Writes serving priorities (higher is served sooner) in one transaction. */
export async function setItemPriorities(projectId: number, priorities: { id: number; priority: number }[]): Promise<void> {
  await withWriteTransaction(async (tx) => {
    for (const p of priorities) await tx.update(items).set({ priority: p.priority }).where(and(eq(items.id, p.id), eq(items.projectId, projectId)));
  });
}

/** Prompt text and content of these responses (in order), for featurizers that read text. */
export async function responseTexts(responseIds: readonly number[]): Promise<{ prompt: string; response: string }[]> {
  const byId = new Map<number, TextRow>();
  for (let k = 0; k < responseIds.length; k += IDS_PER_QUERY) for (const [id, text] of await textRows(responseIds.slice(k, k + IDS_PER_QUERY))) byId.set(id, text);
  return responseIds.map((id) => byId.get(id) ?? { prompt: '', response: '' });
}
