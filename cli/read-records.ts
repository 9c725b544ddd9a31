/**
 * Streams records out of an import file: JSON Lines (`.jsonl`, `.ndjson`) line by line, a JSON array
 * (`.json`, read whole), and `.gz` of either (gunzipped as a stream). Yields the 1-based line (or array
 * index) with each record, or the parse error of that line.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import zlib from 'node:zlib';

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
  throw new Error(`cannot read ${file}: supported containers are .jsonl, .ndjson, .json and their .gz (CSV and Parquet are not supported yet)`);
}
