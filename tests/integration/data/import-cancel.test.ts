/**
 * A client that goes away cancels its import: the reader stops (gunzip and Parquet work included), the
 * route answers at once, nothing is written and no temporary file stays behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterEach, describe, expect, it } from 'vitest';
import { POST as importFile } from '@/app/api/v1/projects/[id]/imports/route';
import { createApiToken } from '@/db/queries/api-tokens';
import { readRecords } from '@/lib/data/read-records';
import { UPLOAD_HOST, uploadsDir } from '@/lib/data/upload-files';
import { resetEnvCache } from '@/lib/env';
import { createActor } from '../../helpers/actors';
import { params } from '../../helpers/http';
import { createGeneratedProject } from '../../helpers/projects';
import { waitFor } from '../../helpers/spawn';
import { gzipBomb, pairOfSize } from './hostile-files';
import { queryRow } from '../../helpers/sql';

const TABLES = ['prompts', 'responses', 'comparisons', 'items', 'judgments'];
const snapshot = () => Promise.all(TABLES.map((t) => queryRow(`select count(*) as n, max(id) as m from ${t}`)));
/** Open file descriptors of this process: a reader that stopped has closed its file. */
const openFiles = () => fs.readdirSync('/proc/self/fd').length;

const write = (name: string, content: string | Buffer) => {
  const file = path.join(process.env.ARBITER_DATA_DIR!, name);
  fs.writeFileSync(file, content);
  return file;
};

/** Starts reading `file`, fires the signal after `records` records (or after `afterMs` when given), and returns how the read ended. */
async function cancelRead(file: string, records: number, afterMs?: number) {
  const controller = new AbortController();
  const reader = readRecords(file, { signal: controller.signal });
  let read = 0;
  let abortedAt = 0;
  if (afterMs !== undefined)
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort();
    }, afterMs);
  try {
    for (;;) {
      const next = await reader.next();
      if (next.done) return { error: null, read, stoppedMs: 0 };
      if (++read === records) {
        abortedAt = performance.now();
        controller.abort();
      }
    }
  } catch (error) {
    return { error, read, stoppedMs: performance.now() - abortedAt };
  }
}

describe('cancelled imports', async () => {
  const researcher = await createActor('researcher');
  const token = (await createApiToken(researcher.id, { name: 't' })).token;
  const { projectId } = await createGeneratedProject({ prompts: 12 }, researcher);

  afterEach(() => {
    delete process.env.ARBITER_MAX_IMPORT_MB;
    resetEnvCache();
  });

  it('the reader stops with a \'cancelled\' error in every container, closing its file and gunzip', async () => {
    const lines = Array.from({ length: 100 }, (_, k) => pairOfSize(10_000, k)).join('\n') + '\n';
    const files = [
      write('c.jsonl.gz', gzipBomb('', lines, 100)),
      write('c.csv.gz', gzipBomb('prompt,chosen,rejected\n', Array.from({ length: 100 }, (_, k) => `Q${k}?,${'a'.repeat(10_000)},b`).join('\n') + '\n', 100)),
      write('c.json.gz', gzipBomb('[', `${pairOfSize(10_000)},`, 10_000, `${pairOfSize(10)}]`)),
      write('c.jsonl', lines.repeat(10)),
      write(
        'c.parquet',
        Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'prompt', data: Array.from({ length: 5000 }, (_, k) => `Question ${k}?`), type: 'STRING' }], rowGroupSize: 1000 })),
      ),
    ];
    const baseline = openFiles();
    for (const file of files) {
      const { error, read, stoppedMs } = await cancelRead(file, 5);
      expect(error, path.basename(file)).toMatchObject({ code: 'cancelled' });
      expect((error as Error).message).toBe('the import was cancelled before it finished (the client went away); nothing was imported');
      expect(read, path.basename(file)).toBe(5);
      expect(stoppedMs).toBeLessThan(1000);
      // The file (and the gunzip behind it) is closed when the reader stops, not at garbage collection. Within
      // 200 ms rather than at once: hyparquet reads each Parquet slice through a read stream of its own, whose
      // descriptor closes a tick after the slice has been delivered.
      const closedWithin = await waitFor(() => openFiles() === baseline, 200, 5).then(
        () => true,
        () => false,
      );
      expect(closedWithin, `${path.basename(file)}: ${openFiles()} open files, ${baseline} before`).toBe(true);
    }
  });

  it('a .parquet.gz being unpacked stops mid-unpack and its unpacked file is removed', async () => {
    process.env.ARBITER_MAX_IMPORT_MB = '100000';
    resetEnvCache();
    // 1 GB of zeros (1 MB on disk): unpacking it whole would take seconds.
    const file = write('unpack.parquet.gz', gzipBomb('', '\0'.repeat(1 << 20), 1000));
    const { error, read, stoppedMs } = await cancelRead(file, 0, 150);
    expect(error).toMatchObject({ code: 'cancelled' });
    expect(read).toBe(0);
    expect(stoppedMs).toBeLessThan(1000);
    expect(fs.readdirSync(uploadsDir())).toEqual([]);
  });

  it('through the route: a client that disconnects mid-import gets its import stopped within a second, nothing written, no file left', async () => {
    const rows = Array.from({ length: 200_000 }, (_, k) => JSON.stringify({ prompt: `Question ${k}?`, chosen: `Good answer ${k}.`, rejected: `Bad answer ${k}.` })).join('\n');
    const before = await snapshot();
    const client = new AbortController();
    const answer = importFile(
      new Request(`http://localhost:3000/api/v1/projects/${projectId}/imports?filename=pairs.jsonl`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: rows, signal: client.signal }),
      params({ id: String(projectId) }),
    );
    // The upload is stored under this process's name, and the import is under way.
    const upload = await waitFor(() => fs.existsSync(uploadsDir()) && fs.readdirSync(uploadsDir()).find((n) => new RegExp(`^${process.pid}@${UPLOAD_HOST.replaceAll('.', '\\.')}-[0-9a-f-]{36}\\.jsonl$`).test(n)), 10_000);
    expect(upload).toBeTruthy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const abortedAt = performance.now();
    client.abort();
    const res = await answer;
    const stoppedMs = performance.now() - abortedAt;
    expect(res.status).toBe(499);
    expect(((await res.json()) as { error: string }).error).toMatch(/cancelled: the client disconnected; nothing was imported/);
    expect(stoppedMs).toBeLessThan(1000);
    expect(await snapshot()).toEqual(before);
    expect(fs.readdirSync(uploadsDir())).toEqual([]);
  });
});
