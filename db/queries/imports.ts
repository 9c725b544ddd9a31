/**
 * Imports a file into a project: stream and parse it into a scratch store, then — unless it is a dry run
 * or has bad rows — move everything into the live tables in one short transaction (db/queries/import-stage.ts
 * says why it is done in two phases). Identical prompts and responses are stored once (content hash).
 */
import type { Actor } from '@/lib/auth/access';
import { detectFormat, IMPORT_FORMATS, parseRecord, type ImportedRow, type ImportFormat } from '@/lib/data/import-formats';
import type { ColumnMapping } from '@/lib/data/column-mapping';
import { ImportErrorLog, type ImportErrorReport } from '@/lib/data/import-error-log';
import { readRecords, type RecordOrError } from '@/lib/data/read-records';
import { uploadTempPath } from '@/lib/data/upload-files';
import { AppError, isAppError } from '@/lib/errors';
import type { ProjectSettings } from '@/lib/projects/settings';
import { isPostgres } from '../dialect';
import { openImportStage, type ImportCounts } from './import-stage';
import { assertCanManageProject, getProjectSettings } from './projects';

export type { ImportCounts };

/**
 * Parsing and staging run synchronously between the reader's awaits, which a file already read ahead
 * resolves without giving the event loop a turn: every this many milliseconds the loop lets other work
 * in (the web server's requests, and on PostgreSQL every query's reply, which needs a turn to arrive).
 */
const SLICE_MS = 5;

/**
 * PostgreSQL's text type cannot hold U+0000, which SQLite stores: on PostgreSQL a row with one in a text
 * column (a response, a system name, an annotator) is a bad row, in a dry run as in an import. (Messages are
 * stored as JSON, where it stays the escape `\u0000`.)
 */
function assertStorable(row: ImportedRow): void {
  const texts = ('responses' in row ? row.responses : [row.chosen, row.rejected]).flatMap((r) => [r.content, r.system]);
  if ('annotator' in row && row.annotator) texts.push(row.annotator);
  if (texts.some((t) => t.includes('\u0000'))) throw new AppError('bad-row', 'a text holds the character U+0000 (NUL), which PostgreSQL cannot store');
}

/** Resolves after pending I/O callbacks have run. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export type ImportReport = {
  format: ImportFormat;
  mapping: string;
  /** The file's own field names (first record, before the column mapping). */
  columns: string[];
  imported: boolean;
  counts: ImportCounts;
  /** How long the live database's write lock was held (the commit; 0 when nothing was written), in ms. */
  writeLockMs: number;
  preview: ImportedRow[];
} & ImportErrorReport;

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

/**
 * Streams a file into a project: detect (or take) the format from the first 20 records, then parse every
 * record into the scratch store. Any bad row refuses the whole file unless `validOnly`; `dryRun` never
 * writes (a preview). Either way the report counts what the import adds (or would add) to the project.
 * `signal` stops the import (the client went away): nothing is written.
 */
export async function runImport(
  actor: Actor,
  projectId: number,
  file: string,
  options: { format?: ImportFormat | 'auto'; validOnly?: boolean; dryRun?: boolean; mapping?: ColumnMapping; signal?: AbortSignal } = {},
): Promise<ImportReport> {
  await assertCanManageProject(actor, projectId);
  const settings = await getProjectSettings(projectId);
  const records = readRecords(file, { mapping: options.mapping, signal: options.signal });
  try {
    return await importRecords(records, projectId, settings, options);
  } finally {
    // However the import ends, the reader closes its file (and removes a .parquet.gz's unpacked copy) now.
    await records.return(undefined);
  }
}

async function importRecords(
  records: AsyncGenerator<RecordOrError>,
  projectId: number,
  settings: ProjectSettings,
  options: { format?: ImportFormat | 'auto'; validOnly?: boolean; dryRun?: boolean; signal?: AbortSignal },
): Promise<ImportReport> {
  const head: RecordOrError[] = [];
  try {
    // Manual next(): a for-await loop that breaks would close the stream.
    while (head.length < 20) {
      const next = await records.next();
      if (next.done) break;
      head.push(next.value);
    }
  } catch (error) {
    if (isAppError(error, 'bad-file', 'too-large') || options.signal?.aborted) throw error;
    throw new AppError('bad-file', error instanceof Error ? error.message : String(error));
  }
  const requested = options.format ?? 'auto';
  const format = requested === 'auto' ? detectFormat(head.flatMap((r) => ('record' in r ? [r.record] : []))) : requested;
  const columns = head.flatMap((r) => ('columns' in r && r.columns ? [r.columns] : []))[0] ?? [];
  // No format fits: the error carries the file's field names, so a mapping can be offered.
  if (!format)
    throw new AppError(
      'bad-file',
      // In the words of no one door: the CLI names its --map flag, the Import page offers its field mapping.
      `cannot tell the format of the file (its fields: ${columns.slice(0, 30).join(', ') || 'none'}); choose one of ${IMPORT_FORMATS.join(', ')}, or map its fields to the ones a format reads`,
      { columns },
    );

  const stage = await openImportStage(uploadTempPath('.stage.db'), projectId, settings);
  try {
    const errors = new ImportErrorLog();
    const preview: ImportedRow[] = [];
    const handle = (r: RecordOrError) => {
      if ('error' in r) return errors.add(r.line, r.error);
      try {
        // Parse the whole record before writing any of it: a bad record writes nothing.
        const rows = parseRecord(r.record, format);
        if (isPostgres) rows.forEach(assertStorable);
        for (const row of rows) {
          if (preview.length < 3) preview.push(row);
          stage.write(row);
        }
      } catch (error) {
        if (!isAppError(error, 'bad-row')) throw error;
        errors.add(r.line, error.message);
      }
    };
    head.forEach(handle);
    for (let sliceStart = performance.now(); ; ) {
      options.signal?.throwIfAborted();
      const next = await records.next();
      if (next.done) break;
      handle(next.value);
      if (performance.now() - sliceStart >= SLICE_MS) {
        await nextTurn();
        sliceStart = performance.now();
      }
    }
    options.signal?.throwIfAborted();
    const refused = errors.count > 0 && !options.validOnly;
    const write = !(refused || options.dryRun);
    const { counts, writeLockMs } = write ? await stage.commit(options.signal) : { counts: await stage.preview(options.signal), writeLockMs: 0 };
    return { format, mapping: FORMAT_MAPPING[format], columns, imported: write, counts, writeLockMs, ...errors.report(), preview };
  } finally {
    stage.close();
  }
}
