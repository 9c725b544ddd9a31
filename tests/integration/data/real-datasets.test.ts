/** Every real data set the resolver finds (tests/helpers/real-data.ts) imports by a built-in format or a documented column mapping; counts checked against docs/data-sources.md. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeProjectExport } from '@/db/queries/export';
import { runImport } from '@/db/queries/imports';
import { createProject } from '@/db/queries/projects';
import { CLI_ACTOR } from '@/lib/auth/access';
import { DEFAULT_EXPORT_OPTIONS } from '@/lib/data/export';
import { parseColumnMapping } from '@/lib/data/column-mapping';
import { realFiles } from '../../helpers/real-data';
import { queryRow, queryRows, queryValue } from '../../helpers/sql';

const count = async (sql: string, ...args: unknown[]) => (await queryRow<{ n: number }>(sql, ...args))!.n;
let projects = 0;
const project = async () => (await createProject(CLI_ACTOR, { name: `real ${++projects}` })).id;

describe('real data sets', () => {
  it('PandaLM: 999 pairs × 3 annotators, ties included; rows with an empty (or non-text) generation or instruction are reported by line', async (ctx) => {
    const [testset] = realFiles(ctx, 'pandalm/testset-v1.json');
    const records = JSON.parse(fs.readFileSync(testset!, 'utf8')) as { instruction: string; response1: unknown; response2: unknown; annotator1: number; annotator2: number; annotator3: number }[];
    const usable = (r: (typeof records)[number]) => [r.instruction, r.response1, r.response2].every((x) => typeof x === 'string' && x.trim() !== '');
    expect(records).toHaveLength(999);
    const blank = records.flatMap((r, k) => (usable(r) ? [] : [k + 1]));
    const id = await project();
    const refused = await runImport(CLI_ACTOR, id, testset!);
    expect(refused).toMatchObject({ format: 'pandalm', imported: false });
    expect(refused.errors.map((e) => e.line)).toEqual(blank);
    expect(await count('select count(*) as n from comparisons where project_id = ?', id)).toBe(0);
    const report = await runImport(CLI_ACTOR, id, testset!, { validOnly: true });
    const kept = records.filter(usable);
    expect(report.counts.comparisonsAdded).toBe(3 * kept.length);
    const ties = kept.reduce((n, r) => n + [r.annotator1, r.annotator2, r.annotator3].filter((v) => v === 0).length, 0);
    expect(await count('select count(*) as n from comparisons where project_id = ? and is_tie = true', id)).toBe(ties);
    expect(await count('select count(distinct annotator_id) as n from comparisons where project_id = ?', id)).toBe(3);
    expect(await count('select count(distinct system) as n from responses where project_id = ?', id)).toBe(5);
  });

  it('LLMFAO crowd votes through a column mapping: 8,931 votes by 124 workers on 13 prompts, 3,471 ties', async (ctx) => {
    const [crowd] = realFiles(ctx, 'llmfao/crowd-comparisons.csv');
    const id = await project();
    const report = await runImport(CLI_ACTOR, id, crowd!, { mapping: parseColumnMapping('model_a=left, model_b=right, judge=worker, question_id=prompt') });
    expect(report).toMatchObject({ format: 'battles', imported: true, errors: [] });
    expect(report.counts.comparisonsAdded).toBe(8931);
    expect(await count('select count(*) as n from comparisons where project_id = ? and is_tie = true', id)).toBe(3471);
    expect(await count('select count(distinct annotator_id) as n from comparisons where project_id = ?', id)).toBe(124);
    expect(await count('select count(*) as n from prompts where project_id = ?', id)).toBe(13);
    expect(await count('select count(distinct system) as n from responses where project_id = ?', id)).toBe(59);
    // Text-less battles count for leaderboards, and exports leave them out (with the count in the card).
    const out = path.join(process.env.ARBITER_DATA_DIR!, `llmfao-export`);
    const summary = await writeProjectExport(id, out, { format: 'trl', options: DEFAULT_EXPORT_OPTIONS });
    expect(summary.counts.pairs).toBe(0);
    expect(summary.counts.textless).toBeGreaterThan(900);
    expect(fs.readFileSync(path.join(out, 'README.md'), 'utf8')).toMatch(/pairs without response texts/);
  });

  it('BIG-bench HHH in Prometheus prompts: 221 pairs, query and responses cut out of the grading prompts', async (ctx) => {
    const [hhh] = realFiles(ctx, 'hhh-alignment/hhh_alignment_eval.json');
    const id = await project();
    const report = await runImport(CLI_ACTOR, id, hhh!);
    expect(report).toMatchObject({ format: 'prometheus', imported: true, errors: [] });
    expect(report.counts.comparisonsAdded).toBe(221);
    const sources = await queryRows('select annotator_id as a, count(*) as n from comparisons where project_id = ? group by annotator_id order by a', id);
    expect(sources).toEqual([
      { a: 'hhh-harmless', n: 58 },
      { a: 'hhh-helpful', n: 59 },
      { a: 'hhh-honest', n: 61 },
      { a: 'hhh-other', n: 43 },
    ]);
    const prompt = (await queryValue<string>('select messages from prompts where project_id = ? limit 1', id))!;
    expect(prompt).not.toMatch(/###|Score Rubrics/);
  });

  it('SQuALITY: 100 questions × 3 reviewers = 300 rankings of 3 summaries (900 reviews)', async (ctx) => {
    const [squality] = realFiles(ctx, 'squality-human-eval/all-responses.jsonl');
    const id = await project();
    const report = await runImport(CLI_ACTOR, id, squality!);
    expect(report).toMatchObject({ format: 'squality', imported: true, errors: [] });
    expect(report.counts.rows).toBe(300);
    expect(report.counts.comparisonsAdded).toBe(900);
    expect(await count('select count(distinct group_id) as n from comparisons where project_id = ?', id)).toBe(300);
    expect(await count('select count(*) as n from prompts where project_id = ?', id)).toBe(100);
  });

  it('WMT13 fr-en: 9,996 five-way rankings with ties from 218 judges over 13 systems and 2,278 segments', async (ctx) => {
    const [wmt] = realFiles(ctx, 'wmt13-fr-en-rankings/sample-fr-en-train.csv');
    const id = await project();
    const report = await runImport(CLI_ACTOR, id, wmt!);
    expect(report).toMatchObject({ format: 'rankings', imported: true, errors: [] });
    expect(report.counts.rows).toBe(9996);
    expect(await count('select count(distinct annotator_id) as n from comparisons where project_id = ?', id)).toBe(218);
    expect(await count('select count(distinct system) as n from responses where project_id = ?', id)).toBe(13);
    expect(await count('select count(*) as n from prompts where project_id = ?', id)).toBe(2278);
    expect(await count('select count(distinct group_id) as n from comparisons where project_id = ?', id)).toBe(9996);
    expect(await count('select count(*) as n from comparisons where project_id = ? and is_tie = true', id)).toBeGreaterThan(0);
  });
});
