import { z } from 'zod';
import { runImport } from '@/db/queries/imports';
import { CLI_ACTOR } from '@/lib/auth/access';
import { IMPORT_FORMATS } from '@/lib/data/import-formats';
import { parseColumnMapping } from '@/lib/data/column-mapping';
import { AppError } from '@/lib/errors';
import { emit, idSchema, parseValue, requireValue, type Command } from '../context';

export const importCommands: Command[] = [
  {
    name: 'import',
    usage: `import --project <id> [--format auto|${IMPORT_FORMATS.join('|')}] [--map target=source,…] [--valid-only] [--dry-run] [--json] <file.jsonl|.json|.csv|.parquet|.gz>`,
    summary: 'stream a file of candidates or preference data into a project in one transaction; every bad row is reported with its line number',
    options: { project: { type: 'string' }, format: { type: 'string' }, map: { type: 'string' }, 'valid-only': { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
    run: async ({ values, positionals }, io) => {
      const projectId = parseValue(idSchema, requireValue(values, 'project'), '--project');
      const format = parseValue(z.enum(['auto', ...IMPORT_FORMATS]).default('auto'), values.format, '--format');
      const file = positionals[0];
      if (!file) throw new AppError('usage', 'give the file to import: import --project <id> <file>');
      const dryRun = values['dry-run'] === true;
      // A file that cannot be read (AppError 'bad-file') exits 2, like a bad command line.
      const mapping = typeof values.map === 'string' ? parseColumnMapping(values.map) : undefined;
      const report = await runImport(CLI_ACTOR, projectId, file, { format, mapping, validOnly: values['valid-only'] === true, dryRun }).catch((error: unknown) => {
        // A file whose fields fit no format: say how to map them here.
        if (error instanceof AppError && error.code === 'bad-file' && Array.isArray(error.details.columns)) throw new AppError('bad-file', `${error.message} with --map target=source,…`, error.details);
        throw error;
      });
      const { counts: c, errors, errorCount: bad } = report;
      const refused = !report.imported && !dryRun;
      const lines = [
        `format: ${report.format} — ${report.mapping}`,
        dryRun ? `dry run: ${c.rows} valid rows, ${bad} bad rows; nothing was written` : refused ? `${bad} bad rows; nothing was imported (fix them, or pass --valid-only to import the ${c.rows} valid rows)` : `imported ${c.rows} rows: ${c.promptsAdded} new prompts, ${c.responsesAdded} new responses, ${c.comparisonsAdded} comparisons, ${c.itemsAdded} items${bad ? `; skipped ${bad} bad rows` : ''}`,
        ...errors.map((e) => `line ${e.line}: ${e.message}`),
        ...(bad > errors.length ? [`… and ${bad - errors.length} more; by kind:`, ...report.errorKinds.map((k) => `  ${k.count} × ${k.kind} (first at line ${k.firstLine})`)] : []),
      ];
      emit(io, { ...report, preview: dryRun ? report.preview : undefined }, lines.join('\n'));
      if (refused) process.exitCode = 2;
    },
  },
];
