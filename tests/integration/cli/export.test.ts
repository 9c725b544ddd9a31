import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTs } from '../../helpers/spawn';

const cli = (...args: string[]) => runTs('cli/main.ts', args);
const readJsonl = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('CLI: export', () => {
  it('writes every format with a dataset card, split by prompt, and validates itself', async () => {
    const demo = JSON.parse((await cli('demo', 'create', '--prompts', '30', '--json')).stdout) as { projectId: number };
    const out = path.join(process.env.ARBITER_DATA_DIR!, 'export');
    const run = await cli('export', '--project', String(demo.projectId), '--format', 'all', '--out', out, '--test-share', '0.25', '--seed', '3', '--margin', 'llama2', '--json');
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { files: string[]; counts: { train: number; test: number }; validation: { ok: boolean } };
    expect(result.validation.ok).toBe(true);
    expect(result.files).toEqual(
      expect.arrayContaining(['README.md', 'train.jsonl', 'test.jsonl', 'implicit/train.jsonl', 'standard/train.jsonl', 'unpaired/train.jsonl', 'llamafactory/data.json', 'llamafactory/dataset_info.json', 'battles.jsonl', 'raw_annotations.jsonl']),
    );
    const train = readJsonl(path.join(out, 'train.jsonl'));
    const test = readJsonl(path.join(out, 'test.jsonl'));
    expect(train.length).toBe(result.counts.train);
    expect(test.length).toBeGreaterThan(0);
    for (const row of [...train, ...test]) {
      const prompt = row.prompt as { role: string }[];
      expect(prompt.at(-1)!.role).toBe('user');
      expect(row.chosen).toEqual([{ role: 'assistant', content: expect.any(String) }]);
      expect(row.rejected).toEqual([{ role: 'assistant', content: expect.any(String) }]);
      if ('margin' in row) expect([0.33, 0.67, 1]).toContain(row.margin);
    }
    const trainPrompts = new Set(train.map((r) => r.prompt_id));
    expect(test.some((r) => trainPrompts.has(r.prompt_id))).toBe(false);
    const kto = readJsonl(path.join(out, 'unpaired/train.jsonl'));
    expect(kto.every((r) => typeof r.label === 'boolean' && Array.isArray(r.completion))).toBe(true);
    const battles = readJsonl(path.join(out, 'battles.jsonl'));
    expect(battles[0]).toMatchObject({ question_id: expect.stringMatching(/^p_[0-9a-f]{16}$/), model_a: expect.any(String), winner: expect.stringMatching(/^(model_a|tie|tie \(bothbad\))$/), anony: true });
    expect(readJsonl(path.join(out, 'raw_annotations.jsonl')).length).toBeGreaterThan(train.length);
    const info = JSON.parse(fs.readFileSync(path.join(out, 'llamafactory/dataset_info.json'), 'utf8')) as Record<string, { ranking: boolean; formatting: string }>;
    expect(info.arbiter_preferences).toMatchObject({ ranking: true, formatting: 'sharegpt' });
    const card = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
    expect(card).toMatch(/openrlhf\.cli\.train_rm --data\.dataset/);
    expect(card).toMatch(/DPOTrainer/);
    expect(card).toMatch(/25% of prompts to test, seed 3/);
  });

  it('refuses bad options with the option named, and a project with nothing to export', async () => {
    const bad = await cli('export', '--project', '1', '--format', 'xlsx', '--out', '/tmp/x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format: /);
    const empty = JSON.parse((await cli('project', 'create', '--name', 'nothing', '--json')).stdout) as { id: number };
    const none = await cli('export', '--project', String(empty.id), '--out', path.join(process.env.ARBITER_DATA_DIR!, 'none'));
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no comparisons to export yet/);
    expect(fs.existsSync(path.join(process.env.ARBITER_DATA_DIR!, 'none'))).toBe(false);
  });
});
