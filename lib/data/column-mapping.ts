/** Column mappings: rename a file's fields to the ones the import formats read (pure; the import page uses it too). */
import { AppError } from '@/lib/errors';

/** `{ target: source }`: every record's `source` field is read as `target`. */
export type ColumnMapping = Record<string, string>;

export function applyMapping(record: unknown, mapping: ColumnMapping | undefined): unknown {
  if (!mapping || typeof record !== 'object' || record === null || Array.isArray(record)) return record;
  const source = record as Record<string, unknown>;
  const out: Record<string, unknown> = { ...source };
  for (const from of Object.values(mapping)) delete out[from];
  for (const [to, from] of Object.entries(mapping)) if (from in source) out[to] = source[from];
  return out;
}

/** `target=source, target=source` (what the CLI's --map and the REST `map` parameter take). */
export const formatColumnMapping = (mapping: ColumnMapping) =>
  Object.entries(mapping)
    .map(([to, from]) => `${to}=${from}`)
    .join(', ');

/** Field names the built-in formats read: the targets a column mapping may name. */
export const MAPPABLE_FIELDS = [
  'prompt', 'messages', 'responses', 'chosen', 'rejected', 'margin', 'strength', 'annotator', 'annotator_id', 'chosen_model', 'rejected_model', 'tie',
  'model_a', 'model_b', 'winner', 'judge', 'question_id', 'response_a', 'response_b', 'conversation_a', 'conversation_b', 'ranking', 'ranks', 'ratings',
] as const;

/**
 * Reads a column mapping written `target=source, target=source` (or as a JSON object {target: source}):
 * each target is a field the formats read, each source a field of the file. Throws AppError 'bad-file'.
 */
export function parseColumnMapping(text: string): ColumnMapping {
  const trimmed = text.trim();
  if (!trimmed) return {};
  let entries: [string, unknown][];
  if (trimmed.startsWith('{')) {
    try {
      entries = Object.entries(JSON.parse(trimmed) as Record<string, unknown>);
    } catch {
      throw new AppError('bad-file', 'the column mapping is not valid JSON; write it as target=source, target=source');
    }
  } else {
    entries = trimmed.split(',').map((part) => {
      const eq = part.indexOf('=');
      if (eq < 0) throw new AppError('bad-file', `column mapping "${part.trim()}": write target=source, e.g. model_a=left`);
      return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
    });
  }
  const mapping: ColumnMapping = {};
  for (const [target, source] of entries) {
    if (!(MAPPABLE_FIELDS as readonly string[]).includes(target)) throw new AppError('bad-file', `column mapping: "${target}" is not a field the formats read (${MAPPABLE_FIELDS.join(', ')})`);
    if (typeof source !== 'string' || !source) throw new AppError('bad-file', `column mapping: give the file's column for "${target}"`);
    if (target in mapping) throw new AppError('bad-file', `column mapping: "${target}" is mapped twice`);
    mapping[target] = source;
  }
  return mapping;
}
