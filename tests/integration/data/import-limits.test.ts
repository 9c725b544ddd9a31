/**
 * No upload can take the server down: small hostile files that inflate to hundreds of MB (a .gz of
 * repeated members, Parquet pages) or hold one endless record are stopped while streaming, through the
 * REST route as a browser or script sends them — a 413 or 400 naming the limit, memory bounded while it
 * runs, the database unchanged and no temporary file left.
 */
import fs from 'node:fs';
import { ByteWriter, ParquetWriter, parquetWriteBuffer } from 'hyparquet-writer';
import { afterEach, describe, expect, it } from 'vitest';
import { POST as importFile } from '@/app/api/v1/projects/[id]/imports/route';
import { createApiToken } from '@/db/queries/api-tokens';
import { uploadsDir } from '@/lib/data/upload-files';
import { resetEnvCache } from '@/lib/env';
import { createActor } from '../../helpers/actors';
import { params } from '../../helpers/http';
import { createGeneratedProject } from '../../helpers/projects';
import { gzipBomb, measured, pairOfSize } from './hostile-files';
import { queryRow } from '../../helpers/sql';

const TABLES = ['prompts', 'responses', 'comparisons', 'items', 'judgments'];
const snapshot = () => Promise.all(TABLES.map((t) => queryRow(`select count(*) as n, max(id) as m from ${t}`)));
const MB = 1e6;

const setEnv = (values: Record<string, string>) => {
  Object.assign(process.env, values);
  resetEnvCache();
};

/** A Parquet file of `rows` pairs of about `bytes` each (distinct texts: no dictionary can shrink them). */
const parquetPairs = (rows: number, bytes: number) => {
  const texts = Array.from({ length: rows }, (_, k) => `${k} ${'a'.repeat(bytes)}`);
  return {
    columnData: [
      { name: 'prompt', data: texts.map((_, k) => `Question ${k}?`), type: 'STRING' as const },
      { name: 'chosen', data: texts, type: 'STRING' as const },
      { name: 'rejected', data: texts.map((_, k) => `No ${k}.`), type: 'STRING' as const },
    ],
  };
};

describe('hostile import files', async () => {
  const researcher = await createActor('researcher');
  const token = (await createApiToken(researcher.id, { name: 't' })).token;
  const { projectId } = await createGeneratedProject({ prompts: 12 }, researcher);

  afterEach(() => {
    for (const name of ['ARBITER_MAX_IMPORT_MB', 'ARBITER_MAX_RECORD_MB']) delete process.env[name];
    resetEnvCache();
  });

  /** Uploads `body` as `filename`; expects the refusal `status` with `message`, memory bounded, nothing written, nothing left. */
  async function refused(filename: string, body: Buffer, status: number, message: RegExp) {
    const before = await snapshot();
    const { result, rssGrowthMb, ms } = await measured(async () => {
      const res = await importFile(
        new Request(`http://localhost:3000/api/v1/projects/${projectId}/imports?filename=${encodeURIComponent(filename)}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new Uint8Array(body) }),
        params({ id: String(projectId) }),
      );
      return { status: res.status, error: ((await res.json()) as { error?: string }).error ?? '' };
    });
    expect(result.error, filename).toMatch(message);
    expect(result.status, filename).toBe(status);
    expect(rssGrowthMb, `${filename}: resident memory grew ${rssGrowthMb.toFixed(0)} MB`).toBeLessThan(100);
    expect(await snapshot(), filename).toEqual(before);
    expect(fs.readdirSync(uploadsDir()), filename).toEqual([]);
    return { ms, rssGrowthMb };
  }

  it('every container, raw and .gz, stops at ARBITER_MAX_IMPORT_MB of decompressed data: 413 naming the limit, the variable and what was read', async () => {
    setEnv({ ARBITER_MAX_IMPORT_MB: '5' });
    const limit = /^the import stopped after 5\.\d MB of decompressed data: a file may hold at most 5 MB once decompressed \(ARBITER_MAX_IMPORT_MB raises the limit\); nothing was imported$/;
    // 10 kB records: 250 MB once inflated, 20 MB for the raw files (under the 512 MB upload limit).
    const lines = Array.from({ length: 100 }, (_, k) => pairOfSize(10_000, k)).join('\n') + '\n';
    const csvRows = Array.from({ length: 100 }, (_, k) => `Question ${k}?,${'a'.repeat(10_000)},b`).join('\n') + '\n';
    const elements = Array.from({ length: 100 }, (_, k) => pairOfSize(10_000, k)).join(',\n') + ',\n';
    const cases: [string, Buffer][] = [
      ['bomb.jsonl.gz', gzipBomb('', lines, 250)],
      ['bomb.ndjson.gz', gzipBomb('', lines, 250)],
      ['bomb.csv.gz', gzipBomb('prompt,chosen,rejected\n', csvRows, 250)],
      ['bomb.json.gz', gzipBomb('[\n', elements, 250, `${pairOfSize(100)}]`)],
      // Parquet needs random access: the .gz is unpacked to a file first, counted as it is written.
      ['bomb.parquet.gz', gzipBomb('', '\0'.repeat(1 << 20), 250)],
      ['big.jsonl', Buffer.from(lines.repeat(20))],
      ['big.csv', Buffer.from(`prompt,chosen,rejected\n${csvRows.repeat(20)}`)],
      ['big.json', Buffer.from(`[${elements.repeat(20)}${pairOfSize(100)}]`)],
    ];
    for (const [name, body] of cases) {
      if (name.endsWith('.gz')) expect(body.length, name).toBeLessThan(MB);
      await refused(name, body, 413, limit);
    }
  });

  it('a Parquet file whose metadata declares more than the limit is refused before any page is read', async () => {
    setEnv({ ARBITER_MAX_IMPORT_MB: '5' });
    const file = Buffer.from(parquetWriteBuffer(parquetPairs(800, 10_000)));
    expect(file.length).toBeLessThan(MB); // snappy shrinks the repeated letters; the metadata says ~8 MB
    // Garbage over the first page: had any page been read, this would be a parse error, not a 413.
    file.fill(0xff, 4, 400);
    await refused('declared.parquet', file, 413, /^the Parquet file declares 8\.\d MB of uncompressed data \(0 MB read\): a file may hold at most 5 MB once decompressed \(ARBITER_MAX_IMPORT_MB raises the limit\)/);
  });

  it('a Parquet file whose metadata understates its pages is stopped page by page as they decompress', async () => {
    setEnv({ ARBITER_MAX_IMPORT_MB: '5' });
    const writer = new ByteWriter();
    const parquet = new ParquetWriter({ writer, schema: [{ name: 'root', num_children: 3 }, ...['prompt', 'chosen', 'rejected'].map((name) => ({ name, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'REQUIRED' as const }))] });
    await parquet.write({ ...parquetPairs(800, 10_000), rowGroupSize: 100 });
    // The lie: every row group and column chunk claims one byte.
    for (const group of parquet.row_groups) {
      group.total_byte_size = 1n;
      for (const column of group.columns) if (column.meta_data) column.meta_data.total_uncompressed_size = 1n;
    }
    await parquet.finish();
    await refused('lying.parquet', Buffer.from(writer.getBuffer()), 413, /^the import stopped after 5\.\d MB of decompressed data: a file may hold at most 5 MB once decompressed \(ARBITER_MAX_IMPORT_MB raises the limit\)/);
  });

  it('a .json array streams element by element: 250 MB inflated, imported (dry run) with memory bounded', async () => {
    setEnv({ ARBITER_MAX_IMPORT_MB: '1000' });
    const body = gzipBomb('[', `${pairOfSize(50_000)},`, 5000, `${pairOfSize(100, 1)}]`);
    expect(body.length).toBeLessThan(MB);
    const before = await snapshot();
    const { result, rssGrowthMb } = await measured(async () => {
      const res = await importFile(
        new Request(`http://localhost:3000/api/v1/projects/${projectId}/imports?filename=pairs.json.gz&dryRun=1`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new Uint8Array(body) }),
        params({ id: String(projectId) }),
      );
      return { status: res.status, report: (await res.json()) as { format: string; counts: { rows: number }; error?: string } };
    });
    expect(result.report.error).toBeUndefined();
    expect(result.status).toBe(200);
    expect(result.report).toMatchObject({ format: 'pairs', counts: { rows: 5001 } });
    expect(rssGrowthMb, `resident memory grew ${rssGrowthMb.toFixed(0)} MB`).toBeLessThan(100);
    expect(await snapshot()).toEqual(before);
    expect(fs.readdirSync(uploadsDir())).toEqual([]);
  });

  it('one JSON element above ARBITER_MAX_RECORD_MB (a 250 MB string) is refused as soon as it passes the limit', async () => {
    const body = gzipBomb(`[${pairOfSize(100, 1)}, ${pairOfSize(100, 2)}, {"prompt": "q", "chosen": "`, 'a'.repeat(1 << 20), 250, '", "rejected": "b"}]');
    await refused('long-element.json.gz', body, 400, /^line 3 is longer than the 16 MB limit on one record \(16\.\d\+ MB so far\) \(element 3 of the JSON array\) \(ARBITER_MAX_RECORD_MB raises the limit\)$/);
  });

  it('a CSV quoted cell that never ends (250 MB once inflated) stops at ARBITER_MAX_RECORD_MB within seconds, as does a long multi-line cell', async () => {
    const open = gzipBomb('prompt,chosen,rejected\nQuestion?,"', 'a line of the endless cell\n'.repeat(40_000), 250);
    const { ms } = await refused('open-quote.csv.gz', open, 400, /^row 2 is longer than the 16 MB limit on one record \(16\.\d\+ MB so far\): is a quote left open\? \(ARBITER_MAX_RECORD_MB raises the limit\)$/);
    expect(ms).toBeLessThan(10_000);
    setEnv({ ARBITER_MAX_RECORD_MB: '1' });
    const multiline = `prompt,chosen,rejected\nFine?,Yes,No\n"Long?","${'one more line of the cell\n'.repeat(60_000)}",No\nAfter?,Yes,No\n`;
    await refused('multiline.csv', Buffer.from(multiline), 400, /^row 3 is longer than the 1 MB limit on one record \(1\.\d\+ MB so far\): is a quote left open\?/);
  });
});
