/**
 * Fuzzing whole import files: valid JSON Lines and CSV files of every format, mutated at the byte level
 * (flips, deletions, insertions, truncation) and at the record level. Each import either succeeds
 * and writes what its report counts, or is refused (a file error, or bad rows by line) with every table
 * exactly as it was — never a crash and never a partial write.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runImport } from '@/db/queries/imports';
import { isAppError } from '@/lib/errors';
import { createProject } from '@/db/queries/projects';
import { CLI_ACTOR } from '@/lib/auth/access';
import { IMPORT_FORMATS } from '@/lib/data/import-formats';
import { mutate, SEEDS, type Mutation } from '../../helpers/import-fuzz';
import { queryRow } from '../../helpers/sql';

const TABLES = ['prompts', 'responses', 'comparisons', 'items', 'judgments'];
const snapshot = () => Promise.all(TABLES.map((t) => queryRow<{ n: number; m: number }>(`select count(*) as n, max(id) as m from ${t}`)));

const byteEdit = fc.record({ at: fc.nat(), op: fc.constantFrom('flip', 'delete', 'insert', 'truncate'), byte: fc.integer({ min: 0, max: 255 }) });

function editBytes(bytes: Buffer, edits: { at: number; op: string; byte: number }[]): Buffer {
  let b = Buffer.from(bytes);
  for (const e of edits) {
    if (b.length === 0) break;
    const at = e.at % b.length;
    if (e.op === 'flip') b[at] = b[at]! ^ (e.byte || 1);
    else if (e.op === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    else if (e.op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([e.byte]), b.subarray(at)]);
    else b = b.subarray(0, at);
  }
  return b;
}

describe('import file fuzzing', async () => {
  const projectId = (await createProject(CLI_ACTOR, { name: 'fuzz' })).id;
  const dir = process.env.ARBITER_DATA_DIR!;
  let outcomes = { imported: 0, refusedRows: 0, refusedFile: 0 };

  async function importChecked(name: string, content: Buffer | string) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    const before = await snapshot();
    try {
      const report = await runImport(CLI_ACTOR, projectId, file);
      const after = await snapshot();
      if (!report.imported) {
        outcomes.refusedRows++;
        expect(report.errors.length).toBeGreaterThan(0);
        expect(after).toEqual(before);
      } else {
        outcomes.imported++;
        // Whatever was written is what the report says.
        expect(after[0]!.n - before[0]!.n).toBe(report.counts.promptsAdded);
        expect(after[1]!.n - before[1]!.n).toBe(report.counts.responsesAdded);
        expect(after[2]!.n - before[2]!.n).toBe(report.counts.comparisonsAdded);
        expect(after[3]!.n - before[3]!.n).toBe(report.counts.itemsAdded);
      }
    } catch (error) {
      if (!isAppError(error, 'bad-file')) throw error;
      outcomes.refusedFile++;
      expect(await snapshot()).toEqual(before);
    }
  }

  it('byte-mutated JSON Lines files of every format (1,500 cases)', async () => {
    outcomes = { imported: 0, refusedRows: 0, refusedFile: 0 };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...IMPORT_FORMATS), fc.array(byteEdit, { minLength: 1, maxLength: 3 }), async (format, edits) => {
        const text = `${Array.from({ length: 3 }, () => JSON.stringify(SEEDS[format])).join('\n')}\n`;
        await importChecked('fuzz.jsonl', editBytes(Buffer.from(text), edits));
      }),
      { numRuns: 1500, seed: 21 },
    );
    expect(outcomes.refusedFile + outcomes.refusedRows).toBeGreaterThan(200);
    expect(outcomes.imported).toBeGreaterThan(40);
  }, 120_000);

  it('record-mutated files, where one bad record among good ones must roll the whole file back (1,000 cases)', async () => {
    outcomes = { imported: 0, refusedRows: 0, refusedFile: 0 };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...IMPORT_FORMATS), fc.array(fc.record({ at: fc.nat(), kind: fc.constantFrom('delete', 'replace', 'wrap', 'empty', 'duplicate'), value: fc.jsonValue({ maxDepth: 2 }) }), { minLength: 1, maxLength: 3 }), async (format, mutations) => {
        const good = JSON.stringify(SEEDS[format]);
        const text = [good, JSON.stringify(mutate(SEEDS[format], mutations as Mutation[])), good].join('\n');
        await importChecked('fuzz-records.jsonl', text);
      }),
      { numRuns: 1000, seed: 22 },
    );
    expect(outcomes.refusedRows).toBeGreaterThan(100);
  }, 120_000);

  it('byte-mutated CSV files (500 cases)', async () => {
    const csv = 'prompt,chosen,rejected\n"What is 2+2?","4","5"\n"Name a colour","Blue, like the sky","Loud"\n';
    await fc.assert(
      fc.asyncProperty(fc.array(byteEdit, { minLength: 1, maxLength: 3 }), async (edits) => {
        await importChecked('fuzz.csv', editBytes(Buffer.from(csv), edits));
      }),
      { numRuns: 500, seed: 23 },
    );
  }, 120_000);
});
