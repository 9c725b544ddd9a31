/**
 * Writes imported rows into a project inside one explicit transaction that spans the whole (streamed)
 * file: `begin`, then `write` per valid row, then `commit` — or `rollback`, which leaves the project
 * exactly as it was. Identical prompts and responses are stored once (content hash).
 */
import crypto from 'node:crypto';
import { comparisonsFromRanking } from '@/lib/annotation/derive-comparisons';
import { planItems } from '@/lib/annotation/items-from-candidates';
import type { Actor } from '@/lib/auth/access';
import { contentHash } from '@/lib/data/content-hash';
import { detectFormat, IMPORT_FORMATS, ImportRowError, parseRecord, type ImportedRow, type ImportFormat } from '@/lib/data/import-formats';
import type { ColumnMapping } from '@/lib/data/column-mapping';
import { ImportFileError, readRecords, type RecordOrError } from '@/lib/data/read-records';
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
    "insert into comparisons (project_id, prompt_id, winner_response_id, loser_response_id, is_tie, tie_kind, strength, weight, annotator_id, label_source, group_id) values (?, ?, ?, ?, ?, ?, ?, 1, ?, 'imported', ?)",
  );
  // Imported ratings become a complete rating item with one judgment (no annotator account: label_source 'imported').
  const insertRatedItem = client.prepare("insert into items (project_id, prompt_id, kind, response_ids, required_annotations, annotation_count, status) values (?, ?, 'rating', ?, 1, 1, 'complete')");
  const insertRatingJudgment = client.prepare(
    "insert into judgments (id, project_id, item_id, ratings, shown_order, label_source) values (?, ?, ?, ?, ?, 'imported')",
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
      if (row.kind === 'ratings') {
        const ids = row.responses.map((r) => responseId(p, r));
        const item = Number(insertRatedItem.run(projectId, p, JSON.stringify(ids)).lastInsertRowid);
        insertRatingJudgment.run(crypto.randomUUID(), projectId, item, JSON.stringify(Object.fromEntries(ids.map((id, k) => [String(id), row.ratings[k]!]))), JSON.stringify(ids));
        counts.itemsAdded++;
        return;
      }
      if (row.kind === 'ranking') {
        const ids = row.responses.map((r) => responseId(p, r));
        const groupId = `import-${crypto.randomUUID()}`;
        for (const c of comparisonsFromRanking(row.groups.map((g) => g.map((i) => ids[i]!)))) {
          insertComparison.run(projectId, p, c.winnerResponseId, c.loserResponseId, c.isTie ? 1 : 0, c.tieKind, null, row.annotator ?? 'imported', groupId);
          counts.comparisonsAdded++;
        }
        return;
      }
      if (row.kind === 'comparison') {
        const w = responseId(p, row.chosen);
        const l = responseId(p, row.rejected);
        insertComparison.run(projectId, p, w, l, row.tie ? 1 : 0, row.tie, row.tie ? 0 : row.strength, row.annotator ?? 'imported', null);
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
      // SQLite has already rolled back after some errors (SQLITE_FULL, SQLITE_IOERR): a second ROLLBACK
      // would throw "no transaction is active" and hide the real error.
      if (open && client.inTransaction) client.exec('ROLLBACK');
      open = false;
    },
  };
}

export type ImportReport = {
  format: ImportFormat;
  mapping: string;
  /** The file's own field names (first record, before the column mapping). */
  columns: string[];
  imported: boolean;
  counts: ImportCounts;
  errors: { line: number; message: string }[];
  preview: ImportedRow[];
};

export const FORMAT_MAPPING: Record<ImportFormat, string> = {
  candidates: '{prompt | messages, responses: [string | {content, system}]} → items to annotate',
  pairs: '{prompt (string or messages), chosen, rejected, margin?, annotator?} or {chosen, rejected} as full conversations (implicit prompt) → comparisons',
  hh: 'Anthropic HH {chosen, rejected} transcripts ("\\n\\nHuman: … \\n\\nAssistant: …") → comparisons',
  battles: 'arena battles {model_a, model_b, winner (model_a | model_b | tie | tie (bothbad); a/b, left/right) | acceptedIndex, judge?, conversation_a/b or prompt + response_a/b, or question_id alone (text-less: leaderboards only)} → comparisons',
  rankings: '{prompt | messages, responses, ranking: [[best…], [tied…], …] (indexes) | ranks: [r₀, r₁, …]}, or WMT columns systemNId / systemNrank (text-less) → every implied pair, sharing a group',
  oasst: 'OpenAssistant message trees: at each prompter turn, assistant replies ranked by rank (0 best) → every implied pair, sharing a group',
  ratings: '{prompt | messages, responses, ratings: [{attribute: 0..4}, …] per response} → a rated item with one imported judgment',
  pandalm: 'PandaLM {instruction, input, response1, response2, cmp_key: "modelA_modelB", annotator1…3: 0 tie | 1 | 2} → one comparison per annotator',
  prometheus: 'Prometheus grading prompts {chosen_instruction, rejected_instruction, source} (BIG-bench HHH): query and responses cut out → comparisons',
  squality: 'SQuALITY human eval {passage-id, questions: {i: {system: {response, reviews: [{worker_id, overall-rank}]}}}} → one ranking per question and reviewer',
};

export { ImportFileError };

/** No format fits the file: carries the file's field names, so a mapping can be offered. */
export class UnknownFormatError extends ImportFileError {
  constructor(
    message: string,
    readonly columns: string[],
  ) {
    super(message);
  }
}

/**
 * Streams a file into a project: detect (or take) the format from the first 20 records, then parse and
 * write every record inside one transaction. Any bad row rolls everything back unless `validOnly`;
 * `dryRun` always rolls back (a preview). Returns the report either way.
 */
export async function runImport(
  actor: Actor,
  projectId: number,
  file: string,
  options: { format?: ImportFormat | 'auto'; validOnly?: boolean; dryRun?: boolean; mapping?: ColumnMapping } = {},
): Promise<ImportReport> {
  const records = readRecords(file, { mapping: options.mapping });
  const head: RecordOrError[] = [];
  try {
    // Manual next(): a for-await loop that breaks would close the stream.
    while (head.length < 20) {
      const next = await records.next();
      if (next.done) break;
      head.push(next.value);
    }
  } catch (error) {
    throw new ImportFileError(error instanceof Error ? error.message : String(error));
  }
  const requested = options.format ?? 'auto';
  const format = requested === 'auto' ? detectFormat(head.flatMap((r) => ('record' in r ? [r.record] : []))) : requested;
  const columns = head.flatMap((r) => ('columns' in r && r.columns ? [r.columns] : []))[0] ?? [];
  if (!format)
    throw new UnknownFormatError(
      `cannot tell the format of the file (its fields: ${columns.slice(0, 30).join(', ') || 'none'}); choose one of ${IMPORT_FORMATS.join(', ')}, or map its fields to the ones a format reads (--map target=source)`,
      columns,
    );

  const writer = openImport(actor, projectId);
  const errors: ImportReport['errors'] = [];
  const preview: ImportedRow[] = [];
  const handle = (r: RecordOrError) => {
    if ('error' in r) return void errors.push({ line: r.line, message: r.error });
    try {
      // Parse the whole record before writing any of it: a bad record writes nothing.
      for (const row of parseRecord(r.record, format)) {
        if (preview.length < 3) preview.push(row);
        writer.write(row);
      }
    } catch (error) {
      if (!(error instanceof ImportRowError)) throw error;
      errors.push({ line: r.line, message: error.message });
    }
  };
  writer.begin();
  try {
    head.forEach(handle);
    for (;;) {
      const next = await records.next();
      if (next.done) break;
      handle(next.value);
    }
  } catch (error) {
    writer.rollback();
    throw error;
  }
  const refused = errors.length > 0 && !options.validOnly;
  if (refused || options.dryRun) writer.rollback();
  else writer.commit();
  return { format, mapping: FORMAT_MAPPING[format], columns, imported: !(refused || options.dryRun), counts: writer.counts, errors, preview };
}
