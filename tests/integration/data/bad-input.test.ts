/** Bad files get a clear, specific message and leave the database exactly as it was. */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runImport } from '@/db/queries/imports';
import { createProject } from '@/db/queries/projects';
import { CLI_ACTOR } from '@/lib/auth/access';
import { queryRow } from '../../helpers/sql';

const dir = () => process.env.ARBITER_DATA_DIR!;
const write = (name: string, content: string | Buffer) => {
  const f = path.join(dir(), name);
  fs.writeFileSync(f, content);
  return f;
};
const TABLES = ['prompts', 'responses', 'comparisons', 'items', 'judgments'];
const snapshot = () => Promise.all(TABLES.map((t) => queryRow(`select count(*) as n, max(id) as m from ${t}`)));
const pairs = (n: number) => Array.from({ length: n }, (_, k) => JSON.stringify({ prompt: `Question ${k}?`, chosen: `Good answer ${k}.`, rejected: `Bad answer ${k}.` })).join('\n') + '\n';

describe('bad import files', async () => {
  const projectId = (await createProject(CLI_ACTOR, { name: 'bad input' })).id;

  /** Imports, expecting a refusal of the whole file with this message; checks nothing was written. */
  async function refusedFile(file: string, message: RegExp) {
    const before = await snapshot();
    const error = await runImport(CLI_ACTOR, projectId, file).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'bad-file' });
    expect((error as Error).message).toMatch(message);
    expect(await snapshot()).toEqual(before);
  }

  /** Imports, expecting these bad rows (by line) and nothing written. */
  async function refusedRows(file: string, errors: { line: number; message: string | RegExp }[]) {
    const before = await snapshot();
    const report = await runImport(CLI_ACTOR, projectId, file);
    expect(report.imported).toBe(false);
    expect(report.errors).toHaveLength(errors.length);
    report.errors.forEach((e, k) => {
      expect(e.line).toBe(errors[k]!.line);
      expect(e.message).toMatch(errors[k]!.message);
    });
    expect(await snapshot()).toEqual(before);
  }

  it('a truncated gzip (cut after many good rows have been read)', async () => {
    const whole = zlib.gzipSync(pairs(20_000));
    await refusedFile(write('cut.jsonl.gz', whole.subarray(0, Math.floor(whole.length * 0.7))), /the \.gz file is truncated or corrupt \(unexpected end of file\) line \d+; nothing was imported/);
  });

  it('invalid UTF-8 (a Latin-1 byte in the middle of the file)', async () => {
    const bytes = Buffer.concat([Buffer.from(pairs(50)), Buffer.from('{"prompt": "Caf'), Buffer.from([0xe9]), Buffer.from('?", "chosen": "Yes.", "rejected": "No."}\n')]);
    await refusedFile(write('latin1.jsonl', bytes), /the file is not valid UTF-8 \(line 51, byte \d+\); save it as UTF-8/);
    await refusedFile(write('latin1.csv', Buffer.concat([Buffer.from('prompt,chosen,rejected\nCaf'), Buffer.from([0xe9]), Buffer.from(',Yes,No\n')])), /not valid UTF-8/);
  });

  it('a 50 MB single line, refused as soon as it passes the 16 MB record limit', async () => {
    const huge = write('huge.jsonl', `${pairs(3)}{"prompt": "Long?", "chosen": "${'a'.repeat(50_000_000)}", "rejected": "b"}\n`);
    await refusedFile(huge, /line 4 is longer than the 16 MB limit on one record/);
  });

  it('missing fields, chosen equal to rejected, and unknown roles: each bad row by line and reason', async () => {
    const rows = [
      { prompt: 'Fine?', chosen: 'Yes.', rejected: 'No.' },
      { prompt: 'Missing rejected?', chosen: 'Yes.' },
      { prompt: 'Same?', chosen: 'Same text.', rejected: 'Same text.' },
      { prompt: [{ role: 'moderator', content: 'Hi' }], chosen: 'Yes.', rejected: 'No.' },
      { chosen: 'Yes.', rejected: 'No.', prompt: '' },
    ];
    await refusedRows(write('rows.jsonl', rows.map((r) => JSON.stringify(r)).join('\n')), [
      { line: 2, message: 'rejected must be a non-empty string' },
      { line: 3, message: 'chosen and rejected are the same text' },
      { line: 4, message: 'prompt[0].role must be system, user or assistant (got "moderator")' },
      { line: 5, message: 'prompt must be a non-empty string' },
    ]);
  });

  it('a CSV with another delimiter: semicolons and tabs are recognised, an unknown one is named', async () => {
    const before = await snapshot();
    const semicolon = await runImport(CLI_ACTOR, projectId, write('semi.csv', 'prompt;chosen;rejected\nTwo plus two?;Four.;Five.\n'), { dryRun: true });
    expect(semicolon).toMatchObject({ format: 'pairs', errors: [], counts: { rows: 1 } });
    const tabs = await runImport(CLI_ACTOR, projectId, write('tabs.csv', 'prompt\tchosen\trejected\nTwo plus two?\tFour.\tFive.\n'), { dryRun: true });
    expect(tabs).toMatchObject({ format: 'pairs', errors: [], counts: { rows: 1 } });
    expect(await snapshot()).toEqual(before);
    await refusedFile(write('caret.csv', 'prompt^chosen^rejected\nTwo plus two?^Four.^Five.\n'), /the CSV header has a single column "prompt\^chosen\^rejected": the delimiter could not be recognised/);
    await refusedRows(write('extra.csv', 'prompt,chosen,rejected\nA?,B,C\nD?,E,F,G\n'), [{ line: 3, message: /more fields than the header \(4 > 3\): check the delimiter and the quoting/ }]);
  });
});
