import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { realFiles } from '../../helpers/real-data';
import { runTs } from '../../helpers/spawn';
import { queryRow } from '../../helpers/sql';

const cli = (...args: string[]) => runTs('cli/main.ts', args);
const count = async (sql: string, ...args: unknown[]) => (await queryRow<{ n: number }>(sql, ...args))!.n;
const newProject = async (name: string) => (JSON.parse((await cli('project', 'create', '--name', name, '--json')).stdout) as { id: number }).id;

describe('CLI: import', () => {
  it('imports real Anthropic HH transcripts all-or-nothing: bad rows by line, then --valid-only', async (ctx) => {
    const [file] = realFiles(ctx, 'hh-rlhf-harmless/harmless-base/test.jsonl.gz');
    const id = await newProject('hh');
    const refused = await cli('import', '--project', String(id), file!, '--json');
    expect(refused.code).toBe(2);
    const report = JSON.parse(refused.stdout) as { format: string; imported: boolean; errors: { line: number; message: string }[]; counts: { rows: number } };
    expect(report).toMatchObject({ format: 'hh', imported: false });
    expect(report.errors.length).toBeGreaterThan(0);
    expect(report.errors[0]).toEqual({ line: expect.any(Number), message: expect.stringMatching(/must be a non-empty string|same conversation/) });
    expect(await count('select count(*) as n from prompts where project_id = ?', id)).toBe(0);

    const imported = await cli('import', '--project', String(id), file!, '--valid-only', '--json');
    expect(imported.code, imported.stderr).toBe(0);
    const done = JSON.parse(imported.stdout) as { counts: { rows: number; comparisonsAdded: number } };
    expect(done.counts.rows).toBe(report.counts.rows);
    expect(done.counts.comparisonsAdded).toBe(report.counts.rows);
    expect(await count("select count(*) as n from comparisons where project_id = ? and label_source = 'imported'", id)).toBe(report.counts.rows);
  });

  it('imports candidates as items and battles as comparisons, from JSON Lines, a JSON array and .gz; dry runs write nothing', async () => {
    const dir = process.env.ARBITER_DATA_DIR!;
    const id = await newProject('mixed');
    const candidates = path.join(dir, 'cands.json');
    fs.writeFileSync(candidates, JSON.stringify([{ prompt: 'Capital of France?', responses: [{ content: 'Paris', system: 'm1' }, { content: 'Lyon', system: 'm2' }] }]));
    const dry = await cli('import', '--project', String(id), candidates, '--dry-run', '--json');
    expect(JSON.parse(dry.stdout)).toMatchObject({ format: 'candidates', imported: false, counts: { rows: 1 }, preview: [{ kind: 'candidates' }] });
    expect(await count('select count(*) as n from items where project_id = ?', id)).toBe(0);
    expect((await cli('import', '--project', String(id), candidates)).stdout).toMatch(/imported 1 rows: 1 new prompts, 2 new responses, 0 comparisons, 1 items/);

    const battles = path.join(dir, 'battles.jsonl.gz');
    const rows = [
      { model_a: 'm1', model_b: 'm2', winner: 'model_a', judge: 'j1', prompt: 'Capital of France?', response_a: 'Paris', response_b: 'Lyon' },
      { model_a: 'm2', model_b: 'm1', winner: 'tie (bothbad)', judge: 'j2', prompt: 'Capital of France?', response_a: 'Lyon', response_b: 'Paris' },
    ];
    fs.writeFileSync(battles, zlib.gzipSync(rows.map((r) => JSON.stringify(r)).join('\n')));
    const run = await cli('import', '--project', String(id), battles, '--json');
    expect(run.code, run.stderr).toBe(0);
    // The prompt and both responses already exist: deduplicated by content hash.
    expect(JSON.parse(run.stdout)).toMatchObject({ format: 'battles', counts: { rows: 2, promptsAdded: 0, responsesAdded: 0, comparisonsAdded: 2 } });
    expect(await count("select count(*) as n from comparisons where project_id = ? and tie_kind = 'both_bad'", id)).toBe(1);
  });

  it('reads CSV with quoted multi-line cells (real Copilot Arena battles)', async (ctx) => {
    const [csv] = realFiles(ctx, 'copilot-arena/copilot_arena_examples_v1.csv');
    const id = await newProject('copilot');
    const run = await cli('import', '--project', String(id), csv!, '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ format: 'battles', counts: { rows: 112, comparisonsAdded: 112 } });
    expect(await count('select count(distinct system) as n from responses where project_id = ?', id)).toBeGreaterThan(3);
  });

  // Apart from the real-data test above, so it runs where no copy of the real data sets is found.
  it('reads Parquet, plain and .gz', async () => {
    const id = await newProject('parquet');
    const parquet = path.join(process.env.ARBITER_DATA_DIR!, 'pairs.parquet');
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'prompt', data: ['What is 2+2?', 'Name a prime.'], type: 'STRING' },
        { name: 'chosen', data: ['4', '7'], type: 'STRING' },
        { name: 'rejected', data: ['5', '8'], type: 'STRING' },
        { name: 'margin', data: [1.5, 0.5], type: 'DOUBLE' },
      ],
    });
    fs.writeFileSync(parquet, Buffer.from(buffer));
    const pq = await cli('import', '--project', String(id), parquet, '--json');
    expect(pq.code, pq.stderr).toBe(0);
    expect(JSON.parse(pq.stdout)).toMatchObject({ format: 'pairs', counts: { rows: 2, comparisonsAdded: 2 } });
    expect(await count("select count(*) as n from comparisons where project_id = ? and strength = 1.5", id)).toBe(1);
    fs.writeFileSync(`${parquet}.gz`, zlib.gzipSync(Buffer.from(buffer)));
    const gz = await cli('import', '--project', String(id), `${parquet}.gz`, '--json');
    expect(gz.code, gz.stderr).toBe(0);
    expect(JSON.parse(gz.stdout)).toMatchObject({ format: 'pairs', counts: { rows: 2, responsesAdded: 0 } });
  });

  it('imports real OpenAssistant trees as rankings (every implied pair, one group per ranked turn)', async (ctx) => {
    const [trees] = realFiles(ctx, 'oasst-trees/en_100_tree.jsonl');
    const id = await newProject('oasst');
    const run = await cli('import', '--project', String(id), trees!, '--json');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { format: string; counts: { rows: number; comparisonsAdded: number } };
    expect(report.format).toBe('oasst');
    expect(report.counts.rows).toBeGreaterThan(100);
    expect(await count('select count(distinct group_id) as n from comparisons where project_id = ?', id)).toBe(report.counts.rows);
    expect(await count('select count(*) as n from comparisons where project_id = ?', id)).toBe(report.counts.comparisonsAdded);
  });

  // Apart from the real-data test above, so it runs where no copy of the real data sets is found.
  it('imports k-wise rankings with ties as every implied pair', async () => {
    const id = await newProject('ranks');
    const file = path.join(process.env.ARBITER_DATA_DIR!, 'ranks.jsonl');
    fs.writeFileSync(file, `${JSON.stringify({ prompt: 'Rank these', responses: [{ content: 'ok', system: 'm1' }, { content: 'best', system: 'm2' }, { content: 'also ok', system: 'm3' }], ranks: [2, 1, 2] })}\n`);
    const ranked = await cli('import', '--project', String(id), file, '--json');
    expect(JSON.parse(ranked.stdout)).toMatchObject({ format: 'rankings', counts: { rows: 1, comparisonsAdded: 3 } });
    expect(await count("select count(*) as n from comparisons c join responses w on w.id = c.winner_response_id where c.project_id = ? and w.system = 'm2' and c.is_tie = false", id)).toBe(2);
    expect(await count("select count(*) as n from comparisons c join responses w on w.id = c.winner_response_id where c.project_id = ? and c.is_tie = true and w.system in ('m1', 'm3')", id)).toBe(1);
  });

  it('imports per-response ratings as rated items, and exports pairs made from them', async () => {
    const id = await newProject('ratings');
    const file = path.join(process.env.ARBITER_DATA_DIR!, 'ratings.jsonl');
    const rows = [
      { prompt: 'Explain gravity', responses: [{ content: 'Mass attracts mass.', system: 'm1' }, { content: 'It just happens.', system: 'm2' }], ratings: [{ helpfulness: 4, verbosity: 1 }, { helpfulness: 1, verbosity: 0 }] },
      { prompt: 'Explain rain', responses: [{ content: 'Condensed vapour falls.', system: 'm1' }, { content: 'Clouds cry.', system: 'm2' }], ratings: [{ helpfulness: 3 }, { helpfulness: 3 }] },
      { prompt: 'Bad', responses: ['x'], ratings: [{ helpfulness: 7 }] },
    ];
    fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
    const refused = JSON.parse((await cli('import', '--project', String(id), file, '--json')).stdout) as { format: string; errors: { line: number; message: string }[] };
    expect(refused).toMatchObject({ format: 'ratings', errors: [{ line: 3, message: 'ratings[0].helpfulness must be a whole number from 0 to 4' }] });
    const run = await cli('import', '--project', String(id), file, '--valid-only', '--json');
    expect(JSON.parse(run.stdout)).toMatchObject({ imported: true, counts: { rows: 2, itemsAdded: 2 } });
    expect(await count("select count(*) as n from judgments where project_id = ? and label_source = 'imported' and ratings is not null", id)).toBe(2);

    const out = path.join(process.env.ARBITER_DATA_DIR!, 'rating-pairs');
    const exported = await cli('export', '--project', String(id), '--out', out, '--ratings-attribute', 'helpfulness', '--json');
    expect(exported.code, exported.stderr).toBe(0);
    const train = fs.readFileSync(path.join(out, 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { chosen: { content: string }[]; margin: number; source: string });
    expect(train).toHaveLength(1); // the rain pair is rated equal
    expect(train[0]).toMatchObject({ chosen: [{ content: 'Mass attracts mass.' }], margin: 0.75, source: 'ratings' });
  });

  it('refuses unreadable files and unknown formats clearly', async () => {
    const dir = process.env.ARBITER_DATA_DIR!;
    const xml = path.join(dir, 'x.xml');
    fs.writeFileSync(xml, '<a/>');
    const unsupported = await cli('import', '--project', '1', xml);
    expect(unsupported.code).toBe(2);
    expect(unsupported.stderr).toMatch(/supported containers are .jsonl, .ndjson, .json, .csv and .parquet, each optionally .gz/);
    const odd = path.join(dir, 'odd.jsonl');
    fs.writeFileSync(odd, '{"text": "hello"}\n');
    const unknown = await cli('import', '--project', String(await newProject('odd')), odd);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/cannot tell the format .*; choose one of .*, or map its fields to the ones a format reads with --map target=source/);
  });
});
