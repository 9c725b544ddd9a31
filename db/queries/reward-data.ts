/**
 * What reward-model training reads: the project's comparisons (text-less ones left out) as pairs,
 * ranking groups rebuilt from comparisons that share a group, attribute ratings, and the features of
 * every response involved — computed once per featurizer and cached in `response_features`.
 */
import { splitPrompts } from '@/lib/data/export';
import type { Featurizer, TextRow } from '@/lib/ml/features/featurizer';
import { packSparse, unpackSparse, type SparseVector } from '@/lib/ml/features/hashed-ngrams';
import type { PreferenceData } from '@/lib/ml/reward-model';
import { getDb } from '../client';

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

/**
 * One value per response (in order) from the `response_features` cache under `key`: cached ones read, the
 * rest computed from (prompt, response) text and cached in one transaction each 2,000.
 */
export function loadCachedPerResponse<T>(
  responseIds: readonly number[],
  key: string,
  codec: { compute(rows: readonly TextRow[]): T[]; pack(v: T): Buffer; unpack(bytes: Uint8Array): T },
): { values: T[]; computed: number } {
  const client = getDb().$client;
  const rowOf = new Map(responseIds.map((id, i) => [id, i]));
  const values: (T | undefined)[] = new Array(responseIds.length);
  const cachedStmt = client.prepare('select response_id, data from response_features where featurizer = ? and response_id in (select value from json_each(?))');
  for (let k = 0; k < responseIds.length; k += 5000) {
    for (const c of cachedStmt.all(key, JSON.stringify(responseIds.slice(k, k + 5000))) as { response_id: number; data: Buffer }[]) values[rowOf.get(c.response_id)!] = codec.unpack(c.data);
  }
  const missing = responseIds.filter((_, i) => values[i] === undefined);
  const texts = client.prepare('select r.id, r.content, p.messages from responses r join prompts p on p.id = r.prompt_id where r.id in (select value from json_each(?))');
  const insert = client.prepare('insert or replace into response_features (response_id, featurizer, data) values (?, ?, ?)');
  for (let k = 0; k < missing.length; k += 2000) {
    const rows = texts.all(JSON.stringify(missing.slice(k, k + 2000))) as { id: number; content: string; messages: string }[];
    const computed = codec.compute(rows.map((r) => ({ prompt: promptText(JSON.parse(r.messages) as { role: string; content: string }[]), response: r.content })));
    client.transaction(() => {
      rows.forEach((r, i) => {
        values[rowOf.get(r.id)!] = computed[i]!;
        insert.run(r.id, key, codec.pack(computed[i]!));
      });
    })();
  }
  return { values: values as T[], computed: missing.length };
}

/** Features of these responses (in order), through the per-response cache. */
export function loadFeatures(responseIds: readonly number[], featurizer: Featurizer): { features: SparseVector[]; computed: number } {
  const { values, computed } = loadCachedPerResponse(responseIds, featurizer.key, { compute: (rows) => featurizer.featurize(rows), pack: packSparse, unpack: unpackSparse });
  return { features: values, computed };
}

export function loadTrainingData(projectId: number, featurizer: Featurizer): ProjectTrainingData {
  const client = getDb().$client;
  const comparisons = client
    .prepare(
      `select c.id, c.prompt_id, c.judgment_id, c.winner_response_id as w, c.loser_response_id as l, c.is_tie, c.strength, c.group_id, c.label_source, p.tags
       from comparisons c join prompts p on p.id = c.prompt_id
       join responses rw on rw.id = c.winner_response_id join responses rl on rl.id = c.loser_response_id
       where c.project_id = ? and c.winner_response_id != c.loser_response_id and rw.content != '' and rl.content != '' order by c.id`,
    )
    .all(projectId) as { id: number; prompt_id: number; judgment_id: string | null; w: number; l: number; is_tie: number; strength: number | null; group_id: string | null; label_source: string; tags: string }[];
  const rated = client
    .prepare(`select i.prompt_id, j.ratings from judgments j join items i on i.id = j.item_id where j.project_id = ? and j.ratings is not null order by j.id`)
    .all(projectId) as { prompt_id: number; ratings: string }[];

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
  const pairs: LabelledPair[] = comparisons.map((c) => ({
    comparisonId: c.id,
    promptId: c.prompt_id,
    judgmentId: c.judgment_id,
    a: row(c.w),
    b: row(c.l),
    tie: c.is_tie === 1,
    margin: c.is_tie ? 0 : (MARGIN_OF_STRENGTH[Math.round(c.strength ?? 0)] ?? 0),
    tags: [...(JSON.parse(c.tags) as string[]), `source:${c.label_source}`],
    groupId: c.group_id,
  }));
  const attributes = new Set<string>();
  const ratings: ProjectTrainingData['ratings'] = [];
  for (const r of rated) {
    for (const [responseId, values] of Object.entries(JSON.parse(r.ratings) as Record<string, Record<string, number>>)) {
      Object.keys(values).forEach((a) => attributes.add(a));
      ratings.push({ row: row(Number(responseId)), promptId: r.prompt_id, values });
    }
  }

  const { features, computed } = loadFeatures(responseIds, featurizer);
  const lengths = new Array<number>(responseIds.length).fill(0);
  const lengthStmt = client.prepare('select id, length(content) as n from responses where id in (select value from json_each(?))');
  for (let k = 0; k < responseIds.length; k += 5000) for (const r of lengthStmt.all(JSON.stringify(responseIds.slice(k, k + 5000))) as { id: number; n: number }[]) lengths[rowOf.get(r.id)!] = r.n;
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
export function openItemsForScoring(projectId: number): { id: number; responseIds: number[] }[] {
  return (
    getDb()
      .$client.prepare("select id, response_ids from items where project_id = ? and status = 'open' and is_gold = 0 and repeat_of_item_id is null and kind in ('pair', 'ranking')")
      .all(projectId) as { id: number; response_ids: string }[]
  ).map((r) => ({ id: r.id, responseIds: JSON.parse(r.response_ids) as number[] }));
}

/** Writes serving priorities (higher is served sooner) in one transaction. */
export function setItemPriorities(projectId: number, priorities: { id: number; priority: number }[]): void {
  const client = getDb().$client;
  const update = client.prepare('update items set priority = ? where id = ? and project_id = ?');
  client.transaction(() => {
    for (const p of priorities) update.run(p.priority, p.id, projectId);
  })();
}

/** Prompt text and content of these responses (in order), for featurizers that read text. */
export function responseTexts(responseIds: readonly number[]): { prompt: string; response: string }[] {
  const client = getDb().$client;
  const stmt = client.prepare('select r.id, r.content, p.messages from responses r join prompts p on p.id = r.prompt_id where r.id in (select value from json_each(?))');
  const byId = new Map<number, { prompt: string; response: string }>();
  for (let k = 0; k < responseIds.length; k += 5000)
    for (const r of stmt.all(JSON.stringify(responseIds.slice(k, k + 5000))) as { id: number; content: string; messages: string }[])
      byId.set(r.id, { prompt: promptText(JSON.parse(r.messages) as { role: string; content: string }[]), response: r.content });
  return responseIds.map((id) => byId.get(id) ?? { prompt: '', response: '' });
}
