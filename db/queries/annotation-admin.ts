/** What researchers see of annotation: per-item status, per-annotator throughput and gold accuracy, gold answers. */
import { goldAnswerSchema, matchesGold, tallyGold, type GoldAnswer, type GoldTally } from '@/lib/annotation/gold';
import type { Actor } from '@/lib/auth/access';
import { AppError } from '@/lib/errors';
import type { Winner } from '@/lib/annotation/kinds';
import { getDb } from '../client';
import { assertCanManageProject } from './projects';

export const ITEM_FILTERS = ['all', 'open', 'in-progress', 'complete', 'gold'] as const;
export type ItemFilter = (typeof ITEM_FILTERS)[number];

export type ItemStatusRow = {
  id: number;
  kind: string;
  promptPreview: string;
  responses: number;
  annotationCount: number;
  required: number;
  activeLeases: number;
  skips: number;
  isGold: boolean;
  goldAnswer: GoldAnswer | null;
  status: string;
};

const FILTER_SQL: Record<ItemFilter, string> = {
  all: '',
  open: "and i.status = 'open' and i.is_gold = 0",
  'in-progress': "and i.status = 'open' and (i.annotation_count > 0 or active > 0)",
  complete: "and i.status = 'complete'",
  gold: 'and i.is_gold = 1',
};

/** Items of a project with their annotation state, for researchers. */
export function listItemStatuses(actor: Actor, projectId: number, options: { filter?: ItemFilter; limit?: number; offset?: number } = {}): { rows: ItemStatusRow[]; total: number } {
  assertCanManageProject(actor, projectId);
  const client = getDb().$client;
  const now = Date.now();
  const base = `
    select i.id, i.kind, i.response_ids, i.annotation_count, i.required_annotations, i.is_gold, i.gold_answer, i.status, p.messages,
      (select count(*) from assignments a where a.item_id = i.id and a.status = 'active' and a.expires_at > @now) as active,
      (select count(*) from assignments a where a.item_id = i.id and a.status = 'skipped') as skips
    from items i join prompts p on p.id = i.prompt_id
    where i.project_id = @projectId ${FILTER_SQL[options.filter ?? 'all']}`;
  const total = (client.prepare(`select count(*) as n from (${base})`).get({ projectId, now }) as { n: number }).n;
  const limit = Math.max(1, Math.min(options.limit ?? 50, 500));
  const rows = client.prepare(`${base} order by i.id limit @limit offset @offset`).all({ projectId, now, limit, offset: Math.max(0, options.offset ?? 0) }) as {
    id: number;
    kind: string;
    response_ids: string;
    annotation_count: number;
    required_annotations: number;
    is_gold: number;
    gold_answer: string | null;
    status: string;
    messages: string;
    active: number;
    skips: number;
  }[];
  return {
    total,
    rows: rows.map((r) => {
      const messages = JSON.parse(r.messages) as { role: string; content: string }[];
      const text = ([...messages].reverse().find((m) => m.role === 'user')?.content ?? '').replace(/\s+/g, ' ').trim();
      return {
        id: r.id,
        kind: r.kind,
        promptPreview: text.length > 100 ? `${text.slice(0, 99)}…` : text,
        responses: (JSON.parse(r.response_ids) as number[]).length,
        annotationCount: r.annotation_count,
        required: r.required_annotations,
        activeLeases: r.active,
        skips: r.skips,
        isGold: r.is_gold === 1,
        goldAnswer: r.gold_answer ? (JSON.parse(r.gold_answer) as GoldAnswer) : null,
        status: r.status,
      };
    }),
  };
}

export type AnnotatorWork = {
  userId: string;
  name: string;
  email: string;
  simulated: boolean;
  judgments: number;
  last24h: number;
  /** Median and mean time per judgment (ms), over judgments that recorded it. */
  medianMs: number | null;
  meanMs: number | null;
  /** Judgments per hour of recorded annotation time. */
  perHour: number | null;
  skips: number;
  gold: GoldTally;
};

function median(sorted: number[]): number | null {
  if (!sorted.length) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Per-annotator throughput, time per judgment and gold accuracy. */
export function listAnnotatorWork(actor: Actor, projectId: number): AnnotatorWork[] {
  assertCanManageProject(actor, projectId);
  const client = getDb().$client;
  const rows = client
    .prepare(
      `select j.user_id, u.name, u.email, u.is_simulated, j.time_spent_ms, j.created_at, j.winner, j.ranking, i.is_gold, i.gold_answer
       from judgments j join users u on u.id = j.user_id join items i on i.id = j.item_id where j.project_id = ?`,
    )
    .all(projectId) as { user_id: string; name: string; email: string; is_simulated: number; time_spent_ms: number | null; created_at: number; winner: Winner | null; ranking: string | null; is_gold: number; gold_answer: string | null }[];
  const skips = new Map(
    (client.prepare("select a.user_id, count(*) as n from assignments a join items i on i.id = a.item_id where i.project_id = ? and a.status = 'skipped' group by a.user_id").all(projectId) as { user_id: string; n: number }[]).map(
      (r) => [r.user_id, r.n],
    ),
  );
  const since = Date.now() - 24 * 3600 * 1000;
  const byUser = new Map<string, typeof rows>();
  for (const r of rows) byUser.set(r.user_id, [...(byUser.get(r.user_id) ?? []), r]);
  return [...byUser.values()]
    .map((list) => {
      const first = list[0]!;
      const times = list.map((r) => r.time_spent_ms).filter((t): t is number => t !== null).sort((a, b) => a - b);
      const totalMs = times.reduce((s, t) => s + t, 0);
      const gold = list
        .filter((r) => r.is_gold === 1 && r.gold_answer)
        .map((r) => {
          const parsed = goldAnswerSchema.safeParse(JSON.parse(r.gold_answer!));
          return parsed.success ? matchesGold(parsed.data, { winner: r.winner, ranking: r.ranking ? (JSON.parse(r.ranking) as number[][]) : null }) : null;
        });
      return {
        userId: first.user_id,
        name: first.name,
        email: first.email,
        simulated: first.is_simulated === 1,
        judgments: list.length,
        last24h: list.filter((r) => r.created_at >= since).length,
        medianMs: median(times),
        meanMs: times.length ? totalMs / times.length : null,
        perHour: totalMs > 0 ? times.length / (totalMs / 3_600_000) : null,
        skips: skips.get(first.user_id) ?? 0,
        gold: tallyGold(gold),
      };
    })
    .sort((a, b) => b.judgments - a.judgments || a.name.localeCompare(b.name));
}

/**
 * Marks an item as gold with its known answer (canonical terms), or clears it (answer null).
 * A gold item stays open: each annotator meets it once, mixed in at the project's gold rate.
 */
export function setGoldAnswer(actor: Actor, projectId: number, itemId: number, rawAnswer: unknown): void {
  assertCanManageProject(actor, projectId);
  const client = getDb().$client;
  const item = client.prepare('select id, kind, response_ids, annotation_count, required_annotations from items where id = ? and project_id = ?').get(itemId, projectId) as
    | { id: number; kind: string; response_ids: string; annotation_count: number; required_annotations: number }
    | undefined;
  if (!item) throw new AppError('not-found', `item ${itemId} not found in project ${projectId}`);
  if (rawAnswer === null) {
    const status = item.annotation_count >= item.required_annotations ? 'complete' : 'open';
    client.prepare('update items set is_gold = 0, gold_answer = null, status = ? where id = ?').run(status, itemId);
    return;
  }
  const answer: GoldAnswer = goldAnswerSchema.parse(rawAnswer);
  if (item.kind === 'pair' && !('winner' in answer)) throw new AppError('conflict', 'a pair item takes a gold winner (a, b, tie or both_bad)');
  if (item.kind === 'ranking' && !('best' in answer)) throw new AppError('conflict', 'a ranking item takes the id of its best response as gold');
  if (item.kind === 'rating') throw new AppError('conflict', 'rating items cannot be gold');
  if ('best' in answer && !(JSON.parse(item.response_ids) as number[]).includes(answer.best)) throw new AppError('conflict', `response ${answer.best} is not part of item ${itemId}`);
  client.prepare("update items set is_gold = 1, gold_answer = ?, status = 'open' where id = ?").run(JSON.stringify(answer), itemId);
}
