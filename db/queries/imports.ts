/**
 * Writes imported rows into a project inside one explicit transaction that spans the whole (streamed)
 * file: `begin`, then `write` per valid row, then `commit` — or `rollback`, which leaves the project
 * exactly as it was. Identical prompts and responses are stored once (content hash).
 */
import { planItems } from '@/lib/annotation/items-from-candidates';
import type { Actor } from '@/lib/auth/access';
import { contentHash } from '@/lib/data/content-hash';
import type { ImportedRow } from '@/lib/data/import-formats';
import { projectSettingsSchema } from '@/lib/projects/settings';
import { getDb } from '../client';
import { assertCanManageProject } from './projects';

export type ImportCounts = { rows: number; promptsAdded: number; responsesAdded: number; comparisonsAdded: number; itemsAdded: number };

export function openImport(actor: Actor, projectId: number) {
  assertCanManageProject(actor, projectId);
  const client = getDb().$client;
  const settings = projectSettingsSchema.parse(JSON.parse((client.prepare('select settings from projects where id = ?').get(projectId) as { settings: string }).settings));
  const findPrompt = client.prepare('select id from prompts where project_id = ? and content_hash = ?');
  const insertPrompt = client.prepare('insert into prompts (project_id, messages, content_hash) values (?, ?, ?)');
  const findResponse = client.prepare('select id from responses where prompt_id = ? and system = ? and content_hash = ?');
  const insertResponse = client.prepare('insert into responses (project_id, prompt_id, system, content, content_hash) values (?, ?, ?, ?, ?)');
  const findItem = client.prepare('select id from items where project_id = ? and prompt_id = ? and kind = ? and response_ids = ?');
  const insertItem = client.prepare("insert into items (project_id, prompt_id, kind, response_ids, required_annotations, status) values (?, ?, ?, ?, ?, 'open')");
  const insertComparison = client.prepare(
    "insert into comparisons (project_id, prompt_id, winner_response_id, loser_response_id, is_tie, tie_kind, strength, weight, annotator_id, label_source) values (?, ?, ?, ?, ?, ?, ?, 1, ?, 'imported')",
  );
  const counts: ImportCounts = { rows: 0, promptsAdded: 0, responsesAdded: 0, comparisonsAdded: 0, itemsAdded: 0 };
  let open = false;

  const promptId = (messages: unknown) => {
    const hash = contentHash(messages);
    const found = findPrompt.get(projectId, hash) as { id: number } | undefined;
    if (found) return found.id;
    counts.promptsAdded++;
    return Number(insertPrompt.run(projectId, JSON.stringify(messages), hash).lastInsertRowid);
  };
  const responseId = (prompt: number, r: { content: string; system: string }) => {
    const hash = contentHash(r.content);
    const found = findResponse.get(prompt, r.system, hash) as { id: number } | undefined;
    if (found) return found.id;
    counts.responsesAdded++;
    return Number(insertResponse.run(projectId, prompt, r.system, r.content, hash).lastInsertRowid);
  };

  return {
    counts,
    begin() {
      client.exec('BEGIN IMMEDIATE');
      open = true;
    },
    write(row: ImportedRow) {
      const p = promptId(row.messages);
      counts.rows++;
      if (row.kind === 'comparison') {
        const w = responseId(p, row.chosen);
        const l = responseId(p, row.rejected);
        insertComparison.run(projectId, p, w, l, row.tie ? 1 : 0, row.tie, row.tie ? 0 : row.strength, row.annotator ?? 'imported');
        counts.comparisonsAdded++;
        return;
      }
      const ids = [...new Set(row.responses.map((r) => responseId(p, r)))];
      for (const planned of planItems(ids.length, settings)) {
        const json = JSON.stringify(planned.indexes.map((i) => ids[i]!));
        if (findItem.get(projectId, p, planned.kind, json)) continue;
        insertItem.run(projectId, p, planned.kind, json, settings.overlap);
        counts.itemsAdded++;
      }
    },
    commit() {
      client.exec('COMMIT');
      open = false;
    },
    rollback() {
      if (open) client.exec('ROLLBACK');
      open = false;
    },
  };
}
