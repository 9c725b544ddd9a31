/**
 * Streams records out of an import file: JSON Lines (`.jsonl`, `.ndjson`) line by line, CSV with a
 * header row (papaparse, streamed; quoted multi-line fields allowed), Parquet (hyparquet, one row group
 * at a time), a JSON array (`.json`, read whole), and `.gz` of any of them (gunzipped as a stream; a
 * .parquet.gz through a temporary file). Yields the 1-based line / row number with each record, or the
 * parse error of that line. Text is decoded as strict UTF-8, and one record may not exceed
 * ARBITER_MAX_RECORD_MB: a file that breaks either, or a truncated .gz, stops with an ImportFileError.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import Papa from 'papaparse';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { applyMapping, type ColumnMapping } from '@/lib/data/column-mapping';
import { ImportFileError, normalizeTableRecord } from '@/lib/data/import-formats';
import { getEnv } from '@/lib/env';

/** `columns`: the field names of the file's first record, before any mapping (for the mapping editor). */
export type RecordOrError = { line: number; record: unknown; columns?: string[] } | { line: number; error: string };

export { ImportFileError };

const gzipError = (error: unknown, where: string) =>
  new ImportFileError(`the .gz file is truncated or corrupt (${error instanceof Error ? error.message : String(error)}) ${where}; nothing was imported`);

/** Decodes a byte stream as strict UTF-8 (invalid bytes stop the import instead of becoming U+FFFD). */
async function* decodeUtf8(bytes: AsyncIterable<Buffer>, gz: boolean, where: (newlinesIntoChunk?: number) => string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let offset = 0;
  const iterator = bytes[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Buffer>;
    try {
      next = await iterator.next();
    } catch (error) {
      if (gz) throw gzipError(error, where());
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
      throw new ImportFileError(`the file is not valid UTF-8 (${where(newlines)}, byte ${offset + bad}${gz ? ' after gunzip' : ''}); save it as UTF-8 and try again`);
    }
    yield text;
    offset += next.value.length;
  }
  try {
    const rest = decoder.decode();
    if (rest) yield rest;
  } catch {
    throw new ImportFileError(`the file is not valid UTF-8 (it ends inside a multi-byte character); save it as UTF-8 and try again`);
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

const tooLong = (line: number, chars: number, limitMb: number) =>
  new ImportFileError(`line ${line} is longer than the ${limitMb} MB limit on one record (${(chars / 1e6).toFixed(1)}+ MB so far): is the file JSON Lines, one record per line? (ARBITER_MAX_RECORD_MB raises the limit)`);

export async function* readRecords(file: string, options: { mapping?: ColumnMapping } = {}): AsyncGenerator<RecordOrError> {
  const gz = file.endsWith('.gz');
  const name = gz ? file.slice(0, -3) : file;
  const limitMb = getEnv().ARBITER_MAX_RECORD_MB;
  const maxChars = limitMb * 1e6;
  const open = () => (gz ? fs.createReadStream(file).pipe(zlib.createGunzip()) : fs.createReadStream(file));
  const map = (record: unknown) => applyMapping(record, options.mapping);
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
    for await (const text of decodeUtf8(open(), gz, (n = 0) => `line ${line + 1 + n}`)) {
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) {
          partial += text.slice(start);
          if (partial.length > maxChars) throw tooLong(line + 1, partial.length, limitMb);
          break;
        }
        const piece = partial + text.slice(start, nl);
        partial = '';
        if (piece.length > maxChars) throw tooLong(line + 1, piece.length, limitMb);
        yield* handle(piece);
        start = nl + 1;
      }
    }
    if (partial) yield* handle(partial);
    return;
  }
  if (/\.csv$/i.test(name)) {
    let row = 1; // the header is row 1
    const text = Readable.from(decodeUtf8(open(), gz, () => `after row ${row}`));
    const rows = Papa.parse(Papa.NODE_STREAM_INPUT, { header: true, skipEmptyLines: true });
    // pipe() does not pass errors on: a decoding error must end the parse, not leave it waiting.
    text.on('error', (error) => rows.destroy(error));
    text.pipe(rows);
    for await (const record of rows as AsyncIterable<Record<string, unknown>>) {
      row++;
      if (row === 2) {
        const fields = Object.keys(record).filter((k) => k !== '__parsed_extra');
        if (fields.length === 1 && /[^\w\s"-]/.test(fields[0]!))
          throw new ImportFileError(`the CSV header has a single column ${JSON.stringify(fields[0]!.slice(0, 80))}: the delimiter could not be recognised (comma, semicolon, tab and | are); check how the file was saved`);
      }
      if ('__parsed_extra' in record) {
        yield { line: row, error: `the row has more fields than the header (${Object.keys(record).length - 1 + (record.__parsed_extra as unknown[]).length} > ${Object.keys(record).length - 1}): check the delimiter and the quoting` };
        continue;
      }
      yield { line: row, record: normalizeTableRecord(map(record)), ...columnsOnce(record) };
    }
    return;
  }
  if (/\.parquet$/i.test(name)) {
    // Parquet needs random access: a .parquet.gz is first gunzipped (streamed) into a temporary file.
    const source = gz ? path.join(os.tmpdir(), `arbiter-import-${process.pid}-${Date.now()}.parquet`) : file;
    if (gz) {
      try {
        await pipeline(fs.createReadStream(file), zlib.createGunzip(), fs.createWriteStream(source));
      } catch (error) {
        fs.rmSync(source, { force: true });
        throw gzipError(error, 'while unpacking');
      }
    }
    try {
      for await (const r of readParquet(source)) yield 'record' in r ? { line: r.line, record: normalizeTableRecord(map(r.record)), ...columnsOnce(r.record) } : r;
    } finally {
      if (gz) fs.rmSync(source, { force: true });
    }
    return;
  }
  if (/\.json$/i.test(name)) {
    const parts: string[] = [];
    for await (const text of decodeUtf8(open(), gz, () => 'in the JSON file')) parts.push(text);
    let data: unknown;
    try {
      data = JSON.parse(parts.join(''));
    } catch {
      yield { line: 1, error: 'the file is not valid JSON' };
      return;
    }
    const list = Array.isArray(data) ? data : [data];
    for (let k = 0; k < list.length; k++) yield { line: k + 1, record: map(list[k]), ...columnsOnce(list[k]) };
    return;
  }
  throw new ImportFileError(`cannot read ${path.basename(file)}: supported containers are .jsonl, .ndjson, .json, .csv and .parquet, each optionally .gz`);
}

async function* readParquet(file: string): AsyncGenerator<RecordOrError> {
  let buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new ImportFileError(`the file is not a readable Parquet file (${error instanceof Error ? error.message : String(error)})`);
  }
  let row = 0;
  for (const group of metadata.row_groups) {
    const count = Number(group.num_rows);
    const objects = await parquetReadObjects({ file: buffer, metadata, rowStart: row, rowEnd: row + count });
    for (const record of objects) yield { line: ++row, record };
  }
}
