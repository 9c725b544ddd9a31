/** The annotator's own history: recent answers, and re-opening one of them to revise it. */
import { and, asc, desc, eq } from 'drizzle-orm';
import type { ItemShape } from '@/lib/annotation/judgment-input';
import type { Actor } from '@/lib/auth/access';
import { AppError } from '@/lib/errors';
import type { Winner } from '@/lib/annotation/kinds';
import { db } from '../client';
import { assignments, items, judgments, prompts } from '../schema';
import { ITEM_COLUMNS, LEASE_COLUMNS, loadTask, requireAnnotator, type AnnotationTask, type ChatMessage, type PreviousAnswer } from './annotation';

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

function previewOf(messages: ChatMessage[]): string {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user') ?? messages[messages.length - 1];
  const text = (lastUser?.content ?? '').replace(/\s+/g, ' ').trim();
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

/** The annotator's own recent answers, newest first (only their own: never anyone else's). */
export async function listMyHistory(actor: Actor, projectId: number, limit = 20): Promise<HistoryEntry[]> {
  await requireAnnotator(actor, projectId);
  const rows = await db()
    .select({
      id: judgments.id,
      itemId: judgments.itemId,
      kind: items.kind,
      messages: prompts.messages,
      winner: judgments.winner,
      strength: judgments.strength,
      ranking: judgments.ranking,
      ratings: judgments.ratings,
      shownOrder: judgments.shownOrder,
      responseIds: items.responseIds,
      createdAt: judgments.createdAt,
      updatedAt: judgments.updatedAt,
    })
    .from(judgments)
    .innerJoin(items, eq(items.id, judgments.itemId))
    .innerJoin(prompts, eq(prompts.id, items.promptId))
    .where(and(eq(judgments.projectId, projectId), eq(judgments.userId, actor.id!)))
    .orderBy(desc(judgments.createdAt), asc(judgments.id))
    .limit(Math.max(1, Math.min(limit, 200)));
  return rows.map((r) => ({
    judgmentId: r.id,
    itemId: r.itemId,
    kind: r.kind,
    promptPreview: previewOf(r.messages as ChatMessage[]),
    winner: toShownWinner(r.winner, r.responseIds, r.shownOrder ?? r.responseIds),
    strength: r.strength,
    ranked: r.ranking !== null,
    rated: r.ratings !== null,
    createdAt: r.createdAt.getTime(),
    updatedAt: r.updatedAt.getTime(),
  }));
}

/** Re-opens one of the annotator's own judgments, in the order they saw it, with their answer filled in. */
export async function getTaskForRevision(actor: Actor, projectId: number, judgmentId: string): Promise<AnnotationTask> {
  const project = await requireAnnotator(actor, projectId);
  const [j] = await db()
    .select()
    .from(judgments)
    .where(and(eq(judgments.id, judgmentId), eq(judgments.projectId, projectId)))
    .limit(1);
  if (!j || j.userId !== actor.id || j.assignmentId === null) throw new AppError('not-found', `judgment ${judgmentId} not found`);
  const [assignment] = await db().select(LEASE_COLUMNS).from(assignments).where(eq(assignments.id, j.assignmentId)).limit(1);
  const [item] = await db().select(ITEM_COLUMNS).from(items).where(eq(items.id, j.itemId)).limit(1);
  const previous: PreviousAnswer = {
    judgmentId: j.id,
    winner: toShownWinner(j.winner, item!.responseIds, assignment!.shownOrder),
    strength: j.strength,
    justification: j.justification,
    ranking: j.ranking,
    ratings: j.ratings,
  };
  return loadTask(assignment!, item!, project.parsedSettings, project.guidelinesVersion, previous);
}
