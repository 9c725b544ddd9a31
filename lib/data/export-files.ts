/**
 * Writes the files of one export as rows arrive (the whole export never sits in memory): buffered
 * JSON Lines per format and split, LLaMA-Factory's JSON array written element by element, then the
 * dataset card. The rows come from createRowBuilder (lib/data/export.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { datasetCard, type CardInput } from './dataset-card';
import { LLAMAFACTORY_DATASET_INFO, type Part, type RowKind, type RowSink, type Vote } from './export';
import { dawidSkene } from '@/lib/stats/dawid-skene';

export const EXPORT_FORMATS = ['trl', 'implicit', 'standard', 'kto', 'llamafactory', 'battles', 'raw', 'csv', 'all'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Dawid–Skene vote weights per annotator, from the votes themselves (4 classes in pair orientation). */
export function dawidSkeneWeights(votes: readonly Vote[]): Map<string, number> {
  const items = new Map<string, number>();
  const labels = votes.map((v) => {
    const key = `${v.promptId}:${Math.min(v.a, v.b)}:${Math.max(v.a, v.b)}`;
    if (!items.has(key)) items.set(key, items.size);
    const label = v.outcome === 'tie' ? 2 : v.outcome === 'both_bad' ? 3 : v.a < v.b ? 0 : 1;
    return { item: items.get(key)!, annotator: v.annotator, label };
  });
  return new Map(dawidSkene(labels, 4).annotators.map((a) => [a.annotator, a.weight]));
}

const FLUSH_CHARS = 1 << 20;

/**
 * One CSV cell (RFC 4180 quoting), with spreadsheet formula injection neutralised (OWASP): text that a
 * spreadsheet would run as a formula — starting with =, +, -, @, a tab or a carriage return, after any
 * leading spaces — gets a leading apostrophe, so it shows as text. Numbers Arbiter computes pass as numbers.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = typeof value === 'string' ? value : Array.isArray(value) ? value.join(';') : JSON.stringify(value);
  if (/^[\s]*[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const CSV_COLUMNS = ['id', 'prompt_id', 'prompt', 'chosen', 'rejected', 'margin', 'agreement', 'annotator_ids', 'source'] as const;

/** A canonical pair as a CSV line: the conversation as "role: content" lines, the two replies as text. */
export function csvLine(row: Record<string, unknown>): string {
  const messages = (row.prompt as { role: string; content: string }[] | undefined) ?? [];
  const reply = (m: unknown) => ((m as { content: string }[] | undefined) ?? []).map((x) => x.content).join('\n');
  const values: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    id: row.id,
    prompt_id: row.prompt_id,
    prompt: messages.map((m) => `${m.role}: ${m.content}`).join('\n'),
    chosen: reply(row.chosen),
    rejected: reply(row.rejected),
    margin: row.margin,
    agreement: row.agreement,
    annotator_ids: row.annotator_ids,
    source: row.source,
  };
  return `${CSV_COLUMNS.map((c) => csvCell(values[c])).join(',')}\r\n`;
}

/** A file written through a 1 MiB string buffer with synchronous writes; opened on first use unless eager. */
export class BufferedFile {
  private fd: number | null = null;
  private chunks: string[] = [];
  private size = 0;
  lines = 0;

  constructor(
    readonly file: string,
    eager = false,
  ) {
    if (eager) this.open();
  }

  private open() {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    this.fd = fs.openSync(this.file, 'w');
  }

  write(text: string) {
    if (this.fd === null) this.open();
    this.chunks.push(text);
    this.size += text.length;
    if (this.size >= FLUSH_CHARS) this.flush();
  }

  line(value: unknown) {
    this.lines++;
    this.write(`${JSON.stringify(value)}\n`);
  }

  flush() {
    if (this.fd === null || this.chunks.length === 0) return;
    fs.writeSync(this.fd, this.chunks.join(''));
    this.chunks = [];
    this.size = 0;
  }

  close() {
    this.flush();
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

/** One element of `JSON.stringify(array, null, 1)`, so a streamed array is byte-identical to the one-shot form. */
export const arrayElement = (value: unknown) => ` ${JSON.stringify(value, null, 1).replaceAll('\n', '\n ')}`;

const SPLIT_DIRS: Record<Exclude<RowKind, 'canonical'> | 'trl', string> = { trl: '', implicit: 'implicit/', standard: 'standard/', unpaired: 'unpaired/' };

/**
 * The files of one export under `dir`, as a RowSink plus writers for battles and raw annotations.
 * `finish` closes everything and writes the dataset card; `abort` removes what was written.
 */
export function createExportWriter(dir: string, format: ExportFormat) {
  const want = (f: ExportFormat) => format === f || format === 'all';
  const written = new Set<string>();
  const files = new Map<string, BufferedFile>();
  const file = (name: string, eager = false) => {
    let f = files.get(name);
    if (!f) {
      f = new BufferedFile(path.join(dir, name), eager);
      files.set(name, f);
    }
    return f;
  };
  const kinds: Record<RowKind, boolean> = { canonical: want('trl'), implicit: want('implicit'), standard: want('standard'), unpaired: want('kto') };
  // train.jsonl of each wanted format exists even when empty; test.jsonl only when it has rows.
  for (const kind of Object.keys(kinds) as RowKind[]) if (kinds[kind]) file(`${SPLIT_DIRS[kind === 'canonical' ? 'trl' : kind]}train.jsonl`, true);
  const llama = want('llamafactory') ? file('llamafactory/data.json', true) : null;
  const csv = want('csv');
  const csvFiles = new Map<Part, BufferedFile>();
  const csvFile = (part: Part) => {
    let f = csvFiles.get(part);
    if (!f) {
      f = file(`csv/${part}.csv`, true);
      f.write(`${CSV_COLUMNS.join(',')}\r\n`);
      csvFiles.set(part, f);
    }
    return f;
  };
  // train.csv exists (with its header) even when empty, as train.jsonl does.
  if (csv) csvFile('train');
  let llamaRows = 0;
  const sink: RowSink = {
    wants: (kind) => (kind === 'llamafactory' ? llama !== null : kinds[kind]),
    row(kind: RowKind, part: Part, row: Record<string, unknown>) {
      if (kinds[kind]) file(`${SPLIT_DIRS[kind === 'canonical' ? 'trl' : kind]}${part}.jsonl`).line(row);
      if (csv && kind === 'canonical') csvFile(part).write(csvLine(row));
    },
    llamafactory(row) {
      llama!.write(`${llamaRows++ ? ',\n' : '[\n'}${arrayElement(row)}`);
    },
  };
  return {
    sink,
    battles: want('battles') ? file('battles.jsonl', true) : null,
    raw: want('raw') ? file('raw_annotations.jsonl', true) : null,
    finish(card: Omit<CardInput, 'files'>): string[] {
      if (llama) {
        llama.write(llamaRows ? '\n]\n' : '[]\n');
        file('llamafactory/dataset_info.json').write(`${JSON.stringify(LLAMAFACTORY_DATASET_INFO('arbiter_preferences'), null, 2)}\n`);
      }
      for (const [name, f] of files) {
        f.close();
        if (fs.existsSync(f.file)) written.add(name);
      }
      written.add('README.md');
      const names = [...written].sort();
      fs.writeFileSync(path.join(dir, 'README.md'), datasetCard({ ...card, files: names }));
      return names;
    },
    abort() {
      for (const f of files.values()) {
        f.close();
        fs.rmSync(f.file, { force: true });
      }
    },
  };
}
