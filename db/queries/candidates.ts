/**
 * Adds unlabelled candidates (a prompt and its responses) to a project as items for annotation.
 * Every row is validated before anything is written; the write is one transaction. Identical prompts
 * and responses are stored once (content hash), and an item that already exists is not created twice.
 */
import { ZodError } from 'zod';
import { normalizeCandidate, planItems, type Candidate } from '@/lib/annotation/items-from-candidates';
import { contentHash } from '@/lib/data/content-hash';
import { projectSettingsSchema } from '@/lib/projects/settings';
import type { Actor } from '@/lib/auth/access';
import { AppError, formatZodIssues } from '@/lib/errors';
import { getDb } from '../client';
import { assertCanManageProject } from './projects';

export type CandidateRowError = { row: number; message: string };

/** Every invalid row, as one AppError 'invalid' whose details list them (`rows`). */
function invalidRows(rows: CandidateRowError[]): AppError {
  return new AppError('invalid', `${rows.length} invalid row${rows.length === 1 ? '' : 's'}; nothing was added. First: row ${rows[0]!.row}: ${rows[0]!.message}`, { rows });
}

export type AddCandidatesResult = { rows: number; promptsAdded: number; responsesAdded: number; itemsAdded: number; itemsExisting: number };

function describeRowError(error: unknown): string {
  if (error instanceof ZodError) return formatZodIssues(error).message;
  return error instanceof Error ? error.message : String(error);
}

/** Validates every row (1-based row numbers in errors), then writes all of them or none. */
export function addCandidates(actor: Actor, projectId: number, rows: readonly unknown[]): AddCandidatesResult {
  assertCanManageProject(actor, projectId);
  const candidates: Candidate[] = [];
  const errors: CandidateRowError[] = [];
  rows.forEach((raw, i) => {
    try {
      candidates.push(normalizeCandidate(raw));
    } catch (error) {
      errors.push({ row: i + 1, message: describeRowError(error) });
    }
  });
  if (errors.length) throw invalidRows(errors);

  const db = getDb();
  const client = db.$client;
  const settingsRow = client.prepare('select settings from projects where id = ?').get(projectId) as { settings: string };
  const settings = projectSettingsSchema.parse(JSON.parse(settingsRow.settings));
  return db.transaction(
    () => {
      const findPrompt = client.prepare('select id from prompts where project_id = ? and content_hash = ?');
      const insertPrompt = client.prepare('insert into prompts (project_id, messages, content_hash, tags) values (?, ?, ?, ?)');
      const findResponse = client.prepare('select id from responses where prompt_id = ? and system = ? and content_hash = ?');
      const insertResponse = client.prepare('insert into responses (project_id, prompt_id, system, content, content_hash) values (?, ?, ?, ?, ?)');
      const findItem = client.prepare('select id from items where project_id = ? and prompt_id = ? and kind = ? and response_ids = ?');
      const insertItem = client.prepare("insert into items (project_id, prompt_id, kind, response_ids, required_annotations, status) values (?, ?, ?, ?, ?, 'open')");
      const result: AddCandidatesResult = { rows: candidates.length, promptsAdded: 0, responsesAdded: 0, itemsAdded: 0, itemsExisting: 0 };
      for (const c of candidates) {
        const hash = contentHash(c.messages);
        let promptId = (findPrompt.get(projectId, hash) as { id: number } | undefined)?.id;
        if (promptId === undefined) {
          promptId = Number(insertPrompt.run(projectId, JSON.stringify(c.messages), hash, JSON.stringify(c.tags)).lastInsertRowid);
          result.promptsAdded++;
        }
        const responseIds: number[] = [];
        for (const r of c.responses) {
          const rHash = contentHash(r.content);
          let id = (findResponse.get(promptId, r.system, rHash) as { id: number } | undefined)?.id;
          if (id === undefined) {
            id = Number(insertResponse.run(projectId, promptId, r.system, r.content, rHash).lastInsertRowid);
            result.responsesAdded++;
          }
          if (!responseIds.includes(id)) responseIds.push(id);
        }
        for (const planned of planItems(responseIds.length, settings)) {
          const ids = JSON.stringify(planned.indexes.map((i) => responseIds[i]!));
          if (findItem.get(projectId, promptId, planned.kind, ids)) {
            result.itemsExisting++;
            continue;
          }
          insertItem.run(projectId, promptId, planned.kind, ids, settings.overlap);
          result.itemsAdded++;
        }
      }
      return result;
    },
    { behavior: 'immediate' },
  );
}
