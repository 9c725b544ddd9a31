/**
 * Streams records out of an import file: JSON Lines (`.jsonl`, `.ndjson`) line by line, CSV with a
 * header row (papaparse, streamed; quoted multi-line fields allowed), Parquet (hyparquet, one row group
 * at a time), a JSON array (`.json`, element by element), and `.gz` of any of them (gunzipped as a
 * stream; a .parquet.gz through a temporary file in <data dir>/uploads). Yields the 1-based line / row /
 * element number with each record, or the parse error of that line. Nothing is ever held whole:
 * - text is decoded as strict UTF-8, and one record may not exceed ARBITER_MAX_RECORD_MB (measured
 *   while streaming, before any parser buffers it): a file that breaks either, or a truncated .gz, stops
 *   with an AppError 'bad-file';
 * - a file may not hold more than ARBITER_MAX_IMPORT_MB once decompressed (counted while streaming; for
 *   Parquet also declared in its metadata and counted page by page): AppError 'too-large' (HTTP 413);
 * - `signal` cancels the read (the client went away): AppError 'cancelled', and any gunzip or Parquet
 *   work in progress stops with it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import Papa from 'papaparse';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, snappyUncompress } from 'hyparquet';
import { applyMapping, type ColumnMapping } from '@/lib/data/column-mapping';
import { CsvRecordMeter, CsvRecordTooLongError } from '@/lib/data/csv-record-meter';
import { normalizeTableRecord } from '@/lib/data/import-formats';
import { JsonArraySplitter, JsonSplitError } from '@/lib/data/json-array-splitter';
import { uploadTempPath } from '@/lib/data/upload-files';
import { getEnv } from '@/lib/env';
import { AppError, isAppError } from '@/lib/errors';

/** `columns`: the field names of the file's first record, before any mapping (for the mapping editor). */
export type RecordOrError = { line: number; record: unknown; columns?: string[] } | { line: number; error: string };

/** The read was stopped by its AbortSignal (the HTTP client disconnected): nothing was, or will be, imported. */
const cancelled = () => new AppError('cancelled', 'the import was cancelled before it finished (the client went away); nothing was imported');

const MB = 1e6;

/** Counts the bytes an import reads after decompression against ARBITER_MAX_IMPORT_MB. */
class DecompressedBudget {
  private read = 0;
  constructor(private readonly limitMb: number) {}

  add(bytes: number) {
    this.read += bytes;
    if (this.read > this.limitMb * MB)
      throw new AppError('too-large', `the import stopped after ${(this.read / MB).toFixed(1)} MB of decompressed data: a file may hold at most ${this.limitMb} MB once decompressed (ARBITER_MAX_IMPORT_MB raises the limit); nothing was imported`);
  }
}

/** Errors that mean what they say, passed on unchanged (never reworded as a corrupt .gz or an unreadable file). */
const passesThrough = (error: unknown) => isAppError(error, 'too-large', 'cancelled');

const gzipError = (error: unknown, where: string) =>
  new AppError('bad-file', `the .gz file is truncated or corrupt (${error instanceof Error ? error.message : String(error)}) ${where}; nothing was imported`);

/** The file's bytes, gunzipped when `gz`, counted against the budget, stopping when `signal` fires. */
async function* readBytes(file: string, gz: boolean, budget: DecompressedBudget, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
  const raw = fs.createReadStream(file);
  let stream: Readable = raw;
  if (gz) {
    const gunzip = zlib.createGunzip();
    // pipeline, not pipe: an error or an early stop on either side destroys both (no open file, no pending inflate).
    pipeline(raw, gunzip).catch(() => {});
    stream = gunzip;
  }
  try {
    // Leaving this loop early (an error, the consumer stopping) destroys the stream.
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (signal?.aborted) throw cancelled();
      budget.add(chunk.length);
      yield chunk;
    }
  } finally {
    // Closing a file is asynchronous: wait for it, so that whoever gets our error finds the file closed.
    raw.destroy();
    if (!raw.closed) await new Promise<void>((resolve) => raw.once('close', () => resolve()));
  }
}

/** Decodes a byte stream as strict UTF-8 (invalid bytes stop the import instead of becoming U+FFFD). */
async function* decodeUtf8(bytes: AsyncGenerator<Buffer>, gz: boolean, where: (newlinesIntoChunk?: number) => string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let offset = 0;
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await bytes.next();
      } catch (error) {
        if (gz && !passesThrough(error)) throw gzipError(error, where());
        throw error;
      }
      if (next.done) break;
      let text: string;
      try {
        text = decoder.decode(next.value, { stream: true });
      } catch {
        const bad = firstInvalidUtf8(next.value);
        let newlines = 0;
        for (let k = next.value.indexOf(10); k >= 0 && k < bad; k = next.value.indexOf(10, k + 1)) newlines++;
        throw new AppError('bad-file', `the file is not valid UTF-8 (${where(newlines)}, byte ${offset + bad}${gz ? ' after gunzip' : ''}); save it as UTF-8 and try again`);
      }
      yield text;
      offset += next.value.length;
    }
    try {
      const rest = decoder.decode();
      if (rest) yield rest;
    } catch {
      throw new AppError('bad-file', `the file is not valid UTF-8 (it ends inside a multi-byte character); save it as UTF-8 and try again`);
    }
  } finally {
    // Stopped early (an error, or the consumer is done): close the file and the gunzip now, not at GC.
    await bytes.return(undefined);
  }
}

/** Offset of the first byte that is not well-formed UTF-8 (a sequence cut at the end counts as valid: the next chunk completes it). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let k = 0;
  while (k < bytes.length) {
    const b = bytes[k]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return k;
    for (let j = 1; j <= need; j++) {
      if (k + j >= bytes.length) return bytes.length;
      if ((bytes[k + j]! & 0xc0) !== 0x80) return k;
    }
    k += need + 1;
  }
  return bytes.length;
}

/** One record above ARBITER_MAX_RECORD_MB: `where` is "line N" or "row N", `hint` what usually causes it. */
const tooLong = (where: string, chars: number, limitMb: number, hint: string) =>
  new AppError('bad-file', `${where} is longer than the ${limitMb} MB limit on one record (${(chars / 1e6).toFixed(1)}+ MB so far)${hint} (ARBITER_MAX_RECORD_MB raises the limit)`);

export type ReadRecordsOptions = {
  mapping?: ColumnMapping;
  /** Stops the read with AppError 'cancelled' when it fires (checked between chunks, records and Parquet pages). */
  signal?: AbortSignal;
};

export async function* readRecords(file: string, options: ReadRecordsOptions = {}): AsyncGenerator<RecordOrError> {
  const { signal } = options;
  if (signal?.aborted) throw cancelled();
  // Leaving this loop (cancelled, or the consumer stops) closes the container's reader and its files.
  for await (const r of readContainer(file, options)) {
    if (signal?.aborted) throw cancelled();
    yield r;
  }
}

async function* readContainer(file: string, { mapping, signal }: ReadRecordsOptions): AsyncGenerator<RecordOrError> {
  const gz = file.endsWith('.gz');
  const name = gz ? file.slice(0, -3) : file;
  const env = getEnv();
  const limitMb = env.ARBITER_MAX_RECORD_MB;
  const maxChars = limitMb * 1e6;
  const budget = new DecompressedBudget(env.ARBITER_MAX_IMPORT_MB);
  const bytes = () => readBytes(file, gz, budget, signal);
  const map = (record: unknown) => applyMapping(record, mapping);
  let described = false;
  const columnsOnce = (record: unknown): { columns?: string[] } => {
    if (described || typeof record !== 'object' || record === null || Array.isArray(record)) return {};
    described = true;
    return { columns: Object.keys(record).filter((k) => k !== '__parsed_extra') };
  };
  if (/\.(jsonl|ndjson)$/i.test(name)) {
    let line = 0;
    let partial = '';
    const handle = function* (text: string): Generator<RecordOrError> {
      const piece = text.endsWith('\r') ? text.slice(0, -1) : text;
      line++;
      if (!piece.trim()) return;
      let record: unknown;
      try {
        record = JSON.parse(piece);
      } catch {
        yield { line, error: 'not valid JSON' };
        return;
      }
      yield { line, record: map(record), ...columnsOnce(record) };
    };
    const jsonLinesHint = ': is the file JSON Lines, one record per line?';
    for await (const text of decodeUtf8(bytes(), gz, (n = 0) => `line ${line + 1 + n}`)) {
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) {
          partial += text.slice(start);
          if (partial.length > maxChars) throw tooLong(`line ${line + 1}`, partial.length, limitMb, jsonLinesHint);
          break;
        }
        const piece = partial + text.slice(start, nl);
        partial = '';
        if (piece.length > maxChars) throw tooLong(`line ${line + 1}`, piece.length, limitMb, jsonLinesHint);
        yield* handle(piece);
        start = nl + 1;
      }
    }
    if (partial) yield* handle(partial);
    return;
  }
  if (/\.csv$/i.test(name)) {
    let row = 1; // the header is row 1
    const texts = decodeUtf8(bytes(), gz, () => `after row ${row}`);
    try {
      const first = await texts.next();
      if (first.done) return;
      // The delimiter is guessed once, as papaparse would from the same first chunk, and given to both the
      // record meter and the parser, so that they split cells the same way.
      const delimiter = Papa.parse(first.value, { preview: 10, skipEmptyLines: true }).meta.delimiter;
      const meter = new CsvRecordMeter(delimiter, maxChars);
      // papaparse is given whole records only: the text after the last record boundary is held here (in
      // pieces, at most ARBITER_MAX_RECORD_MB, measured as it comes) until its record ends. A record that
      // passes the limit (a quote left open, say) stops there, before papaparse buffers and re-scans it.
      const measured = async function* (): AsyncGenerator<string> {
        let held: string[] = [];
        for (let next: IteratorResult<string> = first; !next.done; next = await texts.next()) {
          let cut: number;
          try {
            cut = meter.push(next.value);
          } catch (error) {
            if (error instanceof CsvRecordTooLongError) throw tooLong(`row ${error.row}`, error.chars, limitMb, ': is a quote left open?');
            throw error;
          }
          if (cut < 0) {
            held.push(next.value);
            continue;
          }
          held.push(next.value.slice(0, cut));
          yield held.join('');
          held = [next.value.slice(cut)];
        }
        const rest = held.join('');
        if (rest) yield rest;
      };
      const text = Readable.from(measured());
      const rows = Papa.parse(Papa.NODE_STREAM_INPUT, { header: true, skipEmptyLines: true, delimiter });
      // pipe() does not pass errors on: a decoding error must end the parse, not leave it waiting.
      text.on('error', (error) => rows.destroy(error));
      text.pipe(rows);
      try {
        for await (const record of rows as AsyncIterable<Record<string, unknown>>) {
          row++;
          if (row === 2) {
            const fields = Object.keys(record).filter((k) => k !== '__parsed_extra');
            if (fields.length === 1 && /[^\w\s"-]/.test(fields[0]!))
              throw new AppError('bad-file', `the CSV header has a single column ${JSON.stringify(fields[0]!.slice(0, 80))}: the delimiter could not be recognised (comma, semicolon, tab and | are); check how the file was saved`);
          }
          if ('__parsed_extra' in record) {
            yield { line: row, error: `the row has more fields than the header (${Object.keys(record).length - 1 + (record.__parsed_extra as unknown[]).length} > ${Object.keys(record).length - 1}): check the delimiter and the quoting` };
            continue;
          }
          yield { line: row, record: normalizeTableRecord(map(record)), ...columnsOnce(record) };
        }
      } finally {
        text.destroy();
      }
    } finally {
      await texts.return(undefined);
    }
    return;
  }
  if (/\.parquet$/i.test(name)) {
    // Parquet needs random access: a .parquet.gz is first gunzipped (streamed, counted) into a file of
    // this process in <data dir>/uploads, removed on every way out (and by the start-up sweep if we die).
    const source = gz ? uploadTempPath('.parquet') : file;
    try {
      if (gz) {
        try {
          await pipeline(
            fs.createReadStream(file),
            zlib.createGunzip(),
            async function* (chunks: AsyncIterable<Buffer>) {
              for await (const chunk of chunks) {
                budget.add(chunk.length);
                yield chunk;
              }
            },
            fs.createWriteStream(source),
            { signal },
          );
        } catch (error) {
          if (passesThrough(error)) throw error;
          if (signal?.aborted) throw cancelled();
          throw gzipError(error, 'while unpacking');
        }
      }
      for await (const r of readParquet(source, env.ARBITER_MAX_IMPORT_MB, signal)) yield 'record' in r ? { line: r.line, record: normalizeTableRecord(map(r.record)), ...columnsOnce(r.record) } : r;
    } finally {
      if (gz) fs.rmSync(source, { force: true });
    }
    return;
  }
  if (/\.json$/i.test(name)) {
    const splitter = new JsonArraySplitter(maxChars);
    const parse = (e: { element: number; text: string }): RecordOrError => {
      let record: unknown;
      try {
        record = JSON.parse(e.text);
      } catch {
        // An array element is a record like a JSON Lines line; a file that is not an array is one record.
        return { line: e.element, error: splitter.isArray ? 'not valid JSON' : 'the file is not valid JSON' };
      }
      return { line: e.element, record: map(record), ...columnsOnce(record) };
    };
    try {
      for await (const text of decodeUtf8(bytes(), gz, () => 'in the JSON file')) for (const e of splitter.push(text)) yield parse(e);
      for (const e of splitter.end()) yield parse(e);
    } catch (error) {
      if (!(error instanceof JsonSplitError)) throw error;
      if (error.kind === 'too-long')
        throw tooLong(`line ${error.element}`, error.chars, limitMb, splitter.isArray ? ` (element ${error.element} of the JSON array)` : ' (the file is one JSON value, not an array)');
      yield { line: error.element, error: `the file is not valid JSON (${error.message})` };
    }
    return;
  }
  throw new AppError('bad-file', `cannot read ${path.basename(file)}: supported containers are .jsonl, .ndjson, .json, .csv and .parquet, each optionally .gz`);
}

/**
 * Reads a Parquet file row group by row group. Its pages are compressed, so the bytes they decompress to
 * are bounded twice against ARBITER_MAX_IMPORT_MB: the sizes the metadata declares, before any page is
 * read, and each page's size as it is decompressed (a file whose metadata lies still stops).
 */
async function* readParquet(file: string, limitMb: number, signal: AbortSignal | undefined): AsyncGenerator<RecordOrError> {
  let buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new AppError('bad-file', `the file is not a readable Parquet file (${error instanceof Error ? error.message : String(error)})`);
  }
  let declared = 0;
  for (const group of metadata.row_groups) {
    const columns = group.columns.reduce((sum, c) => sum + Number(c.meta_data?.total_uncompressed_size ?? 0), 0);
    declared += Math.max(Number(group.total_byte_size), columns);
  }
  if (declared > limitMb * MB)
    throw new AppError('too-large', `the Parquet file declares ${(declared / MB).toFixed(1)} MB of uncompressed data (0 MB read): a file may hold at most ${limitMb} MB once decompressed (ARBITER_MAX_IMPORT_MB raises the limit); nothing was imported`);
  const pages = new DecompressedBudget(limitMb);
  // hyparquet calls this for every compressed page, with the size the page header declares: counted (and
  // the signal checked) before the page's memory is allocated.
  const compressors = {
    SNAPPY: (input: Uint8Array, outputLength: number) => {
      if (signal?.aborted) throw cancelled();
      pages.add(outputLength);
      const output = new Uint8Array(outputLength);
      snappyUncompress(input, output);
      return output;
    },
  };
  let row = 0;
  for (const group of metadata.row_groups) {
    if (signal?.aborted) throw cancelled();
    const count = Number(group.num_rows);
    let objects: Record<string, unknown>[];
    try {
      objects = await parquetReadObjects({ file: buffer, metadata, rowStart: row, rowEnd: row + count, compressors });
    } catch (error) {
      if (passesThrough(error)) throw error;
      throw new AppError('bad-file', `the Parquet file could not be read (${error instanceof Error ? error.message : String(error)}) in the row group starting at row ${row + 1}; nothing was imported`);
    }
    for (const record of objects) yield { line: ++row, record };
  }
}
