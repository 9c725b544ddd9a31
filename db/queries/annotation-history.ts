/** The annotator's own history: recent answers, and re-opening one of them to revise it. */
import type { ItemShape } from '@/lib/annotation/judgment-input';
import type { Actor } from '@/lib/auth/access';
import { AppError } from '@/lib/errors';
import type { Winner } from '@/lib/annotation/kinds';
import { getDb } from '../client';
import { loadTask, requireAnnotator, type AnnotationTask, type AssignmentRow, type ChatMessage, type ItemRow, type JudgmentRow, type PreviousAnswer } from './annotation';

export type HistoryEntry = {
  judgmentId: string;
  itemId: number;
  kind: ItemShape['kind'];
  promptPreview: string;
  /** Shown terms, as the annotator answered. */
  winner: Winner | null;
  strength: number | null;
  ranked: boolean;
  rated: boolean;
  createdAt: number;
  updatedAt: number;
};

function toShownWinner(winner: Winner | null, responseIds: number[], shown: number[]): Winner | null {
  if (winner !== 'a' && winner !== 'b') return winner;
  const canonicalId = winner === 'a' ? responseIds[0] : responseIds[1];
  return canonicalId === shown[0] ? 'a' : 'b';
}

function previewOf(messagesJson: string): string {
  const messages = JSON.parse(messagesJson) as ChatMessage[];
  const lastUser = [...messages].reverse().find((m) => m.role === 'user') ?? messages[messages.length - 1];
  const text = (lastUser?.content ?? '').replace(/\s+/g, ' ').trim();
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

/** The annotator's own recent answers, newest first (only their own: never anyone else's). */
export function listMyHistory(actor: Actor, projectId: number, limit = 20): HistoryEntry[] {
  requireAnnotator(actor, projectId);
  const rows = getDb()
    .$client.prepare(
      `select j.id, j.item_id, i.kind, p.messages, j.winner, j.strength, j.ranking, j.ratings, j.shown_order, i.response_ids, j.created_at, j.updated_at
       from judgments j join items i on i.id = j.item_id join prompts p on p.id = i.prompt_id
       where j.project_id = ? and j.user_id = ? order by j.created_at desc, j.id limit ?`,
    )
    .all(projectId, actor.id, Math.max(1, Math.min(limit, 200))) as (JudgmentRow & { kind: ItemShape['kind']; messages: string; response_ids: string; created_at: number; updated_at: number })[];
  return rows.map((r) => ({
    judgmentId: r.id,
    itemId: r.item_id,
    kind: r.kind,
    promptPreview: previewOf(r.messages),
    winner: toShownWinner(r.winner, JSON.parse(r.response_ids) as number[], JSON.parse(r.shown_order ?? r.response_ids) as number[]),
    strength: r.strength,
    ranked: r.ranking !== null,
    rated: r.ratings !== null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

/** Re-opens one of the annotator's own judgments, in the order they saw it, with their answer filled in. */
export function getTaskForRevision(actor: Actor, projectId: number, judgmentId: string): AnnotationTask {
  const project = requireAnnotator(actor, projectId);
  const client = getDb().$client;
  const j = client.prepare('select * from judgments where id = ? and project_id = ?').get(judgmentId, projectId) as JudgmentRow | undefined;
  if (!j || j.user_id !== actor.id || j.assignment_id === null) throw new AppError('not-found', `judgment ${judgmentId} not found`);
  const assignment = client.prepare('select * from assignments where id = ?').get(j.assignment_id) as AssignmentRow;
  const item = client.prepare('select * from items where id = ?').get(j.item_id) as ItemRow;
  const responseIds = JSON.parse(item.response_ids) as number[];
  const previous: PreviousAnswer = {
    judgmentId: j.id,
    winner: toShownWinner(j.winner, responseIds, JSON.parse(assignment.shown_order) as number[]),
    strength: j.strength,
    justification: j.justification,
    ranking: j.ranking ? (JSON.parse(j.ranking) as number[][]) : null,
    ratings: j.ratings ? (JSON.parse(j.ratings) as Record<string, Record<string, number>>) : null,
  };
  return loadTask(assignment, item, project.parsedSettings, project.guidelines_version, previous);
}
