import fs from 'node:fs';
import { ITEM_FILTERS, listAnnotatorWork, listItemStatuses, setGoldAnswer } from '@/db/queries/annotation-admin';
import { addCandidates } from '@/db/queries/candidates';
import { CLI_ACTOR } from '@/lib/auth/access';
import { AppError, isAppError } from '@/lib/errors';
import { z } from 'zod';
import { emit, idSchema, parseValue, requireValue, table, type Command } from '../context';

/** Reads a JSON Lines file of candidates; a line that is not JSON is reported with its number. */
function readJsonLines(file: string): unknown[] {
  if (!fs.existsSync(file)) throw new AppError('usage', `file not found: ${file}`);
  const rows: unknown[] = [];
  const errors: string[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      try {
        rows.push(JSON.parse(line));
      } catch {
        errors.push(`line ${i + 1}: not valid JSON`);
      }
    });
  if (errors.length) throw new AppError('usage', `${errors.length} bad line(s); nothing was added\n${errors.slice(0, 20).join('\n')}`);
  return rows;
}

const seconds = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)}s`);

export const itemCommands: Command[] = [
  {
    name: 'items add',
    usage: 'items add --project <id> <candidates.jsonl> [--json]',
    summary: 'add prompts with candidate responses ({prompt | messages, responses}) as items to annotate, all or nothing',
    options: { project: { type: 'string' } },
    run: async ({ values, positionals }, io) => {
      const projectId = parseValue(idSchema, requireValue(values, 'project'), '--project');
      const file = positionals[0];
      if (!file) throw new AppError('usage', 'give the candidates file: items add --project <id> <file.jsonl>');
      try {
        const result = await addCandidates(CLI_ACTOR, projectId, readJsonLines(file));
        emit(io, result, `${result.rows} rows: ${result.promptsAdded} new prompts, ${result.responsesAdded} new responses, ${result.itemsAdded} new items (${result.itemsExisting} already there)`);
      } catch (error) {
        const rows = isAppError(error, 'invalid') ? error.details.rows : undefined;
        if (rows) throw new AppError('usage', `${rows.length} invalid row(s); nothing was added\n${rows.slice(0, 20).map((e) => `line ${e.row}: ${e.message}`).join('\n')}`);
        throw error;
      }
    },
  },
  {
    name: 'items list',
    usage: `items list --project <id> [--filter ${ITEM_FILTERS.join('|')}] [--limit N] [--json]`,
    summary: 'per-item annotation status: judgments / overlap, live leases, skips, gold',
    options: { project: { type: 'string' }, filter: { type: 'string' }, limit: { type: 'string' } },
    run: async ({ values }, io) => {
      const projectId = parseValue(idSchema, requireValue(values, 'project'), '--project');
      const filter = parseValue(z.enum(ITEM_FILTERS).default('all'), values.filter, '--filter');
      const limit = parseValue(z.coerce.number().int().min(1).max(500).default(50), values.limit, '--limit');
      const result = await listItemStatuses(CLI_ACTOR, projectId, { filter, limit });
      const rows = result.rows.map((r) => ({ item: r.id, kind: r.kind, judgments: `${r.annotationCount}/${r.isGold ? 'all' : r.required}`, leased: r.activeLeases, skips: r.skips, status: r.status, gold: r.isGold ? JSON.stringify(r.goldAnswer) : '', prompt: r.promptPreview.slice(0, 50) }));
      emit(io, result, `${result.total} items (${filter})\n${table(rows, ['item', 'kind', 'judgments', 'leased', 'skips', 'status', 'gold', 'prompt'])}`);
    },
  },
  {
    name: 'items gold',
    usage: 'items gold --project <id> --item <id> --answer a|b|tie|both_bad|none [--json]   (ranking items: --best <responseId>)',
    summary: 'mark an item as gold with its known answer (stored order), or clear it',
    options: { project: { type: 'string' }, item: { type: 'string' }, answer: { type: 'string' }, best: { type: 'string' } },
    run: async ({ values }, io) => {
      const projectId = parseValue(idSchema, requireValue(values, 'project'), '--project');
      const itemId = parseValue(idSchema, requireValue(values, 'item'), '--item');
      let answer: unknown;
      if (values.best !== undefined) answer = { best: parseValue(idSchema, values.best, '--best') };
      else {
        const given = parseValue(z.enum(['a', 'b', 'tie', 'both_bad', 'none']), requireValue(values, 'answer'), '--answer');
        answer = given === 'none' ? null : { winner: given };
      }
      await setGoldAnswer(CLI_ACTOR, projectId, itemId, answer);
      emit(io, { itemId, gold: answer }, answer === null ? `item ${itemId} is no longer gold` : `item ${itemId} is gold: ${JSON.stringify(answer)}`);
    },
  },
  {
    name: 'annotators',
    usage: 'annotators --project <id> [--json]',
    summary: 'per-annotator judgments, time per judgment, throughput, skips and gold accuracy',
    options: { project: { type: 'string' } },
    run: async ({ values }, io) => {
      const projectId = parseValue(idSchema, requireValue(values, 'project'), '--project');
      const work = await listAnnotatorWork(CLI_ACTOR, projectId);
      const rows = work.map((w) => ({
        annotator: w.name,
        judgments: w.judgments,
        '24h': w.last24h,
        median: seconds(w.medianMs),
        'per hour': w.perHour === null ? '–' : w.perHour.toFixed(0),
        skips: w.skips,
        gold: w.gold.accuracy === null ? '–' : `${(w.gold.accuracy * 100).toFixed(0)}% (${w.gold.correct}/${w.gold.answered})`,
      }));
      emit(io, work, work.length ? table(rows, ['annotator', 'judgments', '24h', 'median', 'per hour', 'skips', 'gold']) : 'no judgments yet');
    },
  },
];
