import { z } from 'zod';
import { openImport } from '@/db/queries/imports';
import { detectFormat, IMPORT_FORMATS, ImportRowError, parseRecord, type ImportFormat } from '@/lib/data/import-formats';
import { readRecords, type RecordOrError } from '../read-records';
import { emit, idSchema, parseValue, requireValue, UsageError, type Command } from '../context';

const MAPPING: Record<ImportFormat, string> = {
  candidates: '{prompt | messages, responses: [string | {content, system}]} → items to annotate',
  pairs: '{prompt (string or messages), chosen, rejected, margin?, annotator?} or {chosen, rejected} as full conversations (implicit prompt) → comparisons',
  hh: 'Anthropic HH {chosen, rejected} transcripts ("\\n\\nHuman: … \\n\\nAssistant: …") → comparisons',
  battles: 'arena battles {model_a, model_b, winner: model_a|model_b|tie|tie (bothbad), judge?, conversation_a/b or prompt + response_a/b} → comparisons',
};

export const importCommands: Command[] = [
  {
    name: 'import',
    usage: `import --project <id> [--format auto|${IMPORT_FORMATS.join('|')}] [--valid-only] [--dry-run] [--json] <file.jsonl|.json|.gz>`,
    summary: 'stream a file of candidates or preference data into a project in one transaction; every bad row is reported with its line number',
    options: { project: { type: 'string' }, format: { type: 'string' }, 'valid-only': { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
    run: async ({ values, positionals }, io) => {
      const projectId = parseValue(idSchema, requireValue(values, 'project'), '--project');
      const requested = parseValue(z.enum(['auto', ...IMPORT_FORMATS]).default('auto'), values.format, '--format');
      const file = positionals[0];
      if (!file) throw new UsageError('give the file to import: import --project <id> <file>');
      const validOnly = values['valid-only'] === true;
      const dryRun = values['dry-run'] === true;

      const records = readRecords(file);
      const head: RecordOrError[] = [];
      try {
        // Manual next(): a for-await loop that breaks would close the stream.
        while (head.length < 20) {
          const next = await records.next();
          if (next.done) break;
          head.push(next.value);
        }
      } catch (error) {
        throw new UsageError(error instanceof Error ? error.message : String(error));
      }
      const format = requested === 'auto' ? detectFormat(head.flatMap((r) => ('record' in r ? [r.record] : []))) : requested;
      if (!format) throw new UsageError(`cannot tell the format of ${file}; pass --format ${IMPORT_FORMATS.join('|')}`);

      const writer = openImport({ id: null, role: 'admin', name: 'cli', email: null, via: 'cli' }, projectId);
      const errors: { line: number; message: string }[] = [];
      const preview: unknown[] = [];
      writer.begin();
      try {
        const handle = (r: RecordOrError) => {
          if ('error' in r) return void errors.push({ line: r.line, message: r.error });
          try {
            const row = parseRecord(r.record, format);
            if (preview.length < 3) preview.push(row);
            writer.write(row);
          } catch (error) {
            if (!(error instanceof ImportRowError)) throw error;
            errors.push({ line: r.line, message: error.message });
          }
        };
        head.forEach(handle);
        for await (const r of continueAfter(records)) handle(r);
      } catch (error) {
        writer.rollback();
        throw error;
      }
      const refused = errors.length > 0 && !validOnly;
      if (refused || dryRun) writer.rollback();
      else writer.commit();
      const c = writer.counts;
      const lines = [
        `format: ${format} — ${MAPPING[format]}`,
        dryRun ? `dry run: ${c.rows} valid rows, ${errors.length} bad rows; nothing was written` : refused ? `${errors.length} bad rows; nothing was imported (fix them, or pass --valid-only to import the ${c.rows} valid rows)` : `imported ${c.rows} rows: ${c.promptsAdded} new prompts, ${c.responsesAdded} new responses, ${c.comparisonsAdded} comparisons, ${c.itemsAdded} items${errors.length ? `; skipped ${errors.length} bad rows` : ''}`,
        ...errors.slice(0, 50).map((e) => `line ${e.line}: ${e.message}`),
        ...(errors.length > 50 ? [`… and ${errors.length - 50} more`] : []),
      ];
      emit(io, { format, imported: !(refused || dryRun), counts: c, errors, preview: dryRun ? preview : undefined }, lines.join('\n'));
      if (refused) process.exitCode = 2;
    },
  },
];

/** Iterates the rest of an async generator without closing it first (for-await's break would). */
async function* continueAfter<T>(gen: AsyncGenerator<T>): AsyncGenerator<T> {
  for (;;) {
    const next = await gen.next();
    if (next.done) return;
    yield next.value;
  }
}
