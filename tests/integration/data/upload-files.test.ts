/** Temporary import files: named by their owning process, and swept at start-up once that process is gone. */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { POST as importFile } from '@/app/api/v1/projects/[id]/imports/route';
import { createApiToken } from '@/db/queries/api-tokens';
import { createProject } from '@/db/queries/projects';
import { CLI_ACTOR } from '@/lib/auth/access';
import { ORPHAN_AGE_MS, sweepOrphanUploads, UPLOAD_HOST, uploadsDir, uploadTempPath } from '@/lib/data/upload-files';
import { resetEnvCache } from '@/lib/env';
import { createActor } from '../../helpers/actors';
import { params } from '../../helpers/http';
import { createGeneratedProject } from '../../helpers/projects';
import { collect, runTs, spawnTs, waitFor } from '../../helpers/spawn';

const OWNED = (pid: number, suffix: string) =>
  new RegExp(`^${pid}@${UPLOAD_HOST.replace(/\./g, '\\.')}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}${suffix.replace(/\./g, '\\.')}$`);

/** The pid of a process that has exited (so is no longer alive). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

const touch = (name: string, ageMs = 0) => {
  const file = path.join(uploadsDir(), name);
  fs.writeFileSync(file, 'x');
  if (ageMs) fs.utimesSync(file, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs));
  return name;
};

describe('temporary import files', () => {
  it('are named <pid>@<host>-<uuid><suffix> under <data dir>/uploads; a suffix can never carry a path', () => {
    const file = uploadTempPath('.stage.db');
    expect(path.dirname(file)).toBe(path.join(process.env.ARBITER_DATA_DIR!, 'uploads'));
    expect(path.basename(file)).toMatch(OWNED(process.pid, '.stage.db'));
    expect(uploadTempPath('.jsonl.gz')).not.toBe(uploadTempPath('.jsonl.gz'));
    expect(() => uploadTempPath('/../../etc/passwd')).toThrow(/unsafe temporary file suffix/);
  });

  it('the sweep removes the files of dead processes and anything older than a day, and keeps those of living processes and other hosts', async () => {
    const dead = await deadPid();
    const uuid = () => crypto.randomUUID();
    const here = `@${UPLOAD_HOST}`;
    fs.mkdirSync(uploadsDir(), { recursive: true });
    const orphanUpload = touch(`${dead}${here}-${uuid()}.jsonl.gz`);
    const orphanJournal = touch(`${dead}${here}-${uuid()}.stage.db-journal`);
    const orphanUnnamedHost = touch(`${dead}-${uuid()}.jsonl`);
    const mine = touch(`${process.pid}${here}-${uuid()}.parquet`);
    const parents = touch(`${process.ppid}${here}-${uuid()}.stage.db`);
    const mineButStale = touch(`${process.pid}${here}-${uuid()}.csv`, ORPHAN_AGE_MS + 60_000);
    // Another host sharing the data directory: its pid means nothing here, so only age removes its files.
    const otherHost = touch(`${dead}@other-host.example-${uuid()}.jsonl.gz`);
    const otherHostStale = touch(`${dead}@other-host.example-${uuid()}.stage.db`, ORPHAN_AGE_MS + 60_000);
    const legacyFresh = touch(`${uuid()}.jsonl`);
    const legacyStale = touch(`${uuid()}.jsonl`, ORPHAN_AGE_MS + 60_000);
    fs.mkdirSync(path.join(uploadsDir(), 'a-folder'));

    const removed = sweepOrphanUploads();
    expect(removed.sort()).toEqual([orphanUpload, orphanJournal, orphanUnnamedHost, mineButStale, otherHostStale, legacyStale].sort());
    expect(fs.readdirSync(uploadsDir()).sort()).toEqual([mine, parents, otherHost, legacyFresh, 'a-folder'].sort());
    expect(sweepOrphanUploads()).toEqual([]);
    for (const name of fs.readdirSync(uploadsDir())) fs.rmSync(path.join(uploadsDir(), name), { recursive: true });
  });

  it("npm start's set-up removes the unpack file of an import killed (kill -9) in the middle of a .parquet.gz", async () => {
    const projectId = (await createProject(CLI_ACTOR, { name: 'killed import' })).id;
    // 1 GB of zeros in 1,000 gzip members of 1 MB (1 MB on disk): the unpack takes long enough to be caught in the act.
    const member = zlib.gzipSync(Buffer.alloc(1 << 20));
    const bomb = path.join(process.env.ARBITER_DATA_DIR!, 'slow.parquet.gz');
    fs.writeFileSync(bomb, Buffer.concat(Array.from({ length: 1000 }, () => member)));
    const child = spawnTs('cli/main.ts', ['import', '--project', String(projectId), bomb], { ARBITER_MAX_IMPORT_MB: '100000' });
    const done = collect(child);
    const unpacking = await waitFor(() => fs.existsSync(uploadsDir()) && fs.readdirSync(uploadsDir()).find((n) => OWNED(child.pid!, '.parquet').test(n)), 30_000, 10);
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    expect(fs.readdirSync(uploadsDir())).toContain(unpacking);

    const setup = await runTs('scripts/setup.ts');
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.stdout).toMatch(/Removed [1-9]\d* temporary import file\(s\) left by a stopped process/);
    expect(fs.readdirSync(uploadsDir())).toEqual([]);
  });

  it('every way an import ends removes its temporary files: the upload, the unpacked .parquet.gz and the scratch database', async () => {
    const researcher = await createActor('researcher');
    const token = (await createApiToken(researcher.id, { name: 't' })).token;
    const { projectId } = await createGeneratedProject({ prompts: 3 }, researcher);
    // 100 rows: more than the 20 the importer reads to detect the format, so the reader is mid-file when it decides.
    const parquet = (columns: Record<string, string[]>) =>
      zlib.gzipSync(Buffer.from(parquetWriteBuffer({ columnData: Object.entries(columns).map(([name, data]) => ({ name, data, type: 'STRING' as const })) })));
    const rows = Array.from({ length: 100 }, (_, k) => k);
    const pairs = parquet({ prompt: rows.map((k) => `Question ${k}?`), chosen: rows.map((k) => `Yes ${k}.`), rejected: rows.map((k) => `No ${k}.`) });
    const badRow = parquet({ prompt: rows.map((k) => `Question ${k}?`), chosen: rows.map((k) => `Same ${k}.`), rejected: rows.map((k) => (k === 50 ? `Same ${k}.` : `No ${k}.`)) });
    const unknown = parquet({ text: rows.map((k) => `Text ${k}`) });
    const cases: [string, Buffer, string, number][] = [
      ['a dry run', pairs, '&dryRun=1', 200],
      ['an import', pairs, '', 200],
      ['a bad row', badRow, '', 200],
      ['an unknown format', unknown, '', 400],
      ['a truncated .gz', pairs.subarray(0, pairs.length - 20), '', 400],
      ['a .gz of something else', zlib.gzipSync('not parquet at all'), '', 400],
      ['more than ARBITER_MAX_IMPORT_MB', pairs, '&max', 413],
    ];
    for (const [what, body, query, status] of cases) {
      if (query === '&max') process.env.ARBITER_MAX_IMPORT_MB = '0.001';
      resetEnvCache();
      try {
        const res = await importFile(
          new Request(`http://localhost:3000/api/v1/projects/${projectId}/imports?filename=data.parquet.gz${query === '&max' ? '' : query}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new Uint8Array(body) }),
          params({ id: String(projectId) }),
        );
        expect(res.status, `${what}: ${JSON.stringify(await res.json())}`).toBe(status);
      } finally {
        delete process.env.ARBITER_MAX_IMPORT_MB;
        resetEnvCache();
      }
      expect(fs.readdirSync(uploadsDir()), what).toEqual([]);
    }
  });
});
