/**
 * Streams records out of an import file: JSON Lines (`.jsonl`, `.ndjson`) line by line, CSV with a
 * header row (papaparse, streamed; quoted multi-line fields allowed), Parquet (hyparquet, one row group
 * at a time), a JSON array (`.json`, read whole), and `.gz` of JSON Lines, JSON or CSV (gunzipped as a
 * stream; a .parquet.gz through a temporary file). Yields the 1-based line / row number with each record, or the parse error of that line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import readline from 'node:readline';
import zlib from 'node:zlib';
import Papa from 'papaparse';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { normalizeTableRecord } from '@/lib/data/import-formats';

export type RecordOrError = { line: number; record: unknown } | { line: number; error: string };

export async function* readRecords(file: string): AsyncGenerator<RecordOrError> {
  const gz = file.endsWith('.gz');
  const name = gz ? file.slice(0, -3) : file;
  const open = () => (gz ? fs.createReadStream(file).pipe(zlib.createGunzip()) : fs.createReadStream(file));
  if (/\.(jsonl|ndjson)$/i.test(name)) {
    let line = 0;
    for await (const text of readline.createInterface({ input: open(), crlfDelay: Infinity })) {
      line++;
      if (!text.trim()) continue;
      try {
        yield { line, record: JSON.parse(text) };
      } catch {
        yield { line, error: 'not valid JSON' };
      }
    }
    return;
  }
  if (/\.csv$/i.test(name)) {
    const rows = open().pipe(Papa.parse(Papa.NODE_STREAM_INPUT, { header: true, skipEmptyLines: true }));
    let row = 1; // the header is row 1
    for await (const record of rows) {
      row++;
      yield { line: row, record: normalizeTableRecord(record) };
    }
    return;
  }
  if (/\.parquet$/i.test(name)) {
    // Parquet needs random access: a .parquet.gz is first gunzipped (streamed) into a temporary file.
    const source = gz ? path.join(os.tmpdir(), `arbiter-import-${process.pid}-${Date.now()}.parquet`) : file;
    if (gz) await pipeline(fs.createReadStream(file), zlib.createGunzip(), fs.createWriteStream(source));
    try {
      yield* readParquet(source);
    } finally {
      if (gz) fs.rmSync(source, { force: true });
    }
    return;
  }
  if (/\.json$/i.test(name)) {
    const chunks: Buffer[] = [];
    for await (const chunk of open()) chunks.push(chunk as Buffer);
    let data: unknown;
    try {
      data = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      yield { line: 1, error: 'the file is not valid JSON' };
      return;
    }
    const list = Array.isArray(data) ? data : [data];
    for (let k = 0; k < list.length; k++) yield { line: k + 1, record: list[k] };
    return;
  }
  throw new Error(`cannot read ${file}: supported containers are .jsonl, .ndjson, .json, .csv and .parquet, each optionally .gz`);
}

async function* readParquet(file: string): AsyncGenerator<RecordOrError> {
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer);
  let row = 0;
  for (const group of metadata.row_groups) {
    const count = Number(group.num_rows);
    const objects = await parquetReadObjects({ file: buffer, metadata, rowStart: row, rowEnd: row + count });
    for (const record of objects) yield { line: ++row, record: normalizeTableRecord(record) };
  }
}
