/** What exports read: votes (from comparisons), the prompts and responses they mention, raw judgments, battles. */
import { votesFromRatings, type ExportContext, type Message, type Vote } from '@/lib/data/export';
import { NotFoundError } from '@/lib/auth/access';
import { getDb } from '../client';

export type ExportData = ExportContext & { votes: Vote[]; projectName: string };

export function loadExportData(projectId: number, options: { ratingsAttribute?: string; ratingsThreshold?: number } = {}): ExportData {
  const client = getDb().$client;
  const project = client.prepare('select name from projects where id = ?').get(projectId) as { name: string } | undefined;
  if (!project) throw new NotFoundError(`project ${projectId} not found`);
  const rows = client
    .prepare(
      `select prompt_id, winner_response_id as w, loser_response_id as l, is_tie, tie_kind, strength, coalesce(annotator_id, label_source) as annotator, group_id
       from comparisons where project_id = ? order by id`,
    )
    .all(projectId) as { prompt_id: number; w: number; l: number; is_tie: number; tie_kind: string | null; strength: number | null; annotator: string; group_id: string | null }[];
  const votes: Vote[] = rows
    .filter((r) => r.w !== r.l)
    .map((r) => ({ promptId: r.prompt_id, a: r.w, b: r.l, outcome: r.is_tie ? (r.tie_kind === 'both_bad' ? 'both_bad' : 'tie') : 'a', strength: r.strength, annotator: r.annotator, groupId: r.group_id }));
  if (options.ratingsAttribute) {
    const rated = (
      client
        .prepare('select i.prompt_id, coalesce(j.user_id, j.label_source) as annotator, j.ratings from judgments j join items i on i.id = j.item_id where j.project_id = ? and j.ratings is not null')
        .all(projectId) as { prompt_id: number; annotator: string; ratings: string }[]
    ).map((r) => ({ promptId: r.prompt_id, annotator: r.annotator, ratings: JSON.parse(r.ratings) as Record<string, Record<string, number>> }));
    votes.push(...votesFromRatings(rated, options.ratingsAttribute, options.ratingsThreshold ?? 1));
  }
  const prompts = new Map<number, Message[]>();
  const responses = new Map<number, { content: string; system: string }>();
  const promptIds = [...new Set(votes.map((v) => v.promptId))];
  const responseIds = [...new Set(votes.flatMap((v) => [v.a, v.b]))];
  for (let k = 0; k < promptIds.length; k += 500) {
    const chunk = promptIds.slice(k, k + 500);
    for (const p of client.prepare(`select id, messages from prompts where id in (${chunk.map(() => '?').join(',')})`).all(...chunk) as { id: number; messages: string }[]) prompts.set(p.id, JSON.parse(p.messages) as Message[]);
  }
  for (let k = 0; k < responseIds.length; k += 500) {
    const chunk = responseIds.slice(k, k + 500);
    for (const r of client.prepare(`select id, content, system from responses where id in (${chunk.map(() => '?').join(',')})`).all(...chunk) as { id: number; content: string; system: string }[]) responses.set(r.id, { content: r.content, system: r.system });
  }
  return { votes, prompts, responses, projectName: project.name };
}

/** One row per (judgment, response): everything an auditor needs to re-aggregate. */
export function loadRawAnnotations(projectId: number): Record<string, unknown>[] {
  const client = getDb().$client;
  const rows = client
    .prepare(
      `select j.id, j.item_id, i.kind, i.response_ids, i.prompt_id, j.user_id, j.winner, j.strength, j.justification, j.ranking, j.ratings, j.shown_order,
              j.guidelines_version, j.time_spent_ms, j.label_source, j.created_at, j.updated_at, i.is_gold, i.repeat_of_item_id
       from judgments j join items i on i.id = j.item_id where j.project_id = ? order by j.created_at, j.id`,
    )
    .all(projectId) as Record<string, unknown>[];
  const out: Record<string, unknown>[] = [];
  for (const r of rows) {
    const ids = JSON.parse(r.response_ids as string) as number[];
    const shown = r.shown_order ? (JSON.parse(r.shown_order as string) as number[]) : ids;
    const ratings = r.ratings ? (JSON.parse(r.ratings as string) as Record<string, Record<string, number>>) : {};
    const ranking = r.ranking ? (JSON.parse(r.ranking as string) as number[][]) : null;
    for (const responseId of ids) {
      out.push({
        judgment_id: r.id,
        item_id: r.item_id,
        item_kind: r.kind,
        prompt_id: `p_${String(r.prompt_id)}`,
        annotator_id: r.user_id,
        label_source: r.label_source,
        response_id: responseId,
        canonical_position: ids.indexOf(responseId),
        shown_position: shown.indexOf(responseId),
        ...(r.winner ? { winner: r.winner, is_winner: r.winner === 'a' ? ids[0] === responseId : r.winner === 'b' ? ids[1] === responseId : null } : {}),
        ...(r.strength !== null ? { strength: r.strength } : {}),
        ...(ranking ? { rank: ranking.findIndex((g) => g.includes(responseId)) + 1 } : {}),
        ...(ratings[String(responseId)] ? { ratings: ratings[String(responseId)] } : {}),
        ...(r.justification ? { justification: r.justification } : {}),
        guidelines_version: r.guidelines_version,
        time_spent_ms: r.time_spent_ms,
        gold: r.is_gold === 1,
        repeat_of_item_id: r.repeat_of_item_id,
        created_at: new Date(r.created_at as number).toISOString(),
        updated_at: new Date(r.updated_at as number).toISOString(),
      });
    }
  }
  return out;
}

/** Battles in FastChat's clean-battle schema (winner first: sides are not stored for comparisons). */
export function loadBattles(projectId: number, data: ExportData): Record<string, unknown>[] {
  const client = getDb().$client;
  // The same rows, in the same order, as loadExportData's votes.
  const rows = client.prepare('select created_at from comparisons where project_id = ? and winner_response_id != loser_response_id order by id').all(projectId) as { created_at: number }[];
  // Pairs made from ratings (appended after the comparisons) are not battles.
  return data.votes.filter((v) => v.margin === undefined).map((v, k) => {
    const a = data.responses.get(v.a)!;
    const b = data.responses.get(v.b)!;
    const prompt = data.prompts.get(v.promptId)!;
    return {
      question_id: `p_${v.promptId}`,
      model_a: a.system,
      model_b: b.system,
      winner: v.outcome === 'a' ? 'model_a' : v.outcome === 'both_bad' ? 'tie (bothbad)' : 'tie',
      judge: v.annotator,
      turn: prompt.filter((m) => m.role === 'user').length,
      anony: true,
      tstamp: Math.floor((rows[k]?.created_at ?? Date.now()) / 1000),
      conversation_a: [...prompt, { role: 'assistant', content: a.content }],
      conversation_b: [...prompt, { role: 'assistant', content: b.content }],
    };
  });
}
